"""What persist() decides between two connections: wait how long, or give up.

Every driver of :func:`~lomond.persist.persist` (the blocking one, and the
asyncio one) runs the same :class:`ReconnectPolicy`, so they keep the same
schedule. The policy never reads a clock, sleeps or starts a thread: the
driver passes the time in, hands it each event of a connection, asks for
the next step once the connection has ended, and does the waiting itself::

    policy = ReconnectPolicy(min_wait=5, max_wait=30)
    while True:
        for event in websocket.connect():
            policy.observe(event, monotonic())
            ...
        step = policy.next_step(monotonic(), time.time())
        if step.name == "give_up":
            break
        wait(step.delay)

The rules, in one place:

- **Back-off with full jitter.** The upper bound starts at ``min_wait``
  and doubles after every failed attempt, up to ``max_wait``; the wait is
  random between zero and the bound, so a fleet of clients that lost the
  same server doesn't come back in step.
- **Success resets.** A connection that reached Ready and stayed up for
  ``min_wait`` seconds counts as a success: the bound and the count of
  failures start again. One dropped at once is a failure, so a server
  that accepts and drops every connection isn't hammered.
- **Retry-After is a floor, never a replacement.** On a 429 or 503
  rejection (RFC 6585 4, RFC 7231 6.6.4) the server may say when to come
  back (RFC 7231 7.1.3). The wait is then the larger of that and the
  back-off; a value of zero or a date in the past (clock skew is ordinary)
  leaves the back-off alone. The server's value counts up to
  ``max_retry_after`` only, so a broken header can't park the client for
  a day.
- **Giving up is opt-in.** ``give_up(event)`` marks an error that won't
  heal; ``max_failures`` bounds a run of failed attempts. By default the
  policy retries for ever.
"""

import email.utils
import numbers
import random

from .events import BackOff, GiveUp

#: The default ``max_retry_after`` (seconds): a server's Retry-After
#: counts up to ten minutes.
MAX_RETRY_AFTER = 600.0

# RFC 6585 4 (429 Too Many Requests) and RFC 7231 6.6.4 (503 Service
# Unavailable) are the rejections whose Retry-After says "come back later".
_RETRY_AFTER_STATUSES = (429, 503)

# The events that end an attempt (exactly one per connect()).
_FINAL = ("connect_fail", "disconnected")


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
    :returns: Seconds (never negative: a date in the past gives 0), or
        None if ``value`` is neither.
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


def retry_after_floor(response, now, limit=MAX_RETRY_AFTER):
    """The least wait a rejection asks for, in seconds (0 for none).

    :param response: The :class:`~lomond.response.Response` of a
        Rejected event, or None.
    :param float now: The current wall-clock time, for an HTTP date.
    :param float limit: The most the server's value may count for.
    :returns: 0.0 unless ``response`` is a 429 or 503 with a valid
        Retry-After; then its value, capped at ``limit``.
    :rtype: float
    """
    if response is None or response.status_code not in _RETRY_AFTER_STATUSES:
        return 0.0
    value = response.get("retry-after")
    seconds = None if value is None else parse_retry_after(value, now)
    if seconds is None:
        return 0.0
    return min(seconds, limit)


class ReconnectPolicy(object):
    """The decisions of :func:`~lomond.persist.persist`, without IO.

    Create one per persist loop. For each connection, pass every event to
    :meth:`observe`; after the connection's final event call
    :meth:`next_step`, yield the event it returns, and then either stop
    (``give_up``) or wait ``delay`` seconds and connect again.

    :param float min_wait: The first upper bound of the back-off, and how
        long a connection must stay up to count as a success.
    :param float max_wait: The largest upper bound of the back-off.
    :param bool respect_retry_after: Let a 429 or 503 rejection's
        Retry-After raise the wait.
    :param float max_retry_after: The most a Retry-After counts for
        (seconds); the back-off itself is never cut.
    :param give_up: A function called with each event of a connection;
        once it returns True, the next step is :class:`~lomond.events.GiveUp`
        instead of a back-off. None: never.
    :param int max_failures: Give up after this many failed attempts in a
        row (None: never).
    :param random_source: A function returning a float in [0, 1).
    :raises ValueError: For bounds out of order, a negative
        ``max_retry_after`` or a ``max_failures`` below 1.
    :raises TypeError: If ``give_up`` is not callable.
    """

    def __init__(
        self,
        min_wait=5.0,
        max_wait=30.0,
        respect_retry_after=True,
        max_retry_after=MAX_RETRY_AFTER,
        give_up=None,
        max_failures=None,
        random_source=random.random,
    ):
        _check_bounds(min_wait, max_wait)
        if max_retry_after is None or max_retry_after < 0:
            raise ValueError("max_retry_after must be 0 or more seconds")
        if max_failures is not None and (
            isinstance(max_failures, bool) or not isinstance(max_failures, numbers.Integral) or max_failures < 1
        ):
            raise ValueError("max_failures must be a whole number of attempts, 1 or more (or None)")
        if give_up is not None and not callable(give_up):
            raise TypeError("give_up must be a function taking an event (or None)")
        self.min_wait = min_wait
        self.max_wait = max_wait
        self.respect_retry_after = respect_retry_after
        self.max_retry_after = max_retry_after
        self.max_failures = max_failures
        self._give_up = give_up
        self._random_source = random_source
        self._delays = _delays(min_wait, max_wait, random_source)
        #: Failed attempts in a row, the current one included once it ended.
        self.failures = 0
        self._new_attempt()

    def _new_attempt(self):
        self._ready_at = None
        self._rejection = None
        self._final = None
        self._fatal = None

    def observe(self, event, now):
        """Note one event of the current connection.

        :param event: The event, as the connection produced it.
        :param float now: The monotonic time (seconds).
        """
        name = event.name
        if name == "ready":
            self._ready_at = now
        elif name == "rejected":
            self._rejection = event.response
        elif name in _FINAL:
            self._final = event
        if self._fatal is None and self._give_up is not None and self._give_up(event):
            self._fatal = event

    def next_step(self, now, wall_now):
        """Decide what follows the connection that just ended.

        Call it once per connection, after its final event; then yield
        the returned event. The policy is then ready for the next
        connection.

        :param float now: The monotonic time (seconds).
        :param float wall_now: The wall-clock time, for an HTTP-date
            Retry-After.
        :returns: :class:`~lomond.events.BackOff` (wait its ``delay``, then
            connect again) or :class:`~lomond.events.GiveUp` (stop).
        """
        if self._ready_at is not None and now - self._ready_at >= self.min_wait:
            # It stayed up: the outage is over, start the schedule again.
            self.failures = 0
            self._delays = _delays(self.min_wait, self.max_wait, self._random_source)
        else:
            self.failures += 1
        step = self._decide(wall_now)
        self._new_attempt()
        return step

    def _decide(self, wall_now):
        if self._fatal is not None:
            return GiveUp(
                "give_up returned True for {!r}".format(self._fatal),
                self.failures,
                self._fatal,
            )
        if self.max_failures is not None and self.failures >= self.max_failures:
            return GiveUp(_failures_reason(self.failures, self._final), self.failures, self._final)
        delay = next(self._delays)
        if self.respect_retry_after:
            delay = max(delay, retry_after_floor(self._rejection, wall_now, self.max_retry_after))
        return BackOff(delay)


def _failures_reason(failures, final):
    """Why max_failures gave up, ending with what went wrong last."""
    why = "?" if final is None else final.reason
    if failures == 1:
        return "the connection attempt failed: {}".format(why)
    return "{} connection attempts failed in a row; the last: {}".format(failures, why)
