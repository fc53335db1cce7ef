import json

import pytest

from lomond import events


@pytest.mark.parametrize(
    "cls, args, name, attributes",
    [
        (events.Connecting, ("ws://h/",), "connecting", {"url": "ws://h/"}),
        (events.ConnectFail, ("refused",), "connect_fail", {"reason": "refused"}),
        (events.Connected, ("ws://h/",), "connected", {"url": "ws://h/", "proxy": None}),
        (events.Connected, ("ws://h/", "http://p:3128"), "connected", {"proxy": "http://p:3128"}),
        (events.Rejected, ("resp", "no"), "rejected", {"response": "resp", "reason": "no"}),
        (
            events.Ready,
            ("resp", "chat", set(["permessage-deflate"])),
            "ready",
            {
                "response": "resp",
                "protocol": "chat",
                "extensions": set(["permessage-deflate"]),
                "url": None,
            },
        ),
        (events.Ready, ("resp", None, set(), "ws://h/"), "ready", {"url": "ws://h/"}),
        (events.Poll, (), "poll", {}),
        (events.Text, (u"hi",), "text", {"text": u"hi"}),
        (events.Binary, (b"\x00",), "binary", {"data": b"\x00"}),
        (events.Ping, (b"p",), "ping", {"data": b"p"}),
        (events.Pong, (b"q",), "pong", {"data": b"q"}),
        (events.Closing, (1000, u"bye"), "closing", {"code": 1000, "reason": u"bye"}),
        (events.Closed, (1001, u"gone"), "closed", {"code": 1001, "reason": u"gone"}),
        (events.ProtocolError, ("bad", True), "protocol_error", {"error": "bad", "critical": True}),
        (events.Unresponsive, (), "unresponsive", {}),
        (events.Disconnected, (), "disconnected", {"reason": "closed", "graceful": False}),
        (events.Disconnected, ("gone", True), "disconnected", {"reason": "gone", "graceful": True}),
        (events.BackOff, (1.5,), "back_off", {"delay": 1.5}),
        (events.GiveUp, ("no",), "give_up", {"reason": "no", "failures": 0, "event": None}),
        (events.GiveUp, ("no", 3, "e"), "give_up", {"failures": 3, "event": "e"}),
        (events.UnknownMessage, ("m",), "unknown", {"message": "m"}),
    ],
)
def test_event(cls, args, name, attributes):
    event = cls(*args)
    assert isinstance(event, events.Event)
    assert event.name == cls.name == name
    for attribute, value in attributes.items():
        assert getattr(event, attribute) == value
    assert event.received_time is None
    event.received_time = 1234.5
    assert event.received_time == 1234.5
    with pytest.raises(AttributeError):
        event.not_an_attribute = 1


def test_base_event():
    event = events.Event()
    assert event.name is None and event.received_time is None
    assert repr(event) == "Event()"


@pytest.mark.parametrize(
    "event, expected",
    [
        (events.Poll(), "Poll()"),
        (events.Unresponsive(), "Unresponsive()"),
        (events.Connecting("ws://h/"), "Connecting(url='ws://h/')"),
        (events.ConnectFail("refused"), "ConnectFail(reason='refused')"),
        (events.Connected("ws://h/"), "Connected(url='ws://h/')"),
        (events.Connected("ws://h/", "http://p"), "Connected(url='ws://h/', proxy='http://p')"),
        (events.Rejected("r", "why"), "Rejected(response='r', reason='why')"),
        (events.Ready("r", None, "e"), "Ready('r', protocol=None, extensions='e')"),
        (events.Closing(1000, "bye"), "Closing(code=1000, reason='bye')"),
        (events.Closed(1000, "bye"), "Closed(code=1000, reason='bye')"),
        (events.ProtocolError("bad", False), "ProtocolError(error='bad', critical=False)"),
        (events.Disconnected("x", True), "Disconnected(reason='x', graceful=True)"),
        (events.BackOff(2), "BackOff(delay=2.00)"),
        (events.BackOff(0.123456), "BackOff(delay=0.12)"),
        (events.UnknownMessage("m"), "UnknownMessage('m')"),
    ],
)
def test_repr(event, expected):
    assert repr(event) == expected


@pytest.mark.parametrize(
    "cls, payload",
    [
        (events.Text, u"t" * 24),
        (events.Text, u"t" * 30),
        (events.Binary, b"b" * 24),
        (events.Binary, b"b" * 25),
        (events.Ping, b"p" * 100),
        (events.Pong, b""),
    ],
)
def test_payload_reprs_are_short(cls, payload):
    shown = repr(payload)
    if len(payload) > 24:
        shown = "{!r}...({} total)".format(payload[:24], len(payload))
    assert repr(cls(payload)) == "{}({})".format(cls.__name__, shown)


def test_json():
    event = events.Text(u'{"a": [1, 2]}')
    assert event.json == {"a": [1, 2]}
    assert event.json is event.json


def test_json_is_lazy_and_cached(monkeypatch):
    calls = []
    original = json.loads

    def loads(text):
        calls.append(text)
        return original(text)

    monkeypatch.setattr(events.json, "loads", loads)
    event = events.Text(u"null")
    assert calls == []
    assert event.json is None
    assert event.json is None
    assert calls == [u"null"]


def test_json_error_only_on_access():
    event = events.Text(u"not json")
    with pytest.raises(ValueError):
        event.json
