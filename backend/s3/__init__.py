"""The S3 protocol: Signature V4 auth, XML documents, and operations mapped onto a StorageEngine."""
