"""Keep a WebSocket connected: reconnect forever, with back-off.

::

    for event in persist(websocket):
        ...

yields the events of one connection after another. Between two
connections it yields a :class:`~lomond.events.BackOff` event and waits.

The wait follows exponential back-off with full jitter: the upper bound
starts at ``min_wait`` and doubles after every failed attempt, up to
``max_wait``; the wait itself is random between zero and that bound, so a
fleet of clients that lost the same server doesn't come back in step. A
connection that reached Ready and stayed up for ``min_wait`` seconds counts
as a success and starts the schedule again.

The schedule (:func:`backoff_delays`) is a pure function of its random
source, and the waiting is done apart from it, on ``exit_event``.
"""

import email.utils
import random
import threading
import time

from .events import BackOff
from .clock import monotonic


def backoff_delays(min_wait=5.0, max_wait=30.0, random_source=random.random):
    """The endless schedule of waits after consecutive failures.

    :param float min_wait: The first upper bound (seconds).
    :param float max_wait: The largest upper bound.
    :param random_source: A function returning a float in [0, 1), e.g.
        ``random.Random(seed).random`` for a reproducible schedule.
    :returns: An iterator of delays in seconds.
    :raises ValueError: If the bounds are negative or out of order.
    """
    _check_bounds(min_wait, max_wait)
    return _delays(min_wait, max_wait, random_source)


def _check_bounds(min_wait, max_wait):
    if min_wait < 0 or max_wait < min_wait:
        raise ValueError("persist needs 0 <= min_wait <= max_wait")


def _delays(min_wait, max_wait, random_source):
    bound = min_wait
    while True:
        yield random_source() * bound
        bound = min(max_wait, bound * 2) if bound else max_wait


def parse_retry_after(value, now):
    """Seconds to wait, from a Retry-After header (RFC 7231 7.1.3).

    :param str value: Delta-seconds (``'120'``) or an HTTP date.
    :param float now: The current wall-clock time (``time.time()``).
    :returns: Seconds (never negative), or None if ``value`` is neither.
    :rtype: float
    """
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        parsed = email.utils.parsedate_tz(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - now)


def persist(
    websocket,
    poll=5,
    min_wait=5,
    max_wait=30,
    ping_rate=30,
    ping_timeout=None,
    exit_event=None,
    respect_retry_after=True,
    **connect_options
):
    """Connect, and reconnect whenever the connection ends, forever.

    :param websocket: The :class:`~lomond.websocket.WebSocket`.
    :param float poll: Seconds between Poll events.
    :param float min_wait: The first upper bound of the back-off.
    :param float max_wait: The largest back-off (and the cap on a server's
        Retry-After).
    :param float ping_rate: Seconds between pings (0: none).
    :param float ping_timeout: Seconds before an unanswered ping ends the
        connection (None: no limit).
    :param exit_event: A ``threading.Event`` (or anything with ``wait``
        and ``is_set``); setting it closes the connection gracefully and
        ends persist, whether connected or waiting to reconnect.
    :param bool respect_retry_after: On a 429 or 503 rejection with a
        Retry-After header, wait what the server asks (capped at
        ``max_wait``) instead of the back-off.
    :param connect_options: Any other :meth:`~lomond.websocket.WebSocket.connect`
        option (``close_timeout``, ``auto_pong``, ``connect_timeout`` ...).
    :returns: A generator of events: those of each connection, and a
        :class:`~lomond.events.BackOff` before each wait.
    """
    if exit_event is None:
        exit_event = threading.Event()
    # Validate now, not at the first failure.
    delays = backoff_delays(min_wait, max_wait)
    return _persist(
        websocket,
        delays,
        min_wait,
        max_wait,
        exit_event,
        respect_retry_after,
        dict(poll=poll, ping_rate=ping_rate, ping_timeout=ping_timeout, exit_event=exit_event, **connect_options),
    )


def _persist(websocket, delays, min_wait, max_wait, exit_event, respect_retry_after, options):
    while not exit_event.is_set():
        ready_at = None
        retry_after = None
        for event in websocket.connect(**options):
            if event.name == "ready":
                ready_at = monotonic()
            elif event.name == "rejected" and respect_retry_after:
                retry_after = _retry_after(event.response)
            yield event
        if exit_event.is_set():
            return
        if ready_at is not None and monotonic() - ready_at >= min_wait:
            delays = backoff_delays(min_wait, max_wait)
        delay = next(delays)
        if retry_after is not None:
            delay = min(retry_after, max_wait)
        back_off = BackOff(delay)
        back_off.received_time = time.time()
        yield back_off
        if exit_event.wait(delay):
            return


def _retry_after(response):
    """The Retry-After of a 429 or 503 response, in seconds, or None."""
    if response is None or response.status_code not in (429, 503):
        return None
    value = response.get("retry-after")
    if value is None:
        return None
    return parse_retry_after(value, time.time())
