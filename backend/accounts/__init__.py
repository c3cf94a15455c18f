"""Accounts and API tokens: who may use the farm and its buckets."""
