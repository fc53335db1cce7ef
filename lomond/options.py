"""The options of ``connect()``, checked once for every driver.

A mistake in an option is the caller's, so it raises at once, before any
connection is attempted; and every time option follows one rule: a number
of seconds, where 0 and None both mean "no limit".
"""

import numbers

#: How often a driver looks at an ``exit_event`` that has no way to wake
#: it (a ``threading.Event``), in seconds.
EXIT_CHECK = 0.25


def earliest(first, second):
    """The earlier of two deadlines, either of which may be None (never)."""
    if first is None or (second is not None and second < first):
        return second
    return first


def seconds_option(name, value):
    """Check a time option and return it as a float, or None for no limit.

    :param str name: The option's name, for the error message.
    :param value: A number of seconds, 0 or None.
    :rtype: float
    :raises TypeError: If it isn't a number.
    :raises ValueError: If it is negative.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("{} must be a number of seconds, or None; not {!r}".format(name, value))
    if value < 0:
        raise ValueError("{} must be positive, or 0/None to disable it".format(name))
    return float(value) or None


def check_ping_options(ping_rate, ping_timeout):
    """A ping timeout needs pings to time: refuse one without the other.

    :raises ValueError: For ``ping_timeout`` with pings turned off.
    """
    if ping_timeout and not ping_rate:
        raise ValueError(
            "ping_timeout={!r} has no effect with ping_rate={!r}: it bounds the wait for the pong "
            "of an automatic ping; set ping_rate too, or leave ping_timeout None".format(ping_timeout, ping_rate)
        )


class ConnectOptions(object):
    """The options of one ``connect()`` call, checked.

    See :meth:`lomond.websocket.WebSocket.connect` for their meaning.

    :raises TypeError: For a time that isn't a number, or an
        ``exit_event`` without ``is_set``.
    :raises ValueError: For a negative time, or ``ping_timeout`` without
        ``ping_rate``.
    """

    __slots__ = [
        "poll",
        "ping_rate",
        "ping_timeout",
        "auto_pong",
        "close_timeout",
        "connect_timeout",
        "send_timeout",
        "exit_event",
    ]

    def __init__(
        self,
        poll=5.0,
        ping_rate=30.0,
        ping_timeout=None,
        auto_pong=True,
        close_timeout=30.0,
        connect_timeout=30.0,
        send_timeout=30.0,
        exit_event=None,
    ):
        self.poll = seconds_option("poll", poll)
        self.ping_rate = seconds_option("ping_rate", ping_rate)
        self.ping_timeout = seconds_option("ping_timeout", ping_timeout)
        check_ping_options(ping_rate, ping_timeout)  # as the caller wrote them
        self.auto_pong = bool(auto_pong)
        self.close_timeout = seconds_option("close_timeout", close_timeout)
        self.connect_timeout = seconds_option("connect_timeout", connect_timeout)
        self.send_timeout = seconds_option("send_timeout", send_timeout)
        if exit_event is not None and not callable(getattr(exit_event, "is_set", None)):
            raise TypeError("exit_event must be an Event (anything with is_set()), not {!r}".format(exit_event))
        self.exit_event = exit_event

    def session_options(self):
        """The keyword arguments of the session's timers."""
        return dict(
            poll=self.poll,
            ping_rate=self.ping_rate,
            ping_timeout=self.ping_timeout,
            auto_pong=self.auto_pong,
            close_timeout=self.close_timeout,
        )
