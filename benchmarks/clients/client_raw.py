"""The "raw" client: the limit for Python on this machine.

A plain socket that does the HTTP upgrade by hand and then only moves the
bytes: ``recv_into`` a preallocated buffer (no frame parsing; the stream is
checked by its length and crc32, the crc time is measured and excluded) or
``sendall`` of frames masked before the clock starts.  Round trips send a
prebuilt frame and wait for the known number of reply bytes.
"""

import platform
import socket
import sys
import zlib

try:
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover
    from urlparse import urlparse

import common

wf = common.wf
perf_counter = common.perf_counter


def setup(args):
    return {
        "compression": True,
        "info": {"library": "raw socket",
                 "version": platform.python_version()},
    }


class RawVerifier(object):
    def __init__(self, count):
        self.n = 0
        self.count = count
        self.error = None
        self.verify_time = 0.0

    def check(self, expected_crc):
        if self.error is None and self.n != self.count:
            return "moved %d messages, expected %d" % (self.n, self.count)
        return self.error


def open_socket(ctx, extensions=None):
    url = urlparse(ctx.url)
    host = url.hostname
    port = url.port or (443 if url.scheme == "wss" else 80)
    path = url.path or "/"
    sock = socket.create_connection((host, port), timeout=60)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if url.scheme == "wss":
        sock = ctx.ssl_context.wrap_socket(sock, server_hostname=host)
    headers, leftover = wf.client_handshake(sock, host, port, path,
                                            extensions=extensions)
    return sock, headers, leftover


def read_close(sock, data=b""):
    """Read until the peer's close frame (and then EOF).  Returns the close
    code or None."""
    sock.settimeout(10)
    buf = bytearray(data)
    pos = 0
    code = None
    while True:
        while code is None:
            frame = wf.parse_frame(buf, pos, len(buf))
            if frame is None:
                break
            pos = frame.end
            if frame.opcode == wf.OP_CLOSE:
                code = wf.parse_close_payload(frame.payload)[0] or 0
        try:
            chunk = sock.recv(65536)
        except (OSError, socket.timeout):
            break
        if not chunk:
            break
        buf += chunk
    return code


def close_frame():
    return wf.client_frame(wf.OP_CLOSE, wf.close_payload(1000))


def recv(ctx, lib):
    spec = ctx.spec
    verifier = ctx.verifier = RawVerifier(spec.count)
    # What the source server will send, computed before connecting.
    stream = wf.SourceStream(spec, wf.DeflateParams() if spec.compress
                             else None)
    expected = stream.total_length()
    sock, headers, leftover = open_socket(
        ctx, "permessage-deflate" if spec.compress else None)
    if spec.compress and "permessage-deflate" not in headers.get(
            "sec-websocket-extensions", ""):
        raise RuntimeError("server did not accept permessage-deflate")
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    recv_into = sock.recv_into
    crc32 = zlib.crc32
    verify_time = 0.0
    clock = ctx.clock
    clock.start()
    total = len(leftover)
    crc = crc32(leftover)
    while total < expected:
        n = recv_into(buf)
        if not n:
            break
        t = perf_counter()
        crc = crc32(view[:n], crc)
        verify_time += perf_counter() - t
        total += n
    clock.stop()
    view.release()
    verifier.verify_time = verify_time
    sock.sendall(close_frame())
    read_close(sock)
    sock.close()
    if total != expected:
        verifier.error = "received %d bytes, expected %d" % (total, expected)
    elif crc != stream.crc():
        verifier.error = "stream checksum differs"
    else:
        verifier.n = spec.count


def send(ctx, lib):
    spec = ctx.spec
    verifier = ctx.verifier = RawVerifier(spec.count)
    frames = [wf.client_frame(spec.opcode, spec.distinct(j))
              for j in range(spec.period)]
    period = spec.period
    if spec.size < 65536:
        chunks = [b"".join(frames[i % period] for i in range(spec.count))]
    else:
        chunks = [frames[i % period] for i in range(spec.count)]
    closing = close_frame()
    sock, headers, leftover = open_socket(ctx)
    sendall = sock.sendall
    clock = ctx.clock
    clock.start()
    for chunk in chunks:
        sendall(chunk)
    sendall(closing)
    code = read_close(sock, leftover)
    clock.stop()
    sock.close()
    if code is None:
        verifier.error = "no close frame from the server"
    verifier.n = spec.count


def echo(ctx, lib):
    spec = ctx.spec
    verifier = ctx.verifier = RawVerifier(spec.count)
    period = spec.period
    out = [wf.client_frame(spec.opcode, spec.distinct(j))
           for j in range(period)]
    back = [wf.server_frame(spec.opcode, spec.distinct(j))
            for j in range(period)]
    sock, headers, leftover = open_socket(ctx)
    if leftover:
        raise RuntimeError("unexpected data after the handshake")
    buf = bytearray(max(len(b) for b in back) + 64)
    view = memoryview(buf)
    sendall = sock.sendall
    recv_into = sock.recv_into
    latencies = ctx.latencies = []
    clock = ctx.clock
    clock.start()
    for i in range(spec.count):
        j = i % period
        want = len(back[j])
        t0 = perf_counter()
        sendall(out[j])
        got = 0
        while got < want:
            n = recv_into(view[got:want])
            if not n:
                raise RuntimeError("server closed the connection")
            got += n
        latencies.append(perf_counter() - t0)
        if view[:want] != back[j]:
            verifier.error = "echo %d differs" % i
            break
        verifier.n += 1
    clock.stop()
    view.release()
    sendall(close_frame())
    read_close(sock)
    sock.close()


if __name__ == "__main__":
    sys.exit(common.run("raw", setup,
                        {"recv": recv, "send": send, "echo": echo}))
