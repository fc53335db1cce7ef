"""The bytes on their way to the server, in order, from every thread.

Several threads may send while the loop runs, and the loop itself sends
pongs, pings and closes. Whatever they send is framed under the
connection's lock and queued here, and the queue is written from its head
by whichever thread holds the lock, without ever blocking: a send that
the socket can't take at once is finished by a thread that waits for the
socket *outside* the lock (the writer), or by the loop when no sender
waits. So a server that stops reading holds up the senders, never the
loop: it goes on reading, firing timers and yielding events.
"""

import collections


class Outbox(object):
    """The queue of bytes for one transport.

    Every method is called with the connection's lock held.

    :param transport: The :class:`~lomond.transport.Transport`.
    """

    def __init__(self, transport):
        self.transport = transport
        self._can_hold_back = transport.can_hold_back
        self._chunks = collections.deque()
        self._offset = 0  # bytes of the first chunk already written
        #: Bytes ever queued; a sender's message ends at the value
        #: :meth:`push` returned.
        self.queued = 0
        #: Bytes ever taken by the transport.
        self.written = 0
        #: When bytes last went out, or the queue last started to fill:
        #: the stall timer counts from here.
        self.progress_time = None
        #: The thread that waits for the socket to take bytes, or None.
        self.writer = None
        #: Why nothing more can be sent (the stream is broken, or over).
        self.failure = None

    @property
    def is_empty(self):
        """True when nothing waits to be written."""
        return not self._chunks and not (self._can_hold_back and self.transport.has_backlog())

    def push(self, data, now):
        """Queue ``data`` behind everything else.

        :returns: The offset at which ``data`` ends: it has been sent once
            :attr:`written` reaches it.
        """
        if data:
            if self.is_empty:
                self.progress_time = now
            self._chunks.append(data)
            self.queued += len(data)
        return self.queued

    def write(self, data, now):
        """Queue ``data`` and write what the transport takes now: the same
        as :meth:`push` then :meth:`flush`, without the queue when it is
        empty (the common case: one message, a socket with room).

        :returns: The offset at which ``data`` ends, as :meth:`push`.
        :raises lomond.errors.TransportFail: If the socket fails.
        """
        if self._chunks or (self._can_hold_back and self.transport.has_backlog()):
            self.push(data, now)
            self.flush(now)
            return self.queued
        if not data:
            return self.queued  # nothing queued, nothing to add
        self.queued += len(data)
        # Whether bytes went out or the queue starts to fill, the stall
        # timer counts from now.
        self.progress_time = now
        count = self.transport.send(data)
        self.written += count
        if count < len(data):
            self._chunks.append(data)
            self._offset = count
        return self.queued

    def flush(self, now):
        """Write as much as the transport takes without blocking.

        :returns: True if the queue is now empty.
        :raises lomond.errors.TransportFail: If the socket fails.
        """
        chunks = self._chunks
        transport = self.transport
        moved = False
        while chunks:
            chunk = chunks[0]
            offset = self._offset
            count = transport.send(memoryview(chunk)[offset:] if offset else chunk)
            if not count:
                break
            moved = True
            self.written += count
            offset += count
            if offset >= len(chunk):
                chunks.popleft()
                offset = 0
            self._offset = offset
        if not chunks and transport.has_backlog():
            moved = transport.flush() or moved
        if moved:
            self.progress_time = now
        return self.is_empty

    def stalled(self, now, send_timeout):
        """True if bytes have waited for ``send_timeout`` seconds with
        nothing going out."""
        return (
            send_timeout is not None
            and not self.is_empty
            and now - self.progress_time >= send_timeout
        )

    def fail(self, reason):
        """Nothing more can be sent; say why to every waiting sender.

        The first reason stays: it is the cause, the rest are consequences.
        """
        if self.failure is None:
            self.failure = reason
        self._chunks.clear()
        self._offset = 0
