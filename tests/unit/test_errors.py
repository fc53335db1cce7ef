import pytest

from lomond import errors

ALL = [
    errors.WebSocketError,
    errors.FrameBuildError,
    errors.HandshakeError,
    errors.CompressionParameterError,
    errors.ProtocolError,
    errors.PayloadTooLarge,
    errors.Utf8Error,
    errors.CriticalProtocolError,
    errors.ConnectFail,
    errors.ProxyFail,
    errors.TransportFail,
    errors.WebSocketUnavailable,
    errors.WebSocketClosed,
    errors.WebSocketClosing,
]

PARENT = {
    errors.WebSocketError: Exception,
    errors.FrameBuildError: errors.WebSocketError,
    errors.HandshakeError: errors.WebSocketError,
    errors.CompressionParameterError: errors.HandshakeError,
    errors.ProtocolError: errors.WebSocketError,
    errors.PayloadTooLarge: errors.ProtocolError,
    errors.Utf8Error: errors.ProtocolError,
    errors.CriticalProtocolError: errors.WebSocketError,
    errors.ConnectFail: errors.WebSocketError,
    errors.ProxyFail: errors.ConnectFail,
    errors.TransportFail: errors.WebSocketError,
    errors.WebSocketUnavailable: errors.WebSocketError,
    errors.WebSocketClosed: errors.WebSocketUnavailable,
    errors.WebSocketClosing: errors.WebSocketUnavailable,
}


@pytest.mark.parametrize("cls", ALL)
def test_tree(cls):
    assert cls.__bases__ == (PARENT[cls],)


def test_tree_covers_every_exception():
    defined = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert sorted(cls.__name__ for cls in defined) == sorted(cls.__name__ for cls in ALL)


def test_siblings_are_not_related():
    assert not issubclass(errors.CriticalProtocolError, errors.ProtocolError)
    assert not issubclass(errors.ConnectFail, errors.TransportFail)
    assert not issubclass(errors.HandshakeError, errors.ProtocolError)


@pytest.mark.parametrize("cls", ALL)
def test_messages_with_braces(cls):
    error = cls("a {b} {} {0")
    assert str(error) == "a {b} {} {0"


@pytest.mark.parametrize(
    "cls, code",
    [
        (errors.ProtocolError, 1002),
        (errors.PayloadTooLarge, 1009),
        (errors.Utf8Error, 1007),
        (errors.CriticalProtocolError, 1002),
    ],
)
def test_default_codes(cls, code):
    assert cls("x").code == code
    assert cls("x", 1011).code == 1011
