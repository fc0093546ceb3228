"""Documents attached to a case: files encrypted per file under the key ring (docs/documents.md)."""
