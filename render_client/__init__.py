"""Hearth client library: API client, packing, sync, credentials and the `hearth` CLI."""
