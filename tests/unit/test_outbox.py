"""The queue of bytes for one transport, with a scripted transport: no
socket, no clock."""

import pytest

from lomond.errors import TransportFail
from lomond.outbox import Outbox


class ScriptedTransport(object):
    """Takes at most ``room`` bytes in all, then nothing until given more."""

    can_hold_back = False

    def __init__(self, room):
        self.room = room
        self.taken = b""
        self.fail_with = None

    def send(self, data):
        if self.fail_with is not None:
            raise TransportFail(self.fail_with)
        count = min(len(data), self.room)
        self.taken += memoryview(data)[:count].tobytes()  # (bytes() of a memoryview is its repr on 2.7)
        self.room -= count
        return count

    def has_backlog(self):
        return False

    def flush(self):
        return False


def test_write_with_room_sends_at_once_and_queues_nothing():
    transport = ScriptedTransport(100)
    outbox = Outbox(transport)
    end = outbox.write(b"hello", now=1.0)
    assert end == 5 and outbox.written == 5
    assert transport.taken == b"hello"
    assert outbox.is_empty
    assert outbox.progress_time == 1.0


def test_write_queues_what_the_socket_did_not_take_and_flush_finishes_it():
    transport = ScriptedTransport(3)
    outbox = Outbox(transport)
    end = outbox.write(b"hello", now=1.0)
    assert (end, outbox.written) == (5, 3)
    assert not outbox.is_empty
    # Nothing moves while the socket is full: the stall timer counts
    # from when the queue started to fill.
    assert outbox.flush(now=2.0) is False
    assert outbox.stalled(now=3.0, send_timeout=2.0)
    assert not outbox.stalled(now=2.5, send_timeout=2.0)
    transport.room = 100
    assert outbox.flush(now=4.0) is True
    assert transport.taken == b"hello" and outbox.written == 5
    assert outbox.progress_time == 4.0


def test_write_behind_a_queue_keeps_the_order():
    transport = ScriptedTransport(2)
    outbox = Outbox(transport)
    outbox.write(b"first", now=0.0)
    end = outbox.write(b"second", now=0.0)  # queued behind the rest of "first"
    assert end == 11 and outbox.written == 2
    transport.room = 100
    outbox.flush(now=1.0)
    assert transport.taken == b"firstsecond"


def test_write_of_nothing_changes_nothing():
    outbox = Outbox(ScriptedTransport(0))
    assert outbox.write(b"", now=5.0) == 0
    assert outbox.is_empty and outbox.progress_time is None


def test_a_failing_socket_raises_and_the_first_reason_stays():
    transport = ScriptedTransport(0)
    outbox = Outbox(transport)
    outbox.write(b"abc", now=0.0)
    transport.fail_with = "reset"
    with pytest.raises(TransportFail):
        outbox.flush(now=1.0)
    outbox.fail("the cause")
    outbox.fail("a consequence")
    assert outbox.failure == "the cause"
    assert outbox.is_empty


class HoldingTransport(ScriptedTransport):
    """Takes every byte at once but holds some back, as TLS inside TLS
    does, until flushed."""

    can_hold_back = True

    def __init__(self):
        ScriptedTransport.__init__(self, room=1 << 20)
        self.held = False

    def send(self, data):
        self.held = True
        return ScriptedTransport.send(self, data)

    def has_backlog(self):
        return self.held

    def flush(self):
        self.held = False
        return True


def test_bytes_a_transport_holds_back_keep_the_outbox_busy_until_flushed():
    transport = HoldingTransport()
    outbox = Outbox(transport)
    outbox.write(b"first", now=0.0)
    assert not outbox.is_empty  # all taken, but not yet on the wire
    outbox.write(b"", now=1.0)  # the loop's turn: flushes the transport
    assert outbox.is_empty
    assert transport.taken == b"first"
