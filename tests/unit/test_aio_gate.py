"""lomond.aio says which Python it needs (it runs on 3.8 and newer)."""

import sys

import pytest


def test_import_names_the_python_it_needs():
    if sys.version_info >= (3, 8):
        import lomond.aio

        assert lomond.aio.WebSocket
    else:
        with pytest.raises(ImportError) as error:
            import lomond.aio  # noqa: F401
        assert "Python 3.8 or newer" in str(error.value)
