"""Settings shared by every test.

Lomond's logger is left at its default level: the session takes a faster
path when debug logging is off, and that is the path users run. Tests
that need the debug output (or both paths) ask for it.
"""
