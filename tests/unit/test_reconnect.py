"""The decisions of persist(): back-off, Retry-After and giving up, without IO."""

import email.utils
import itertools
import random

import pytest

from lomond import events
from lomond.reconnect import ReconnectPolicy, backoff_delays, parse_retry_after, retry_after_floor
from lomond.response import Response

NOW = 1700000000.0  # a wall-clock time


def first(count, iterator):
    return list(itertools.islice(iterator, count))


def response(status, *headers):
    head = "HTTP/1.1 {} Whatever\r\n".format(status) + "".join(
        "{}: {}\r\n".format(name, value) for name, value in headers
    )
    return Response(head.encode("latin-1") + b"\r\n")


def rejected(status, *headers):
    return events.Rejected(response(status, *headers), "server answered {}".format(status))


def refused():
    return [events.Connecting("ws://h/"), events.ConnectFail("unable to connect to h port 80")]


def run(policy, attempts, start=0.0):
    """Feed attempts (lists of (event, seconds since start)) or lists of
    events (all at ``start``); return the steps the policy chose."""
    steps = []
    now = start
    for attempt in attempts:
        for item in attempt:
            event, now = item if isinstance(item, tuple) else (item, now)
            policy.observe(event, now)
        steps.append(policy.next_step(now, NOW))
    return steps


def delays(steps):
    assert all(step.name == "back_off" for step in steps)
    return [step.delay for step in steps]


# -- The schedule ------------------------------------------------------


def test_bounds_double_from_min_to_max():
    delays = first(7, backoff_delays(5, 30, random_source=lambda: 0.999999))
    assert [round(delay) for delay in delays] == [5, 10, 20, 30, 30, 30, 30]


def test_full_jitter_can_be_anything_below_the_bound():
    assert first(3, backoff_delays(5, 30, random_source=lambda: 0.0)) == [0.0, 0.0, 0.0]
    delays = first(200, backoff_delays(1, 8, random_source=random.Random(3).random))
    assert all(0 <= delay < 8 for delay in delays)
    assert len(set(delays)) == len(delays)


def test_seeded_schedule_is_reproducible():
    one = first(10, backoff_delays(2, 60, random_source=random.Random(42).random))
    two = first(10, backoff_delays(2, 60, random_source=random.Random(42).random))
    assert one == two


def test_zero_min_wait_still_backs_off():
    delays = first(3, backoff_delays(0, 10, random_source=lambda: 0.5))
    assert delays == [0.0, 5.0, 5.0]


@pytest.mark.parametrize("low, high", [(-1, 5), (10, 5)])
def test_bad_bounds(low, high):
    with pytest.raises(ValueError):
        next(backoff_delays(low, high))
    with pytest.raises(ValueError):
        ReconnectPolicy(low, high)


def test_policy_follows_the_schedule_while_failing():
    policy = ReconnectPolicy(1, 8, random_source=lambda: 0.5)
    assert delays(run(policy, [refused()] * 6)) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.failures == 6


def test_a_connection_that_stayed_up_resets_the_schedule():
    policy = ReconnectPolicy(1, 8, random_source=lambda: 0.5)
    run(policy, [refused()] * 3)
    lasted = [(events.Ready(None, None, set()), 10.0), (events.Disconnected("gone"), 11.0)]
    assert delays(run(policy, [lasted, refused()], start=10.0)) == [0.5, 1.0]
    assert policy.failures == 1


def test_a_connection_dropped_at_once_is_a_failure():
    policy = ReconnectPolicy(1, 8, random_source=lambda: 0.5)
    dropped = [(events.Ready(None, None, set()), 10.0), (events.Disconnected("gone"), 10.5)]
    assert delays(run(policy, [dropped] * 3, start=10.0)) == [0.5, 1.0, 2.0]
    assert policy.failures == 3


# -- Retry-After ---------------------------------------------------------


def test_retry_after_seconds():
    assert parse_retry_after("120", now=0) == 120.0
    assert parse_retry_after(" 0 ", now=0) == 0.0


def test_retry_after_http_date():
    date = email.utils.formatdate(NOW + 90, usegmt=True)
    assert parse_retry_after(date, NOW) == pytest.approx(90, abs=1)
    assert parse_retry_after(email.utils.formatdate(NOW - 90, usegmt=True), NOW) == 0.0


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", ""])
def test_retry_after_garbage(value):
    assert parse_retry_after(value, now=0) is None


@pytest.mark.parametrize(
    "status, value, floor",
    [
        (503, "120", 120.0),
        (429, "120", 120.0),
        (503, "7200", 600.0),  # capped
        (503, "0", 0.0),
        (503, email.utils.formatdate(NOW - 3600, usegmt=True), 0.0),  # clock skew
        (503, "soon", 0.0),
        (403, "120", 0.0),  # only 429 and 503 mean "come back later"
    ],
)
def test_retry_after_floor(status, value, floor):
    assert retry_after_floor(response(status, ("Retry-After", value)), NOW, 600.0) == floor
    assert retry_after_floor(response(status), NOW, 600.0) == 0.0
    assert retry_after_floor(None, NOW, 600.0) == 0.0


def busy(value):
    return [events.Connecting("ws://h/"), rejected(503, ("Retry-After", value)), events.Disconnected("rejected")]


@pytest.mark.parametrize("value", ["0", email.utils.formatdate(NOW - 5, usegmt=True)])
def test_retry_after_now_or_past_keeps_the_back_off(value):
    policy = ReconnectPolicy(1, 8, random_source=lambda: 0.5)
    assert delays(run(policy, [busy(value)] * 5)) == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_retry_after_never_shortens_the_back_off():
    policy = ReconnectPolicy(1, 8, random_source=lambda: 0.5)
    assert delays(run(policy, [busy("3")] * 5)) == [3.0, 3.0, 3.0, 4.0, 4.0]


def test_retry_after_in_the_future_is_a_floor_up_to_max_retry_after():
    policy = ReconnectPolicy(1, 8, max_retry_after=100, random_source=lambda: 0.5)
    later = email.utils.formatdate(NOW + 60, usegmt=True)
    assert delays(run(policy, [busy("90"), busy(later), busy("3600")])) == [90.0, pytest.approx(60, abs=1), 100.0]


def test_retry_after_can_be_ignored():
    policy = ReconnectPolicy(1, 8, respect_retry_after=False, random_source=lambda: 0.5)
    assert delays(run(policy, [busy("90")] * 2)) == [0.5, 1.0]


def test_retry_after_counts_for_one_attempt_only():
    policy = ReconnectPolicy(1, 8, random_source=lambda: 0.5)
    assert delays(run(policy, [busy("90"), refused()])) == [90.0, 1.0]


def test_bad_max_retry_after():
    with pytest.raises(ValueError):
        ReconnectPolicy(max_retry_after=-1)


# -- Giving up -----------------------------------------------------------


def test_retries_for_ever_by_default():
    policy = ReconnectPolicy(0, 0)
    steps = run(policy, [busy("0")] * 50 + [[events.ConnectFail("certificate verify failed")]] * 50)
    assert all(step.name == "back_off" for step in steps)


def test_give_up_on_a_matching_event():
    def fatal(event):
        return event.name == "rejected" and event.response.status_code in (401, 403, 404)

    policy = ReconnectPolicy(1, 8, give_up=fatal, random_source=lambda: 0.5)
    forbidden = [events.Connecting("ws://h/"), rejected(403), events.Disconnected("rejected")]
    steps = run(policy, [busy("0"), refused(), forbidden])
    assert [step.name for step in steps] == ["back_off", "back_off", "give_up"]
    give_up = steps[-1]
    assert give_up.event is forbidden[1]
    assert give_up.failures == 3
    assert "give_up returned True for Rejected(" in give_up.reason


def test_give_up_waits_for_the_end_of_the_connection():
    policy = ReconnectPolicy(1, 8, give_up=lambda event: event.name == "closing" and event.code == 4001)
    account_closed = [
        (events.Ready(None, None, set()), 0.0),
        (events.Closing(4001, u"account closed"), 100.0),
        (events.Disconnected("closed", graceful=True), 100.0),
    ]
    policy.observe(account_closed[0][0], 0.0)
    policy.observe(account_closed[1][0], 100.0)
    policy.observe(account_closed[2][0], 100.0)
    step = policy.next_step(100.0, NOW)
    assert step.name == "give_up"
    assert step.event is account_closed[1][0]
    assert step.failures == 0  # the connection itself was a success


def test_give_up_after_max_failures():
    policy = ReconnectPolicy(1, 8, max_failures=3, random_source=lambda: 0.5)
    steps = run(policy, [refused()] * 3)
    assert [step.name for step in steps] == ["back_off", "back_off", "give_up"]
    assert steps[-1].failures == 3
    assert steps[-1].event.name == "connect_fail"
    assert steps[-1].reason == "3 connection attempts failed in a row; the last: unable to connect to h port 80"


def test_a_success_resets_the_failures():
    policy = ReconnectPolicy(1, 8, max_failures=2, random_source=lambda: 0.5)
    lasted = [(events.Ready(None, None, set()), 5.0), (events.Disconnected("gone"), 60.0)]
    steps = run(policy, [refused(), lasted, refused(), refused()], start=5.0)
    assert [step.name for step in steps] == ["back_off", "back_off", "back_off", "give_up"]


def test_one_failure_is_enough_with_max_failures_1():
    steps = run(ReconnectPolicy(max_failures=1), [refused()])
    assert steps[0].name == "give_up"
    assert steps[0].reason == "the connection attempt failed: unable to connect to h port 80"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_bad_max_failures(bad):
    with pytest.raises(ValueError):
        ReconnectPolicy(max_failures=bad)


def test_give_up_must_be_callable():
    with pytest.raises(TypeError):
        ReconnectPolicy(give_up=403)
