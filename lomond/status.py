"""Close status codes (RFC 6455 section 7.4) and close reasons."""

import six


class Status(object):
    """Named close codes, from RFC 6455 7.4.1 and the IANA registry."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    DATA_NOT_UNDERSTOOD = 1003
    #: Reserved: never sent in a close frame, it stands for "no code".
    NO_STATUS = 1005
    #: Reserved: never sent, it stands for "closed without a close frame".
    ABNORMAL = 1006
    BAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_LARGE = 1009
    EXTENSION_FAILED = 1010
    UNEXPECTED_CONDITION = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    #: Reserved: never sent, it stands for "the TLS handshake failed".
    TLS_HANDSHAKE = 1015

    #: Codes below 3000 that may not appear in a close frame. Kept for
    #: compatibility with 0.3.4; use :func:`is_valid_close_code` instead,
    #: which also rejects codes of 5000 and above.
    invalid_codes = frozenset(
        list(range(0, 1000)) + [1004, 1005, 1006, 1015] + list(range(1016, 3000))
    )


_DEFINED_CODES = frozenset(
    [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]
)


def is_valid_close_code(code):
    """Tell if a close code may appear in a close frame on the wire.

    RFC 6455 7.4: 1000-2999 are for the protocol itself, of which only the
    codes defined by the RFC and registered with IANA (1012-1014) may be
    sent; 1004 is reserved and 1005, 1006 and 1015 describe local
    conditions. 3000-3999 are registered by libraries and 4000-4999 are
    private. Anything else is invalid.

    :param int code: A close code.
    :rtype: bool
    """
    return code in _DEFINED_CODES or 3000 <= code <= 4999


def check_close_code(code):
    """Raise unless ``code`` may be sent in a close frame.

    :param int code: The close code a caller asked to send.
    :raises TypeError: If it isn't an int (a float, a str, a bool or
        None: the frame holds a 16-bit integer, and ``True`` would quietly
        become code 1).
    :raises ValueError: For an int that :func:`is_valid_close_code`
        refuses.
    """
    if isinstance(code, bool) or not isinstance(code, six.integer_types):
        raise TypeError("the close code must be an int, such as 1000, not {!r}".format(code))
    if not is_valid_close_code(code):
        raise ValueError(
            "close code {} may not be sent; use 1000-1003, 1007-1014 or 3000-4999".format(code)
        )


def truncate_reason(reason, limit=123):
    """Encode a close reason as UTF-8, cut to at most ``limit`` bytes.

    The cut never splits a character: a close frame with a broken UTF-8
    reason would itself be a protocol error (RFC 6455 5.5.1).

    :param reason: The reason, as text or UTF-8 bytes.
    :param int limit: The maximum size in bytes.
    :rtype: bytes
    :raises TypeError: If the reason is neither text nor bytes.
    """
    if isinstance(reason, six.text_type):
        encoded = reason.encode("utf-8")
    elif isinstance(reason, (bytes, bytearray)):
        encoded = bytes(reason)
    else:
        raise TypeError("a close reason must be text or bytes")
    if len(encoded) <= limit:
        return encoded
    cut = limit
    # Back up over continuation bytes (10xxxxxx) to a character boundary.
    while cut > 0 and (six.indexbytes(encoded, cut) & 0xC0) == 0x80:
        cut -= 1
    return encoded[:cut]
