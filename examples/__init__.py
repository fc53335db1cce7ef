"""Runnable examples: ``python -m lomond.examples.NAME``."""
