"""Keep a WebSocket connected: reconnect, with back-off, until told to stop.

::

    for event in persist(websocket):
        ...

yields the events of one connection after another. Between two
connections it yields a :class:`~lomond.events.BackOff` event and waits.

Every decision (how long to wait, when a connection counts as a success,
what a Retry-After changes, when to give up) is made by
:class:`~lomond.reconnect.ReconnectPolicy`, which does no IO; this module
only feeds it events and the time, and does the waiting, on
``exit_event``.
"""

import random
import threading

from .clock import monotonic, wall_time
from .reconnect import MAX_RETRY_AFTER, ReconnectPolicy, backoff_delays, parse_retry_after


def persist(
    websocket,
    poll=5,
    min_wait=5,
    max_wait=30,
    ping_rate=30,
    ping_timeout=None,
    exit_event=None,
    respect_retry_after=True,
    max_retry_after=MAX_RETRY_AFTER,
    give_up=None,
    max_failures=None,
    random_source=random.random,
    **connect_options
):
    """Connect, and reconnect whenever the connection ends.

    By default it retries for ever; it ends when ``exit_event`` is set, or,
    if you ask for it with ``give_up`` or ``max_failures``, after a final
    :class:`~lomond.events.GiveUp` event.

    :param websocket: The :class:`~lomond.websocket.WebSocket`.
    :param float poll: Seconds between Poll events.
    :param float min_wait: The first upper bound of the back-off, and how
        long a connection must stay up (after Ready) to count as a success.
    :param float max_wait: The largest upper bound of the back-off.
    :param float ping_rate: Seconds between pings (0: none).
    :param float ping_timeout: Seconds before an unanswered ping ends the
        connection (None: no limit).
    :param exit_event: A ``threading.Event`` (or anything with ``wait``
        and ``is_set``); setting it closes the connection gracefully and
        ends persist, whether connected or waiting to reconnect.
    :param bool respect_retry_after: On a 429 or 503 rejection with a
        Retry-After header, wait at least what the server asks: the wait is
        the larger of that and the back-off. Zero or a date in the past
        leaves the back-off as it is.
    :param float max_retry_after: The most a server's Retry-After counts
        for, in seconds (default 600); the back-off is never cut.
    :param give_up: A function called with each event; once it returns
        True, persist ends with a GiveUp event when that connection has
        ended, instead of reconnecting. For errors that won't heal, such as
        a 401 or 404 rejection.
    :param int max_failures: End with a GiveUp event after this many failed
        attempts in a row (None: never). A connection that stays up for
        ``min_wait`` seconds resets the count.
    :param random_source: A function returning a float in [0, 1) for the
        jitter, e.g. ``random.Random(seed).random`` in tests.
    :param connect_options: Any other :meth:`~lomond.websocket.WebSocket.connect`
        option (``close_timeout``, ``auto_pong``, ``connect_timeout`` ...).
    :returns: A generator of events: those of each connection, a
        :class:`~lomond.events.BackOff` before each wait, and a
        :class:`~lomond.events.GiveUp` last if it gave up.
    :raises ValueError: For bounds out of order or negative, or a
        ``max_failures`` below 1 (at once, not at the first failure).
    """
    policy = ReconnectPolicy(
        min_wait=min_wait,
        max_wait=max_wait,
        respect_retry_after=respect_retry_after,
        max_retry_after=max_retry_after,
        give_up=give_up,
        max_failures=max_failures,
        random_source=random_source,
    )
    if exit_event is None:
        exit_event = threading.Event()
    options = dict(poll=poll, ping_rate=ping_rate, ping_timeout=ping_timeout, exit_event=exit_event)
    options.update(connect_options)
    return _persist(websocket, policy, exit_event, options)


def _persist(websocket, policy, exit_event, options):
    while not exit_event.is_set():
        for event in websocket.connect(**options):
            policy.observe(event, monotonic())
            yield event
        if exit_event.is_set():
            return
        step = policy.next_step(monotonic(), wall_time())
        step.received_time = wall_time()
        yield step
        if step.name == "give_up" or exit_event.wait(step.delay):
            return


__all__ = ["persist", "backoff_delays", "parse_retry_after"]
