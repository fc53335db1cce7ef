# -*- coding: utf-8 -*-
import pytest

from lomond.status import Status, check_close_code, is_valid_close_code, truncate_reason


def valid_by_rule(code):
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


# RFC 6455 7.4


def test_is_valid_close_code_over_the_whole_range():
    wrong = [code for code in range(0, 70001) if is_valid_close_code(code) != valid_by_rule(code)]
    assert wrong == []


def test_invalid_codes_agree_below_3000():
    for code in range(0, 3000):
        assert (code in Status.invalid_codes) == (not is_valid_close_code(code)), code


def test_invalid_codes_compatibility():
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999]:
        assert code in Status.invalid_codes
    for code in [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999]:
        assert code not in Status.invalid_codes


def test_named_codes():
    names = [
        "NORMAL",
        "GOING_AWAY",
        "PROTOCOL_ERROR",
        "DATA_NOT_UNDERSTOOD",
        None,
        "NO_STATUS",
        "ABNORMAL",
        "BAD_DATA",
        "POLICY_VIOLATION",
        "MESSAGE_TOO_LARGE",
        "EXTENSION_FAILED",
        "UNEXPECTED_CONDITION",
        "SERVICE_RESTART",
        "TRY_AGAIN_LATER",
        "BAD_GATEWAY",
        "TLS_HANDSHAKE",
    ]
    for code, name in enumerate(names, 1000):
        if name is not None:
            assert getattr(Status, name) == code
    for code in (Status.NO_STATUS, Status.ABNORMAL, Status.TLS_HANDSHAKE):
        assert not is_valid_close_code(code)


@pytest.mark.parametrize("code", [1000.0, "1000", u"1000", b"1000", True, False, None, [1000]])
def test_check_close_code_wants_an_int(code):
    with pytest.raises(TypeError) as error:
        check_close_code(code)
    assert "must be an int" in str(error.value)


def test_check_close_code():
    for code in range(0, 6000):
        if is_valid_close_code(code):
            check_close_code(code)
        else:
            with pytest.raises(ValueError):
                check_close_code(code)


# Close reasons


def test_short_reasons_are_kept():
    assert truncate_reason(u"bye") == b"bye"
    assert truncate_reason(b"bye") == b"bye"
    assert truncate_reason(bytearray(b"bye")) == b"bye"
    assert type(truncate_reason(bytearray(b"bye"))) is bytes
    assert truncate_reason(u"") == b""
    assert truncate_reason(u"κόσμε") == u"κόσμε".encode("utf-8")


def test_default_limit_is_123():
    assert truncate_reason(u"x" * 123) == b"x" * 123
    assert truncate_reason(u"x" * 200) == b"x" * 123


@pytest.mark.parametrize("char", [u"\u00e9", u"\u20ac", u"\U0001f600"])
@pytest.mark.parametrize("prefix", range(4))
@pytest.mark.parametrize("limit", [0, 1, 5, 10, 123])
def test_never_splits_a_character(char, prefix, limit):
    reason = u"a" * prefix + char * 100
    for given in (reason, reason.encode("utf-8")):
        result = truncate_reason(given, limit)
        assert len(result) <= limit
        text = result.decode("utf-8")
        assert reason.startswith(text)
        assert len(text.encode("utf-8")) + len(reason[len(text)].encode("utf-8")) > limit


def test_limit_at_a_boundary():
    assert truncate_reason(u"ab\u20ac", 5) == u"ab\u20ac".encode("utf-8")
    assert truncate_reason(u"ab\u20ac", 4) == b"ab"
    assert truncate_reason(u"ab\u20acc", 5) == u"ab\u20ac".encode("utf-8")


@pytest.mark.parametrize("reason", [None, 1, 1.5, [b"x"], object()])
def test_reason_type(reason):
    with pytest.raises(TypeError):
        truncate_reason(reason)
