"""How the transport reads socket and TLS errors (no sockets needed)."""

import ssl

from lomond.tls import describe_tls_error
from lomond.transport import is_unexpected_eof


def test_openssl3_unexpected_eof_counts_as_the_end_of_the_stream():
    # Python < 3.10 with OpenSSL 3 raises a plain SSLError, its reason
    # name garbled by an outdated error table.
    error = ssl.SSLError(1, "[SSL: KRB5_S_TKT_NYV] unexpected eof while reading (_ssl.c:2570)")
    assert is_unexpected_eof(error)
    assert not is_unexpected_eof(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"))


def test_tls_failures_are_described():
    error = ssl.SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.reason = "CERTIFICATE_VERIFY_FAILED"
    assert describe_tls_error(error).startswith("TLS certificate verify failed")
    other = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    other.reason = "WRONG_VERSION_NUMBER"
    assert describe_tls_error(other) == "TLS handshake failed: WRONG_VERSION_NUMBER"
