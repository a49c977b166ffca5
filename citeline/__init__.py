"""The `citeline` command: the one place that composes the product (ingest, service) with its harness (eval)."""
