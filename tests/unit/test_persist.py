"""persist() checks its arguments before it connects."""

import pytest

from lomond import WebSocket
from lomond.persist import backoff_delays, parse_retry_after, persist
from lomond import reconnect


@pytest.mark.parametrize(
    "options",
    [
        dict(min_wait=10, max_wait=5),
        dict(min_wait=-1),
        dict(max_retry_after=-1),
        dict(max_failures=0),
    ],
)
def test_persist_checks_its_arguments_at_once(options):
    with pytest.raises(ValueError):
        persist(WebSocket("ws://example.org/"), **options)


def test_give_up_must_be_callable():
    with pytest.raises(TypeError):
        persist(WebSocket("ws://example.org/"), give_up="403")


def test_the_schedule_is_still_importable_from_persist():
    assert backoff_delays is reconnect.backoff_delays
    assert parse_retry_after is reconnect.parse_retry_after
