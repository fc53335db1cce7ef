"""The two clocks of the IO half: monotonic for timers, wall for events.

The sans-IO modules never read a clock: the drivers pass the time in.
"""

import time

try:
    monotonic = time.monotonic
except AttributeError:  # pragma: no cover - Python 2.7
    from monotonic import monotonic

#: The wall clock, for :attr:`lomond.events.Event.received_time`.
wall_time = time.time

__all__ = ["monotonic", "wall_time"]
