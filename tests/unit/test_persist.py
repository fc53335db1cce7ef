"""The back-off schedule and Retry-After, without sleeping."""

import email.utils
import itertools
import random

import pytest

from lomond.persist import backoff_delays, parse_retry_after


def first(count, iterator):
    return list(itertools.islice(iterator, count))


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


def test_retry_after_seconds():
    assert parse_retry_after("120", now=0) == 120.0
    assert parse_retry_after(" 0 ", now=0) == 0.0


def test_retry_after_http_date():
    now = 1700000000.0
    date = email.utils.formatdate(now + 90, usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(90, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now) == 0.0


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", ""])
def test_retry_after_garbage(value):
    assert parse_retry_after(value, now=0) is None


def test_persist_checks_its_bounds_at_once():
    from lomond import WebSocket
    from lomond.persist import persist

    with pytest.raises(ValueError):
        persist(WebSocket("ws://example.org/"), min_wait=10, max_wait=5)
