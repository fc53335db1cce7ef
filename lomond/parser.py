"""A coroutine stream parser: generators that ask for bytes.

Theory of operation
-------------------

A parser is written as one generator method, ``parse()``, that reads like
the specification it implements. It asks for bytes by yielding a *read
request*, and the bytes come back as the value of that ``yield``::

    def parse(self):
        while True:
            header = yield 2                      # exactly 2 bytes
            line = yield ReadUntil(b"\\r\\n", 4096) # up to and including CRLF
            yield Thing(header, line)             # anything else: a result

A read request is an ``int`` (read exactly that many bytes) or a
:class:`ReadUntil`. Any other value the generator yields is a *result*, which
is returned to the code that fed the bytes. Results must therefore never be
ints or ReadUntil objects.

The generator's position *is* the parse state, so bytes arriving in small
pieces are never parsed twice: the driver below just waits until the
current request can be met. Bytes live in one receive buffer that is
compacted in place, so feeding is linear in the amount of data.

An exception raised by the generator ends the parser, but it does not
lose work: ``feed()`` returns the results completed before the error as
usual and the exception is kept in :attr:`Parser.error`, for the caller to
check after handling those results.

There are two ways to give a parser bytes:

- ``feed(data)`` copies ``data`` in and returns the results;
- ``get_buffer()`` returns writable memory for ``socket.recv_into``, and
  ``buffer_updated(n)`` says how many bytes were written there. An exact
  read of ``large_read`` bytes or more that is not yet buffered gets a
  buffer of its own, so a big payload is received straight into the memory
  that becomes its value instead of passing through the receive buffer.

A parser may share its receive buffer (``scratch``) with the other parsers
of one thread. While it holds no bytes of an unfinished item, it receives
into the shared buffer and parses from there, and afterwards copies only
what is left (the start of the next item) into memory of its own, sized
to it. A driver with thousands of mostly idle connections then pays for
one receive buffer, not one per connection.

Memory follows the traffic. The large-read buffer is kept for the next
large read (warm memory is much cheaper than fresh pages), and the receive
buffer grows when an item needs it. Both go back to the initial sizes at
an item boundary with little data waiting, if no large read or growth has
happened since the boundary before: back-to-back large items reuse one
buffer, and the first small item after them lets it go.

The generator code must run on Python 2.7: no ``yield from`` and no
``return value``.
"""


class ParseError(Exception):
    """The parser was used wrongly, or its input is malformed."""


class ParseOverflow(ParseError):
    """A ReadUntil request found no separator within its limit."""


class ReadUntil(object):
    """A read request: every byte up to and including ``sep``.

    :param bytes sep: The separator to look for.
    :param int limit: The most bytes to accept (separator included) before
        failing with :class:`ParseOverflow`.
    :param str overflow: The message of that error, if the default (which
        names the separator and the limit) would not say what is wrong.
    """

    __slots__ = ["sep", "limit", "overflow"]

    def __init__(self, sep, limit, overflow=None):
        self.sep = sep
        self.limit = limit
        self.overflow = overflow

    def __repr__(self):
        return "ReadUntil({!r}, {!r})".format(self.sep, self.limit)

    def overflowed(self):
        """The error for bytes that reach the limit without the separator.

        :rtype: ParseOverflow
        """
        if self.overflow is not None:
            return ParseOverflow(self.overflow)
        return ParseOverflow("no {!r} within {} bytes".format(self.sep, self.limit))


class Parser(object):
    """Drive the ``parse()`` generator of a subclass with bytes."""

    # Thousands of connections may each hold one: no __dict__ each.
    __slots__ = [
        "_scratch",
        "_buf",
        "_view",
        "_start",
        "_end",
        "_scan",
        "_target",
        "_target_size",
        "_spare",
        "_busy",
        "_filled",
        "_extra",
        "at_boundary",
        "_gen",
        "_request",
        "error",
        "_pending_results",
        "__weakref__",
    ]

    #: Initial size of the receive buffer.
    buffer_size = 256 * 1024
    #: An exact read this large that is not already buffered is received
    #: into memory of its own (see the module docstring).
    large_read = 32 * 1024
    #: A large-read buffer up to this size is kept for the next large
    #: read: reusing warm memory is much cheaper than touching fresh pages.
    #: It is also the most allocated for a read before its bytes arrive:
    #: beyond it the buffer grows with the data, so a mere header can't
    #: make the parser allocate a huge declared length.
    keep_large_buffer = 16 * 1024 * 1024
    #: Return from the driver loop after a result at an item boundary, so
    #: that a subclass can take the following items another way.
    pause_at_boundary = False
    #: With a shared buffer: the least memory taken for bytes held over
    #: from one read to the next.
    own_buffer_size = 4096

    def __init__(self, scratch=None):
        #: A buffer shared with other parsers of one thread, or None (see
        #: :meth:`get_buffer`).
        self._scratch = scratch
        if scratch is None:
            self._buf = bytearray(self.buffer_size)
            self._view = memoryview(self._buf)
        else:
            self._buf = self._view = None  # none of its own until needed
        self._start = 0  # first unconsumed byte
        self._end = 0  # end of the bytes received
        self._scan = 0  # where a ReadUntil search resumes
        self._target = None  # memoryview receiving a large read
        self._target_size = 0  # the size of that read
        self._spare = None  # the kept large-read buffer
        self._busy = False  # a large read or growth since the last _settle()
        self._filled = 0  # bytes already in the target
        self._extra = b""  # fed after the generator finished
        if self.buffer_size < 8:
            # Below this, a quarter of the buffer is under 2 bytes and a
            # full buffer would never be compacted.
            raise ValueError("buffer_size must be at least 8 bytes")
        #: Subclasses set this False while in the middle of an item, so
        #: that :attr:`is_idle` knows a boundary from a pause.
        self.at_boundary = True
        self._gen = self.parse()
        self._request = None
        #: The exception that ended parsing, or None.
        self.error = None
        # Results the generator gave before asking for bytes (rare): the
        # first feed returns them. None, not [], when there are none: an
        # idle parser keeps no empty list.
        self._pending_results = None
        try:
            value = next(self._gen)
            while type(value) is not int and type(value) is not ReadUntil:
                if self._pending_results is None:
                    self._pending_results = []
                self._pending_results.append(value)
                value = next(self._gen)
        except StopIteration:
            value = None
        self._request = value

    def parse(self):
        """The parse generator; subclasses implement it."""
        raise NotImplementedError("Parser subclasses implement parse()")
        yield  # pragma: no cover

    @property
    def is_finished(self):
        """True once the parse generator has returned or failed."""
        return self._request is None

    @property
    def is_idle(self):
        """True between two items: no bytes of an unfinished item held.

        A stream that ends while the parser is idle ended between two
        items; otherwise it ended in the middle of one.
        """
        return self.at_boundary and self._target is None and self._start == self._end

    def feed(self, data):
        """Parse ``data`` and return the list of results it completed.

        Check :attr:`error` afterwards: if it is set, parsing has ended.

        :param bytes data: Received bytes (any bytes-like object).
        :rtype: list
        :raises ParseError: If the parser had already finished.
        """
        results = self._pending_results
        if results is None:
            results = []
        else:
            self._pending_results = None
        source = memoryview(data)
        size = len(source)
        pos = 0
        if size and self._request is None:
            raise ParseError("the parser has finished; it takes no more data")
        while pos < size:
            if self._request is None:
                # Finished part way: keep the rest for unconsumed().
                self._extra = source[pos:].tobytes()
                break
            space = self.get_buffer()
            count = min(len(space), size - pos)
            space[:count] = source[pos : pos + count]
            del space
            results.extend(self.buffer_updated(count))
            pos += count
        return results

    def get_buffer(self):
        """Return writable memory for the next received bytes.

        Write into it (e.g. with ``socket.recv_into``) and then call
        :meth:`buffer_updated` with the number of bytes written, before
        calling any other method.

        :rtype: memoryview
        :raises ParseError: If the parser has finished.
        """
        if self._request is None:
            raise ParseError("the parser has finished; it takes no more data")
        if self._target is not None:
            return self._target[self._filled :]
        start, end = self._start, self._end
        if start == end and self._scratch is not None:
            # Holding nothing: receive into the shared buffer, and keep
            # only what is left of it afterwards (buffer_updated).
            self._buf = self._scratch
            self._view = memoryview(self._buf)
            self._start = self._end = self._scan = 0
            return self._view
        capacity = len(self._buf)
        if start == end:
            self._start = self._end = self._scan = 0
        elif capacity - end < capacity // 4:
            pending = end - start
            if pending * 2 > capacity:
                buf = bytearray(capacity * 2)
                buf[:pending] = self._view[start:end]
                self._buf = buf
                self._view = memoryview(buf)
                self._busy = True
            else:
                # Same-length slice assignment: moves bytes, never resizes.
                self._buf[:pending] = self._buf[start:end]
            self._start = 0
            self._end = pending
            self._scan = max(0, self._scan - start)
        return self._view[self._end :]

    def buffer_updated(self, count):
        """Parse ``count`` bytes just written to :meth:`get_buffer` memory.

        Check :attr:`error` afterwards, as for :meth:`feed`.

        :param int count: How many bytes were written.
        :returns: The results those bytes completed.
        :rtype: list
        """
        results = self._pending_results
        if results is None:
            results = []
        else:
            self._pending_results = None
        if self._target is not None:
            self._filled += count
            if self._filled < self._target_size:
                if self._filled == len(self._target):
                    self._grow_target()
                return results
            data = self._target.tobytes()
            self._target = None
            self._deliver(data, results)
        else:
            self._end += count
        if self._request is not None:
            self._run(results)
            if self._scratch is not None and (self._buf is self._scratch or self._start == self._end):
                self._keep_rest()
            elif (
                self.at_boundary
                and self._target is None
                and (self._spare is not None or len(self._buf) > self.buffer_size)
            ):
                self._settle()
        return results

    def _keep_rest(self):
        """Copy what is left in the shared buffer into memory of the
        parser's own, sized to it: the shared buffer is another parser's
        next."""
        start, end = self._start, self._end
        pending = end - start
        if pending:
            buf = bytearray(max(pending * 2, self.own_buffer_size))
            buf[:pending] = self._view[start:end]
            self._buf = buf
            self._view = memoryview(buf)
        else:
            # Nothing to keep: hold no memory at all until the next read
            # (get_buffer() takes the shared buffer again).
            self._buf = self._view = None
        self._start = 0
        self._end = pending
        self._scan = max(0, self._scan - start)

    def unconsumed(self):
        """Return (and forget) the received bytes not yet requested.

        Used to hand the rest of a stream over to another parser once this
        one has finished.

        :rtype: bytes
        """
        view = self._view
        data = (b"" if view is None else view[self._start : self._end].tobytes()) + self._extra
        self._start = self._end = self._scan = 0
        self._extra = b""
        return data

    def _deliver(self, data, results):
        """Send ``data`` to the generator; collect results until a request."""
        gen = self._gen
        try:
            value = gen.send(data)
            while type(value) is not int and type(value) is not ReadUntil:
                results.append(value)
                value = gen.send(None)
        except StopIteration:
            value = None
        except Exception as error:
            self.error = error
            value = None
        self._request = value

    def _run(self, results):
        """Meet read requests from the receive buffer while it can."""
        if self._target is not None:
            return  # a large read is being received into its own buffer
        buf = self._buf
        view = self._view
        append = results.append
        gen = self._gen
        start = self._start
        end = self._end
        request = self._request
        try:
            while request is not None:
                if type(request) is int:
                    stop = start + request
                    if stop > end:
                        if request >= self.large_read:
                            self._begin_large_read(request, start, end)
                            start = end = 0
                        break
                    data = view[start:stop].tobytes()
                else:
                    sep = request.sep
                    index = buf.find(sep, max(start, self._scan), end)
                    if index < 0:
                        if end - start >= request.limit:
                            raise request.overflowed()
                        self._scan = max(start, end - len(sep) + 1)
                        break
                    stop = index + len(sep)
                    if stop - start > request.limit:
                        raise request.overflowed()
                    data = view[start:stop].tobytes()
                start = stop
                self._scan = start
                value = gen.send(data)
                if type(value) is not int and type(value) is not ReadUntil:
                    while type(value) is not int and type(value) is not ReadUntil:
                        append(value)
                        value = gen.send(None)
                    if self.pause_at_boundary and self.at_boundary:
                        request = value
                        break  # let the subclass's fast path have a go
                request = value
        except StopIteration:
            request = None
        except Exception as error:
            self.error = error
            request = None
        finally:
            self._start = start
            self._end = end
            self._request = request

    def _settle(self):
        """Go back to the initial buffers once big ones are out of use.

        Called at an item boundary after bytes arrive. A large read or a
        growth since the last call keeps the buffers one more round (the
        next item may be large too); otherwise the item since then was
        small, and the memory is released.
        """
        if self._busy:
            self._busy = False
            return
        start, end = self._start, self._end
        pending = end - start
        size = self.buffer_size
        if pending > size // 2:
            return
        self._spare = None
        if len(self._buf) > size:
            buf = bytearray(size)
            buf[:pending] = self._view[start:end]
            self._buf = buf
            self._view = memoryview(buf)
            self._start = 0
            self._end = pending
            self._scan = max(0, self._scan - start)

    def _begin_large_read(self, size, start, end):
        """Move a partial large read into a target buffer of its own."""
        self._busy = True
        spare = self._spare
        if spare is not None and len(spare) >= size:
            buffer = spare
        else:
            room = min(size, self.keep_large_buffer)
            buffer = bytearray(room)
            if room == size:
                self._spare = buffer
        have = end - start
        target = memoryview(buffer)[: min(size, len(buffer))]
        if have:
            target[:have] = self._view[start:end]
        self._target = target
        self._target_size = size
        self._filled = have
        self._scan = 0

    def _grow_target(self):
        """Double a large-read buffer that the arriving bytes have filled."""
        filled = self._filled
        buffer = bytearray(min(self._target_size, 2 * filled))
        buffer[:filled] = self._target
        self._target = memoryview(buffer)

    def close(self):
        """Release the buffers and end the parse generator.

        A parser and its generator refer to each other; closing breaks
        the cycle at once instead of leaving it (and up to
        ``keep_large_buffer`` bytes) to the garbage collector.
        """
        self._request = None
        self._target = self._spare = None
        self._view = self._buf = None
        gen = self._gen
        self._gen = None
        if gen is not None:
            gen.close()
