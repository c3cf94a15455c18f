"""Object storage behind the S3 endpoint: the StorageEngine port and its engines."""
