"""Settings shared by every test."""

import logging

# Lomond logs frames at debug level; keep it visible when a test fails.
logging.getLogger("lomond").setLevel(logging.DEBUG)
