"""Soak test: a Lomond client under persist() against a chaotic local server.

Run from the repository root (not part of the unit suite)::

    python3 benchmarks/soak.py --minutes 10 --seed 1

Two processes, so that the numbers measured in the client are the
client's alone:

* the **server** (this file with ``--serve``, started as a subprocess) binds
  127.0.0.1 and, with every choice drawn from ``--seed``: accepts the
  upgrade with or without permessage-deflate (random parameters); sends
  random valid traffic (text with multi-byte UTF-8, binary, 0 to 256 KiB,
  some fragmented, split anywhere, even inside a character; some
  compressed) and pings; then ends the connection with a close frame
  (random valid code and reason), a TCP close without a close frame, a
  close in the middle of a frame, a reset, or a stall (no more pongs, so
  the client's ping timeout fires). Every 15 to 45 s it refuses
  connections for 1 to 4 s, either by closing its listening socket or by
  answering ``503`` with ``Retry-After``. It keeps every message it sent
  until the echo comes back and compares the echo byte for byte. (The
  choices follow the seed; thread timing does not, so two runs with one
  seed differ in the details.)
* the **client** (this process) runs ``persist(WebSocket(url,
  compress=True))`` with short back-off, echoes every text and binary
  message, and samples its own memory (VmRSS, tracemalloc) and file
  descriptors every ``--sample-every`` seconds. It uses only the public
  API: ``lomond.WebSocket``, ``lomond.persist.persist``, events and
  ``lomond.errors``.

At the end it prints the samples, the counters of both sides, the CPU time
of both processes and a verdict; the exit status is 0 only if it passes:

* no echo mismatch, no protocol error seen by either side, no message lost
  at a graceful close (only abrupt drops may lose messages in flight), every
  close echoed with its code, no error in the server;
* the client's *settled* RSS at the end within max(5 MiB, 10 %) of the
  first sample after the warm-up (``--warmup``, 120 s). Before reading it,
  each sample runs ``gc.collect()`` and glibc's ``malloc_trim(0)``: VmRSS
  as found (printed too) climbs to the allocator's high-water mark, made
  of garbage that waits for the cyclic collector (each connection's
  parsers are in a reference cycle) and of free heap that glibc keeps.
  What is left after settling is what the client really holds, and a leak
  shows there. ``--no-settle`` judges VmRSS as found instead. The
  least-squares trend after the warm-up is printed as well;
* the client's non-socket descriptors the same at every sample; its
  socket count either 0 or one fixed value k <= 3 (persist() holds one
  connection at a time: its TCP socket, plus the transport's wake-up
  socketpair in versions that have one), and 0 once the client has
  stopped.

Options: ``--minutes`` (10), ``--seed`` (1), ``--sample-every`` (30 s),
``--warmup`` (120 s), ``--no-settle``,
``--no-tracemalloc`` (tracemalloc costs client CPU; the RSS check does not
need it).
"""

from __future__ import print_function

import argparse
import collections
import gc
import json
import os
import platform
import random
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import lomond  # noqa: E402
from lomond import WebSocket  # noqa: E402
from lomond.errors import WebSocketError  # noqa: E402
from lomond.persist import persist  # noqa: E402

MIB = 1024 * 1024

# -- The server (a separate process) -------------------------------------------

#: Valid close codes a server may send (RFC 6455 7.4, IANA registry).
CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]

#: At most this much unechoed data in flight per connection.
MAX_PENDING_MESSAGES = 32
MAX_PENDING_BYTES = 1 * MIB

#: Timeout of every blocking socket call in the server.
SERVER_TIMEOUT = 20.0

ENDINGS = [("close", 45), ("drop", 20), ("drop_mid_frame", 15), ("reset", 12), ("stall", 8)]


def weighted(rng, choices):
    total = sum(weight for _value, weight in choices)
    point = rng.uniform(0, total)
    for value, weight in choices:
        point -= weight
        if point <= 0:
            return value
    return choices[-1][0]


def make_text_pool(rng, chars):
    """Random text mixing 1-, 2-, 3- and 4-byte UTF-8 characters."""
    ranges = [
        (0x20, 0x7E, 50),
        (0xA0, 0x7FF, 20),
        (0x800, 0xD7FF, 15),
        (0xE000, 0xFFFD, 5),
        (0x10000, 0x10FFFF, 10),
    ]
    pieces = []
    for _ in range(chars):
        low, high = weighted(rng, [((low, high), weight) for low, high, weight in ranges])
        pieces.append(chr(rng.randint(low, high)))
    return "".join(pieces)


def message_size(rng):
    """0 to 256 KiB, mostly small."""
    bucket = rng.random()
    if bucket < 0.6:
        return rng.randint(0, 1024)
    if bucket < 0.9:
        return rng.randint(1025, 32 * 1024)
    return rng.randint(32 * 1024 + 1, 256 * 1024)


def close_reason(rng, text_pool):
    """A random reason of at most 123 bytes of UTF-8, cut at a character."""
    start = rng.randint(0, len(text_pool) - 130)
    reason = text_pool[start : start + rng.randint(0, 120)]
    while len(reason.encode("utf-8")) > 123:
        reason = reason[:-1]
    return reason


class Stats(object):
    """Counters shared by the server's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts = collections.Counter()
        self.errors = []

    def add(self, name, amount=1):
        with self._lock:
            self.counts[name] += amount

    def error(self, text):
        with self._lock:
            self.counts["server_errors"] += 1
            if len(self.errors) < 5:
                self.errors.append(text)


class _Settings(object):
    """What lomond.testing.ServerConnection reads from its server."""

    protocols = ()
    deflate = None


class Link(object):
    """One accepted connection: a sender (the connection's thread) and a
    reader thread. Only the sender writes to the socket, so a reader never
    blocks on a send while the client is blocked sending to us."""

    def __init__(self, conn, rng, stats, text_pool, blob_pool):
        self.conn = conn
        self.rng = rng
        self.stats = stats
        self.text_pool = text_pool
        self.blob_pool = blob_pool
        self.cond = threading.Condition()
        self.pending = collections.deque()  # (is_text, payload) awaiting echo
        self.pending_bytes = 0
        self.control = collections.deque()  # (opcode, payload) for the sender
        self.reader_done = False
        self.stalled = False
        self.dropping = False
        self.close_sent_code = None
        self.client_closed = False

    # -- Reader --------------------------------------------------------

    def read_loop(self):
        from lomond.errors import CriticalProtocolError, ProtocolError
        from lomond.events import Binary, Closing, Ping, Pong, Text
        from lomond.opcode import Opcode
        from lomond.testing import ConnectionClosed

        stats = self.stats
        try:
            while True:
                try:
                    event = self.conn.recv(auto_pong=False, auto_close=False)
                except ConnectionClosed:
                    break
                except (ProtocolError, CriticalProtocolError) as error:
                    if not self.dropping:
                        stats.add("client_protocol_errors")
                        stats.error("client broke the protocol: {!r}".format(error))
                    break
                except (socket.timeout, OSError):
                    break
                if isinstance(event, (Text, Binary)):
                    is_text = isinstance(event, Text)
                    echo = event.text.encode("utf-8") if is_text else event.data
                    with self.cond:
                        expected = self.pending.popleft() if self.pending else None
                        if expected is not None:
                            self.pending_bytes -= len(expected[1])
                        self.cond.notify_all()
                    if expected == (is_text, echo):
                        stats.add("echoes_checked")
                        stats.add("echo_bytes_checked", len(echo))
                    else:
                        stats.add("mismatches")
                        stats.error(
                            "echo mismatch: got {} of {} bytes, expected {}".format(
                                "text" if is_text else "binary",
                                len(echo),
                                None if expected is None else (expected[0], len(expected[1])),
                            )
                        )
                elif isinstance(event, Ping):
                    stats.add("pings_received")
                    if not self.stalled:
                        self.queue_control(Opcode.PONG, event.data)
                elif isinstance(event, Pong):
                    stats.add("pongs_received")
                elif isinstance(event, Closing):
                    # Lomond echoes a close with the code alone; a close
                    # with a reason is the client's own (it is exiting).
                    if self.close_sent_code is None or event.reason:
                        # The client started the close (it is exiting).
                        self.client_closed = True
                        stats.add("client_initiated_closes")
                        payload = b"" if event.code is None else struct.pack("!H", event.code)
                        self.queue_control(Opcode.CLOSE, payload)
                    elif event.code != self.close_sent_code:
                        stats.add("close_echo_mismatches")
                        stats.error("close {} echoed as {}".format(self.close_sent_code, event.code))
                    else:
                        stats.add("close_echoes_checked")
                    break
        except Exception:
            stats.error("reader: " + traceback.format_exc())
        finally:
            with self.cond:
                self.reader_done = True
                self.cond.notify_all()

    def queue_control(self, opcode, payload):
        with self.cond:
            self.control.append((opcode, payload))
            self.cond.notify_all()

    # -- Sender ----------------------------------------------------------

    def flush_control(self):
        while True:
            with self.cond:
                if not self.control:
                    return
                opcode, payload = self.control.popleft()
            self.conn.send_frame(opcode, payload)

    def wait(self, until, timeout):
        """Wait (flushing control frames) until ``until()`` is true."""
        deadline = time.time() + timeout
        while True:
            self.flush_control()
            with self.cond:
                if until() or self.control:
                    if not self.control:
                        return True
                    continue
                remaining = deadline - time.time()
                if remaining <= 0:
                    return False
                self.cond.wait(min(remaining, 0.5))

    def room(self):
        return self.reader_done or (
            len(self.pending) < MAX_PENDING_MESSAGES and self.pending_bytes < MAX_PENDING_BYTES
        )

    def next_message(self):
        rng = self.rng
        size = message_size(rng)
        if rng.random() < 0.5:
            chars = size // 2
            start = rng.randint(0, len(self.text_pool) - chars)
            return True, self.text_pool[start : start + chars].encode("utf-8")
        start = rng.randint(0, len(self.blob_pool) - size)
        return False, self.blob_pool[start : start + size]

    def send_message(self, is_text, payload):
        from lomond.opcode import Opcode

        rng = self.rng
        opcode = Opcode.TEXT if is_text else Opcode.BINARY
        deflate = self.conn.deflate
        compress = deflate is not None and deflate.can_compress and rng.random() < 0.7
        body = deflate.compress(payload) if compress else payload
        with self.cond:
            self.pending.append((is_text, payload))
            self.pending_bytes += len(payload)
        self.stats.add("messages_sent")
        self.stats.add("text_sent" if is_text else "binary_sent")
        self.stats.add("bytes_sent", len(payload))
        if compress:
            self.stats.add("compressed_sent")
        if len(body) > 1 and rng.random() < 0.2:
            # Fragments split anywhere, even inside a UTF-8 character.
            cuts = sorted(set(rng.randint(1, len(body) - 1) for _ in range(rng.randint(1, 5))))
            bounds = [0] + cuts + [len(body)]
            self.stats.add("fragmented_sent")
            for index in range(len(bounds) - 1):
                self.flush_control()
                self.conn.send_frame(
                    opcode if index == 0 else Opcode.CONTINUATION,
                    body[bounds[index] : bounds[index + 1]],
                    fin=index == len(bounds) - 2,
                    rsv1=compress and index == 0,
                )
        else:
            self.conn.send_frame(opcode, body, rsv1=compress)

    def run(self):
        from lomond.opcode import Opcode

        rng = self.rng
        stats = self.stats
        reader = threading.Thread(target=self.read_loop, name="soak-reader")
        reader.daemon = True
        reader.start()
        ending = weighted(rng, ENDINGS)
        try:
            for _ in range(rng.randint(0, 150)):
                if not self.wait(self.room, SERVER_TIMEOUT):
                    stats.add("server_flow_timeouts")
                    ending = "drop"
                    break
                if self.reader_done:
                    break
                action = rng.random()
                if action < 0.88:
                    self.send_message(*self.next_message())
                elif action < 0.97:
                    stats.add("pings_sent")
                    self.conn.send_frame(Opcode.PING, self.blob_pool[: rng.randint(0, 125)])
                else:
                    time.sleep(rng.uniform(0, 0.05))
            self.flush_control()
            if self.reader_done:
                ending = "client_gone"
            self.end(ending)
        except (socket.timeout, OSError):
            # The client went away while we were sending: its disconnect
            # reasons say why.
            stats.add("server_send_failures")
            self.finish_abruptly(socket.SHUT_RDWR)
        reader.join(SERVER_TIMEOUT)
        with self.cond:
            lost = len(self.pending)
        if ending == "close" and not self.client_closed:
            stats.add("lost_at_graceful_close", lost)
        elif self.client_closed:
            stats.add("lost_at_client_exit", lost)
        else:
            stats.add("lost_to_abrupt_ends", lost)
        try:
            self.conn.sock.close()
        except OSError:
            pass

    def end(self, ending):
        from lomond.opcode import Opcode

        rng = self.rng
        stats = self.stats
        if ending == "client_gone":
            stats.add("ended_by_client")
            self.wait(lambda: self.reader_done, SERVER_TIMEOUT)
            self.finish_abruptly(socket.SHUT_RDWR)
        elif ending == "close":
            code = rng.choice(CLOSE_CODES) if rng.random() < 0.6 else rng.randint(3000, 4999)
            reason = close_reason(rng, self.text_pool)
            stats.add("closes_sent")
            self.close_sent_code = code
            self.conn.send_frame(Opcode.CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))
            if not self.wait(lambda: self.reader_done, SERVER_TIMEOUT):
                stats.error("no close reply within {}s".format(SERVER_TIMEOUT))
            # RFC 6455 7.1.1: the server closes the TCP connection first.
            self.finish_abruptly(socket.SHUT_RDWR)
        elif ending == "drop":
            stats.add("drops")
            self.finish_abruptly(socket.SHUT_RDWR)
        elif ending == "drop_mid_frame":
            stats.add("drops_mid_frame")
            size = rng.randint(2, 1000)
            header = struct.pack("!BBH", 0x82, 126, size)
            self.conn.send_raw(header + self.blob_pool[: rng.randint(0, size - 1)])
            self.finish_abruptly(socket.SHUT_RDWR)
        elif ending == "reset":
            stats.add("resets")
            self.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.finish_abruptly(socket.SHUT_RD)
        else:
            stats.add("stalls")
            self.stalled = True
            if self.wait(lambda: self.reader_done, SERVER_TIMEOUT):
                stats.add("stalls_ended_by_client")
            self.finish_abruptly(socket.SHUT_RDWR)

    def finish_abruptly(self, how):
        """Shut the socket down (waking the reader) without a close frame."""
        self.dropping = True
        try:
            self.conn.sock.shutdown(how)
        except OSError:
            pass


class ChaosServer(object):
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.text_pool = make_text_pool(random.Random(seed + 1), 300 * 1024)
        blob_rng = random.Random(seed + 2)
        self.blob_pool = bytes(bytearray(blob_rng.getrandbits(8) for _ in range(512 * 1024)))
        self.port = None
        self.listener = None
        self.stopping = threading.Event()
        self.threads = []
        self.refuse_until = 0.0

    def listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(16)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self.listener = listener

    def accept_loop(self):
        rng = self.rng
        stats = self.stats
        next_refusal = time.time() + rng.uniform(15, 45)
        while not self.stopping.is_set():
            now = time.time()
            if now >= next_refusal:
                duration = rng.uniform(1, 4)
                next_refusal = now + duration + rng.uniform(15, 45)
                if rng.random() < 0.5:
                    stats.add("refusal_periods_not_listening")
                    self.listener.close()
                    self.stopping.wait(duration)
                    for _attempt in range(50):
                        try:
                            self.listen()
                            break
                        except OSError:
                            time.sleep(0.1)
                    else:
                        stats.error("could not listen on port {} again".format(self.port))
                        return
                    continue
                stats.add("refusal_periods_503")
                self.refuse_until = now + duration
            try:
                sock, address = self.listener.accept()
            except socket.timeout:
                continue
            except OSError as error:
                stats.error("accept: {!r}".format(error))
                return
            seed = rng.getrandbits(64)
            thread = threading.Thread(target=self.serve, args=(sock, address, seed), name="soak-conn")
            thread.daemon = True
            self.threads = [old for old in self.threads if old.is_alive()] + [thread]
            thread.start()
        self.listener.close()

    def serve(self, sock, address, seed):
        from lomond.testing import ConnectionClosed, ServerConnection, ServerDeflate

        rng = random.Random(seed)
        stats = self.stats
        stats.add("tcp_accepted")
        try:
            sock.settimeout(SERVER_TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = ServerConnection(_Settings, sock, address)
            conn.read_request()
            if time.time() < self.refuse_until:
                stats.add("rejected_503")
                conn.reject(503, "Service Unavailable", headers=[("Retry-After", str(rng.randint(0, 3)))])
                return
            deflate = None
            if rng.random() < 0.6:
                stats.add("compression_accepted")
                deflate = ServerDeflate(
                    server_no_context_takeover=rng.random() < 0.3,
                    client_no_context_takeover=rng.random() < 0.3,
                    server_max_window_bits=rng.choice([None, 8, 9, 10, 12, 15]),
                    client_max_window_bits=rng.choice([None, None, 8, 9, 11, 15]),
                )
            conn.accept(deflate=deflate)
            stats.add("upgrades_accepted")
            Link(conn, rng, stats, self.text_pool, self.blob_pool).run()
        except (ConnectionClosed, socket.timeout, OSError) as error:
            stats.add("server_connections_failed")
            if not isinstance(error, ConnectionClosed):
                stats.error("connection: {!r}".format(error))
        except Exception:
            stats.error("serve: " + traceback.format_exc())
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def stop(self):
        self.stopping.set()
        for thread in list(self.threads):
            thread.join(SERVER_TIMEOUT)


def serve_main(seed):
    server = ChaosServer(seed)
    server.listen()
    acceptor = threading.Thread(target=server.accept_loop, name="soak-accept")
    acceptor.daemon = True
    acceptor.start()
    print("PORT {}".format(server.port))
    sys.stdout.flush()
    sys.stdin.read()  # until the client closes our stdin
    server.stop()
    acceptor.join(SERVER_TIMEOUT)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = dict(server.stats.counts)
    report["errors"] = server.stats.errors
    report["cpu_user"] = usage.ru_utime
    report["cpu_system"] = usage.ru_stime
    report["max_rss_kib"] = usage.ru_maxrss
    print(json.dumps(report))
    sys.stdout.flush()


# -- The client (this process) ------------------------------------------------------


def read_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class _Libc(object):
    """glibc's malloc_trim(), through ctypes, if there is one."""

    def __init__(self):
        self.trim_function = None
        try:
            import ctypes
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            self.trim_function = libc.malloc_trim
        except (OSError, AttributeError, ImportError):
            pass

    def trim(self):
        """Give the memory malloc keeps free back to the system."""
        if self.trim_function is not None:
            self.trim_function(0)


LIBC = _Libc()


def count_fds():
    """(all descriptors, sockets among them)."""
    total = 0
    sockets = 0
    for name in os.listdir("/proc/self/fd"):
        total += 1
        try:
            if os.readlink("/proc/self/fd/" + name).startswith("socket:"):
                sockets += 1
        except OSError:
            pass  # the listing's own descriptor, already closed
    return total, sockets


class Client(object):
    def __init__(self, url, args):
        self.url = url
        self.args = args
        self.counts = collections.Counter()
        self.samples = []
        self.stop = threading.Event()
        self.started = time.time()
        #: tracemalloc's count at the last BackOff: no connection open, no
        #: message in flight, so only what the client keeps for good.
        self.quiet_traced_kib = None

    def sample(self, label):
        import tracemalloc

        def traced():
            return tracemalloc.get_traced_memory()[0] // 1024 if tracemalloc.is_tracing() else None

        total, sockets = count_fds()
        sample = dict(elapsed=time.time() - self.started, rss_kib=read_rss_kib(), traced_kib=traced())
        if self.args.settle:
            # Collect garbage cycles and give free heap back to the system,
            # so what remains is memory the client really holds.
            gc.collect()
            LIBC.trim()
        self.samples.append(
            dict(
                sample,
                label=label,
                settled_rss_kib=read_rss_kib(),
                settled_traced_kib=traced(),
                quiet_traced_kib=self.quiet_traced_kib,
                fds=total,
                sockets=sockets,
                ready=self.counts["ready"],
                echoed=self.counts["echoed"],
            )
        )

    def sampler(self):
        every = self.args.sample_every
        index = 1
        while not self.stop.wait(max(0.0, self.started + index * every - time.time())):
            self.sample("t+{}s".format(index * every))
            index += 1

    def run(self):
        import tracemalloc

        counts = self.counts
        websocket = WebSocket(self.url, compress=True)
        events = persist(
            websocket,
            poll=5,
            min_wait=0.05,
            max_wait=1.0,
            ping_rate=1.0,
            ping_timeout=3.0,
            exit_event=self.stop,
            close_timeout=5.0,
            connect_timeout=5.0,
        )
        for event in events:
            name = event.name
            counts["event_" + name] += 1
            if name == "text":
                try:
                    websocket.send_text(event.text)
                    counts["echoed"] += 1
                except WebSocketError:
                    counts["echo_failed"] += 1
            elif name == "binary":
                try:
                    websocket.send_binary(event.data)
                    counts["echoed"] += 1
                except WebSocketError:
                    counts["echo_failed"] += 1
            elif name == "back_off":
                if tracemalloc.is_tracing():
                    self.quiet_traced_kib = tracemalloc.get_traced_memory()[0] // 1024
            elif name == "ready":
                counts["ready"] += 1
                if websocket.supports_compression:
                    counts["ready_compressed"] += 1
            elif name == "closing":
                counts["closing_code_{}".format("none" if event.code is None else event.code // 1000 * 1000)] += 1
            elif name == "disconnected":
                counts["disconnected_graceful" if event.graceful else "disconnected_abrupt"] += 1
                reason = event.reason.split(";")[0].split(":")[0]
                counts["reason: " + reason] += 1


def start_server(seed):
    server = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", "--seed", str(seed)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    line = server.stdout.readline().decode("ascii").split()
    if len(line) != 2 or line[0] != "PORT":
        raise SystemExit("the soak server did not start: {!r}".format(line))
    return server, int(line[1])


def kib(value):
    return "{:,} KiB".format(value)


def print_report(args, client, server_report, duration, client_cpu):
    counts = client.counts
    samples = client.samples
    print()
    print("Lomond soak test")
    print("================")
    print("lomond {} from {}".format(lomond.__version__, os.path.dirname(lomond.__file__)))
    print("{} {} on {}, {} CPUs".format(platform.python_implementation(), platform.python_version(), platform.platform(), os.cpu_count()))
    print("seed {}, {} minutes, samples every {} s, warm-up {} s, tracemalloc {}".format(
        args.seed, args.minutes, args.sample_every, args.warmup, "on" if not args.no_tracemalloc else "off"))
    print()
    print("Samples (client process)")
    print("  VmRSS: resident memory as found, then settled (after gc.collect() and malloc_trim(0)).")
    print("  traced: tracemalloc as found / settled / at the last BackOff (no connection open).")
    print("  {:>9} {:>8} {:>19} {:>22} {:>4} {:>7} {:>5} {:>7}".format(
        "label", "elapsed", "VmRSS / settled", "traced / settled / quiet", "fds", "sockets", "ready", "echoed"))

    def number(value):
        return "-" if value is None else "{:,}".format(value)

    for sample in samples:
        print("  {:>9} {:>7.0f}s {:>15} KiB {:>18} KiB {:>4} {:>7} {:>5} {:>7}".format(
            sample["label"],
            sample["elapsed"],
            "{} / {}".format(number(sample["rss_kib"]), number(sample["settled_rss_kib"])),
            "{} / {} / {}".format(
                number(sample["traced_kib"]), number(sample["settled_traced_kib"]), number(sample["quiet_traced_kib"])
            ),
            sample["fds"],
            sample["sockets"],
            sample["ready"],
            sample["echoed"],
        ))
    s = server_report
    print()
    print("Duration: {:.1f} s".format(duration))
    print()
    print("Connections")
    print("  client: connection attempts {}, ready {} (compressed {}), connect failures {}, rejected {}".format(
        counts["event_connecting"], counts["ready"], counts["ready_compressed"],
        counts["event_connect_fail"], counts["event_rejected"]))
    print("  client: reconnects (back-offs) {}, disconnected graceful {} / abrupt {}, unresponsive {}".format(
        counts["event_back_off"], counts["disconnected_graceful"], counts["disconnected_abrupt"],
        counts["event_unresponsive"]))
    reasons = sorted((key, value) for key, value in counts.items() if key.startswith("reason: "))
    print("  client disconnect reasons: " + ", ".join("{} {}".format(key[8:], value) for key, value in reasons))
    print("  server: TCP accepted {}, upgrades {} (compression accepted {}), 503 rejections {}".format(
        s.get("tcp_accepted", 0), s.get("upgrades_accepted", 0), s.get("compression_accepted", 0),
        s.get("rejected_503", 0)))
    print("  server: refusal periods: not listening {}, answering 503 {}".format(
        s.get("refusal_periods_not_listening", 0), s.get("refusal_periods_503", 0)))
    print("  server endings: close frames {}, TCP drops {}, drops mid-frame {}, resets {}, stalls {} "
          "(ended by client ping timeout {}), client exit {}".format(
              s.get("closes_sent", 0), s.get("drops", 0), s.get("drops_mid_frame", 0), s.get("resets", 0),
              s.get("stalls", 0), s.get("stalls_ended_by_client", 0), s.get("client_initiated_closes", 0)))
    print()
    print("Messages")
    print("  server sent {} ({} text, {} binary; {} compressed, {} fragmented; {:.1f} MiB), {} pings".format(
        s.get("messages_sent", 0), s.get("text_sent", 0), s.get("binary_sent", 0), s.get("compressed_sent", 0),
        s.get("fragmented_sent", 0), s.get("bytes_sent", 0) / float(MIB), s.get("pings_sent", 0)))
    print("  client echoed {}, echo sends that failed {} (connection already going)".format(
        counts["echoed"], counts["echo_failed"]))
    print("  server checked {} echoes byte for byte ({:.1f} MiB): mismatches {}".format(
        s.get("echoes_checked", 0), s.get("echo_bytes_checked", 0) / float(MIB), s.get("mismatches", 0)))
    print("  in flight when the server dropped the connection: {}; at a graceful close: {}; at client exit: {}".format(
        s.get("lost_to_abrupt_ends", 0), s.get("lost_at_graceful_close", 0), s.get("lost_at_client_exit", 0)))
    print("  close codes echoed correctly {}, wrongly {}".format(
        s.get("close_echoes_checked", 0), s.get("close_echo_mismatches", 0)))
    print("  protocol errors: seen by client {}, client frames the server rejected {}".format(
        counts["event_protocol_error"], s.get("client_protocol_errors", 0)))
    print("  server sends that failed because the client had gone: {}".format(s.get("server_send_failures", 0)))
    print()
    print("CPU")
    print("  client: user {:.1f} s + system {:.1f} s = {:.1f}% of one core".format(
        client_cpu[0], client_cpu[1], 100.0 * (client_cpu[0] + client_cpu[1]) / duration))
    print("  server: user {:.1f} s + system {:.1f} s, max RSS {}".format(
        s.get("cpu_user", 0), s.get("cpu_system", 0), kib(s.get("max_rss_kib", 0))))
    if s.get("errors"):
        print()
        print("Server errors:")
        for error in s["errors"]:
            print("  " + error.replace("\n", "\n  "))
    return verdict(client, server_report)


def verdict(client, s):
    samples = client.samples
    failures = []
    running = [sample for sample in samples if sample["label"] != "stopped"]
    warm = [sample for sample in running if sample["elapsed"] >= client.args.warmup - 1]
    if not warm:
        warm = running[-1:]
    base = warm[0]
    end_running = running[-1]
    stopped = [sample for sample in samples if sample["label"] == "stopped"][0]
    key = "settled_rss_kib"
    raw_growth = end_running["rss_kib"] - base["rss_kib"]
    rss_limit = max(5 * 1024, base[key] // 10)
    growth = end_running[key] - base[key]
    print()
    print("Verdict")
    print("  settled RSS: after warm-up ({}) {} -> end {} ({:+,} KiB; limit +{:,} KiB){}".format(
        base["label"], kib(base[key]), kib(end_running[key]), growth, rss_limit,
        "" if client.args.settle else " [--no-settle: the same as VmRSS as found]"))
    if growth > rss_limit:
        failures.append("settled RSS grew by {} KiB".format(growth))
    print("  VmRSS as found: {} -> {} ({:+,} KiB){}".format(
        kib(base["rss_kib"]), kib(end_running["rss_kib"]), raw_growth,
        "" if raw_growth <= max(5 * 1024, base["rss_kib"] // 10) else
        " (over the same limit: garbage awaiting the cyclic GC and free heap glibc keeps, see 'settled')"))
    if len(warm) >= 3:
        # A leak grows steadily; the allocator's high-water mark does not.
        xs = [sample["elapsed"] / 60.0 for sample in warm]
        ys = [sample[key] for sample in warm]
        mean_x = sum(xs) / len(xs)
        mean_y = sum(ys) / len(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
        half = warm[len(warm) // 2]
        print("  settled RSS trend after warm-up: {:+.1f} KiB/minute (least squares); second half {:+,} KiB ({} -> end)".format(
            slope, end_running[key] - half[key], half["label"]))
    if base["settled_traced_kib"] is not None:
        print("  tracemalloc, settled: warm-up {} -> end {} ({:+,} KiB); most at a BackOff: {}".format(
            kib(base["settled_traced_kib"]), kib(end_running["settled_traced_kib"]),
            end_running["settled_traced_kib"] - base["settled_traced_kib"],
            kib(max(sample["quiet_traced_kib"] or 0 for sample in samples))))
    other = [sample["fds"] - sample["sockets"] for sample in samples if sample is not samples[0]]
    print("  descriptors other than sockets: {} at every sample after the start: {}".format(
        other[0], "yes" if len(set(other)) == 1 else "no ({})".format(sorted(set(other)))))
    if len(set(other)) != 1:
        failures.append("non-socket descriptors changed: {}".format(sorted(set(other))))
    # A connection holds its TCP socket (and, since 0f1b307, the transport's
    # wake-up socketpair): one fixed number k. persist() keeps at most one
    # connection, so every sample shows 0 (between connections) or k.
    connected = sorted(set(sample["sockets"] for sample in samples if sample["sockets"]))
    print("  sockets while connected: {} (one connection's: its TCP socket plus the transport's"
          " wake-up pair, if any); {} after the client stopped".format(
              " or ".join(str(count) for count in connected) or "none seen", stopped["sockets"]))
    if len(connected) > 1 or (connected and connected[0] > 3):
        failures.append("socket counts {} at the samples".format(connected))
    if stopped["sockets"] != 0:
        failures.append("{} sockets left open after the client stopped".format(stopped["sockets"]))
    for key, label in (
        ("mismatches", "echo mismatches"),
        ("lost_at_graceful_close", "messages lost at a graceful close"),
        ("close_echo_mismatches", "close codes echoed wrongly"),
        ("client_protocol_errors", "client frames the server rejected"),
        ("server_errors", "server errors"),
    ):
        if s.get(key, 0):
            failures.append("{} {}".format(s[key], label))
    if client.counts["event_protocol_error"]:
        failures.append("{} protocol errors seen by the client".format(client.counts["event_protocol_error"]))
    if not s.get("echoes_checked"):
        failures.append("no echo was checked")
    print()
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS: echoes all correct; client memory and descriptors flat")
    return 0


def client_main(args):
    import tracemalloc

    random.seed(args.seed)  # persist()'s jitter
    if not args.no_tracemalloc:
        tracemalloc.start()
    server, port = start_server(args.seed)
    url = "ws://127.0.0.1:{}/soak".format(port)
    client = Client(url, args)
    print("soak: client pid {}, server pid {} on {}, {} minutes".format(os.getpid(), server.pid, url, args.minutes))
    sys.stdout.flush()
    client.sample("start")
    cpu_start = os.times()
    sampler = threading.Thread(target=client.sampler, name="soak-sampler")
    sampler.daemon = True
    sampler.start()
    timer = threading.Timer(args.minutes * 60.0, client.stop.set)
    timer.daemon = True
    timer.start()
    try:
        client.run()
    finally:
        client.stop.set()
        timer.cancel()
        sampler.join()
    cpu_end = os.times()
    duration = time.time() - client.started
    client.sample("stopped")
    server.stdin.close()
    output = server.stdout.read().decode("utf-8").strip().splitlines()
    server.wait()
    server_report = json.loads(output[-1]) if output else {"errors": ["no report from the server"], "server_errors": 1}
    client_cpu = (cpu_end[0] - cpu_start[0], cpu_end[1] - cpu_start[1])
    return print_report(args, client, server_report, duration, client_cpu)


def main():
    parser = argparse.ArgumentParser(description="Soak Lomond's client against a chaotic local server.")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-every", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=120.0)
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument(
        "--no-settle",
        dest="settle",
        action="store_false",
        help="don't run gc.collect() and malloc_trim(0) before each sample; judge VmRSS as found",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_main(args.seed)
        return 0
    return client_main(args)


if __name__ == "__main__":
    sys.exit(main())
