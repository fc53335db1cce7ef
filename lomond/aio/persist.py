"""Keep an asyncio WebSocket connected: the blocking ``persist()``'s
schedule and rules (:class:`~lomond.reconnect.ReconnectPolicy`), waited
out with asyncio."""

import asyncio
import random

from ..clock import wall_time
from ..reconnect import MAX_RETRY_AFTER, ReconnectPolicy


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

    The parameters are those of :func:`lomond.persist.persist`, with an
    ``asyncio.Event`` as ``exit_event``; the back-off, Retry-After and
    giving-up rules are the same.

    :returns: An asynchronous generator of events.
    :raises ValueError: For bounds out of order or negative (at once).
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
    options = dict(poll=poll, ping_rate=ping_rate, ping_timeout=ping_timeout, exit_event=exit_event)
    options.update(connect_options)
    websocket.connect(**options)  # checks the options now, not at the first connection
    return _persist(websocket, policy, exit_event, options)


async def _persist(websocket, policy, exit_event, options):
    loop = asyncio.get_running_loop()
    while exit_event is None or not exit_event.is_set():
        events = websocket.connect(**options)
        try:
            async for event in events:
                policy.observe(event, loop.time())
                yield event
        finally:
            await events.aclose()
        if exit_event is not None and exit_event.is_set():
            return
        step = policy.next_step(loop.time(), wall_time())
        step.received_time = wall_time()
        yield step
        if step.name == "give_up" or await _exit_within(exit_event, step.delay):
            return


async def _exit_within(exit_event, delay):
    """Wait ``delay`` seconds; True if ``exit_event`` was set meanwhile."""
    if exit_event is None:
        await asyncio.sleep(delay)
        return False
    try:
        await asyncio.wait_for(exit_event.wait(), delay)
    except asyncio.TimeoutError:
        return False
    return True
