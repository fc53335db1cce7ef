"""The version of Lomond: the one place it is written down."""

__version__ = "0.4.0"
