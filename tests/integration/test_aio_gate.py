"""lomond.aio on every Python: there on 3.8+, a clear ImportError before."""

import sys

import pytest


def test_import_names_the_python_it_needs():
    if sys.version_info >= (3, 8):
        import lomond.aio

        assert lomond.aio.WebSocket and lomond.aio.persist
    else:
        with pytest.raises(ImportError) as error:
            import lomond.aio  # noqa: F401
        assert "Python 3.8 or newer" in str(error.value)
