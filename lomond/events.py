"""The events that iterating over a WebSocket yields.

Every event has a ``name`` (a class attribute, e.g. ``'text'``) and a
``received_time``: the wall-clock time (``time.time()``) at which the loop
produced it. The sans-IO session creates events without a time; the loop,
which owns the clocks, stamps them.

Ignore events you don't know: later versions may add new ones.
"""

import json


def _short(value, limit=24):
    """A repr of a payload cut to ``limit`` characters or bytes."""
    if len(value) > limit:
        return "{!r}...({} total)".format(value[:limit], len(value))
    return repr(value)


class Event(object):
    """Base class of all events."""

    __slots__ = ["received_time"]
    name = None

    def __init__(self):
        self.received_time = None

    def __repr__(self):
        return "{}()".format(self.__class__.__name__)


class Connecting(Event):
    """Generated first: Lomond is about to resolve and connect to ``url``."""

    __slots__ = ["url"]
    name = "connecting"

    def __init__(self, url):
        self.url = url
        self.received_time = None

    def __repr__(self):
        return "Connecting(url={!r})".format(self.url)


class ConnectFail(Event):
    """The connection could not be made; the last event of this attempt.

    ``reason`` says what failed (DNS, refused, timed out, TLS, proxy).
    """

    __slots__ = ["reason"]
    name = "connect_fail"

    def __init__(self, reason):
        self.reason = reason
        self.received_time = None

    def __repr__(self):
        return "ConnectFail(reason={!r})".format(self.reason)


class Connected(Event):
    """The connection is made and the upgrade request has been sent.

    ``proxy`` is the URL of the proxy used, or None.
    """

    __slots__ = ["url", "proxy"]
    name = "connected"

    def __init__(self, url, proxy=None):
        self.url = url
        self.proxy = proxy
        self.received_time = None

    def __repr__(self):
        if self.proxy:
            return "Connected(url={!r}, proxy={!r})".format(self.url, self.proxy)
        return "Connected(url={!r})".format(self.url)


class Rejected(Event):
    """The server refused the upgrade, or answered it wrongly.

    ``response`` is the :class:`~lomond.response.Response` (status, headers
    and the start of the body); ``reason`` says what was wrong.
    """

    __slots__ = ["response", "reason"]
    name = "rejected"

    def __init__(self, response, reason):
        self.response = response
        self.reason = reason
        self.received_time = None

    def __repr__(self):
        return "Rejected(response={!r}, reason={!r})".format(
            self.response, self.reason
        )


class Ready(Event):
    """The upgrade succeeded: you may send data now.

    ``protocol`` is the subprotocol the server chose (or None),
    ``extensions`` the set of extension names in use, and ``url`` the URL
    finally connected to (after any redirects).
    """

    __slots__ = ["response", "protocol", "extensions", "url"]
    name = "ready"

    def __init__(self, response, protocol, extensions, url=None):
        self.response = response
        self.protocol = protocol
        self.extensions = extensions
        self.url = url
        self.received_time = None

    def __repr__(self):
        return "Ready({!r}, protocol={!r}, extensions={!r})".format(
            self.response, self.protocol, self.extensions
        )


class Poll(Event):
    """Generated every ``poll`` seconds while connected (first one at Ready)."""

    __slots__ = []
    name = "poll"


class Text(Event):
    """A text message arrived; ``text`` is a str."""

    __slots__ = ["text", "_json"]
    name = "text"

    def __init__(self, text):
        self.text = text
        self._json = None
        self.received_time = None

    @property
    def json(self):
        """The text decoded as JSON (decoded once, then cached).

        :raises ValueError: If the text is not JSON.
        """
        if self._json is None:
            self._json = (json.loads(self.text),)
        return self._json[0]

    def __repr__(self):
        return "Text({})".format(_short(self.text))


class Binary(Event):
    """A binary message arrived; ``data`` is bytes."""

    __slots__ = ["data"]
    name = "binary"

    def __init__(self, data):
        self.data = data
        self.received_time = None

    def __repr__(self):
        return "Binary({})".format(_short(self.data))


class Ping(Event):
    """The server sent a ping (it is answered automatically by default)."""

    __slots__ = ["data"]
    name = "ping"

    def __init__(self, data):
        self.data = data
        self.received_time = None

    def __repr__(self):
        return "Ping({})".format(_short(self.data))


class Pong(Event):
    """The server sent a pong (maybe unsolicited: RFC 6455 5.5.3)."""

    __slots__ = ["data"]
    name = "pong"

    def __init__(self, data):
        self.data = data
        self.received_time = None

    def __repr__(self):
        return "Pong({})".format(_short(self.data))


class Closing(Event):
    """The server started the close handshake.

    You may still send while handling this event; afterwards Lomond echoes
    the close and waits for the server to drop the connection.
    """

    __slots__ = ["code", "reason"]
    name = "closing"

    def __init__(self, code, reason):
        self.code = code
        self.reason = reason
        self.received_time = None

    def __repr__(self):
        return "Closing(code={!r}, reason={!r})".format(self.code, self.reason)


class Closed(Event):
    """The server echoed the close that you started with ``close()``."""

    __slots__ = ["code", "reason"]
    name = "closed"

    def __init__(self, code, reason):
        self.code = code
        self.reason = reason
        self.received_time = None

    def __repr__(self):
        return "Closed(code={!r}, reason={!r})".format(self.code, self.reason)


class ProtocolError(Event):
    """The server broke the protocol; Lomond sent a close frame saying why.

    ``critical`` is True when the byte stream could not be parsed any
    further and the connection was dropped at once; otherwise Lomond waits
    (up to ``close_timeout``) for the server to answer the close.
    """

    __slots__ = ["error", "critical"]
    name = "protocol_error"

    def __init__(self, error, critical):
        self.error = error
        self.critical = critical
        self.received_time = None

    def __repr__(self):
        return "ProtocolError(error={!r}, critical={!r})".format(
            self.error, self.critical
        )


class Unresponsive(Event):
    """A ping went unanswered for ``ping_timeout`` seconds."""

    __slots__ = []
    name = "unresponsive"


class Disconnected(Event):
    """The connection has ended; always the last event of ``connect()``.

    ``graceful`` is True when the close handshake completed (or the server
    rejected the upgrade cleanly); ``reason`` says why it ended.
    """

    __slots__ = ["reason", "graceful"]
    name = "disconnected"

    def __init__(self, reason="closed", graceful=False):
        self.reason = reason
        self.graceful = graceful
        self.received_time = None

    def __repr__(self):
        return "Disconnected(reason={!r}, graceful={!r})".format(
            self.reason, self.graceful
        )


class BackOff(Event):
    """Generated by ``persist()``: it will wait ``delay`` seconds to retry."""

    __slots__ = ["delay"]
    name = "back_off"

    def __init__(self, delay):
        self.delay = delay
        self.received_time = None

    def __repr__(self):
        return "BackOff(delay={:.2f})".format(self.delay)


class GiveUp(Event):
    """Generated by ``persist()`` when it stops retrying; always its last event.

    Only if you asked for it (``give_up`` or ``max_failures``): ``reason``
    says why, ``failures`` is the number of failed attempts in a row, and
    ``event`` is the event that decided it (the one ``give_up`` matched, or
    the final event of the last attempt).
    """

    __slots__ = ["reason", "failures", "event"]
    name = "give_up"

    def __init__(self, reason, failures=0, event=None):
        self.reason = reason
        self.failures = failures
        self.event = event
        self.received_time = None

    def __repr__(self):
        return "GiveUp(reason={!r}, failures={!r})".format(self.reason, self.failures)


class UnknownMessage(Event):
    """Reserved for messages of an unknown type; not generated by Lomond."""

    __slots__ = ["message"]
    name = "unknown"

    def __init__(self, message):
        self.message = message
        self.received_time = None

    def __repr__(self):
        return "UnknownMessage({!r})".format(self.message)
