"""Benchmark servers.  They do as little work as possible while a client is
being measured, and verify afterwards.

Usage (the runner starts these; each prints ``PORT <n>`` first, then one
JSON line per connection it served)::

    python servers.py source --kind text --count N --size S --period P
                             [--compress] [--tls-cert PEM]
    python servers.py sink   --kind text --count N --size S --period P
    python servers.py echo
    python servers.py gencert DIR        # test CA + server cert (trustme)

Connections are served one at a time.  The request path of the upgrade is
echoed in the report line so the runner can match it to a client run.

A server exits when its standard input reaches end of file, so it never
outlives the runner that started it.
"""

import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wsframes as wf  # noqa: E402

IDLE_TIMEOUT = 30.0
DRAIN_TIMEOUT = 2.0
SINK_POLL = 1.0
SINK_NAP = 0.0002
SINK_NAP_BELOW = 65536


def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def exit_when_stdin_closes():
    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except Exception:
            pass
        os._exit(0)
    thread = threading.Thread(target=watch, name="stdin-watch")
    thread.daemon = True
    thread.start()


def listen():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def accept_upgrade(conn, deflate_wanted=False):
    """Server side of the handshake.  Returns (path, deflate_params,
    leftover)."""
    head, leftover = wf.read_http_head(conn)
    first, headers = wf.parse_http_head(head)
    parts = first.split()
    path = parts[1] if len(parts) > 1 else "/"
    key = headers.get("sec-websocket-key")
    if not key:
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        raise ValueError("no Sec-WebSocket-Key in request")
    extension, params = None, None
    if deflate_wanted:
        extension, params = wf.negotiate_deflate(
            headers.get("sec-websocket-extensions", ""))
    conn.sendall(wf.server_response(key, extension))
    return path, params, leftover, headers


def wait_for_close(conn, data=b""):
    """Read until the client's close frame (or EOF).  Returns the close
    code, or None when the client just went away."""
    buf = bytearray(data)
    pos = 0
    while True:
        while True:
            frame = wf.parse_frame(buf, pos, len(buf))
            if frame is None:
                break
            pos = frame.end
            if frame.opcode == wf.OP_CLOSE:
                return wf.parse_close_payload(frame.payload)[0]
        try:
            chunk = conn.recv(65536)
        except (OSError, ssl.SSLError):
            return None
        if not chunk:
            return None
        del buf[:pos]
        pos = 0
        buf += chunk


def accept_client(listener):
    """The next client's socket: no Nagle delay, idle timeout set."""
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.settimeout(IDLE_TIMEOUT)
    return conn


def finish(conn):
    """Close our side politely (the server closes TCP first after the
    closing handshake), give the client a moment to close its side."""
    try:
        conn.settimeout(DRAIN_TIMEOUT)
        if isinstance(conn, ssl.SSLSocket):
            try:
                conn = conn.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass
        conn.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            if not conn.recv(65536):
                break
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def spec_from_args(args):
    return wf.Spec(args.kind, args.count, args.size, args.period,
                   compress=args.compress)


# ---------------------------------------------------------------------------
# source


def serve_source(args, listener):
    spec = spec_from_args(args)
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert)
    streams = {}

    def stream_for(params):
        key = params.key() if params is not None else None
        stream = streams.get(key)
        if stream is None:
            stream = wf.SourceStream(spec, params)
            streams[key] = stream
        return stream

    # Build the plain (or default-compressed) stream before the first client
    # arrives, so no client pays for it.
    stream_for(wf.DeflateParams() if spec.compress else None)
    report_ready(listener)

    while True:
        conn = accept_client(listener)
        path = None
        try:
            if tls is not None:
                conn = tls.wrap_socket(conn, server_side=True)
            path, params, leftover, _ = accept_upgrade(conn, spec.compress)
            stream = stream_for(params)
            t0 = time.perf_counter()
            view = memoryview(stream.chunk)
            for _ in range(stream.repeats):
                conn.sendall(view)
            if stream.tail:
                conn.sendall(view[:stream.tail])
            conn.sendall(stream.close_frame)
            t1 = time.perf_counter()
            code = wait_for_close(conn, leftover)
            report(path=path, ok=True, mode="source",
                   sent=stream.total_length(), send_seconds=t1 - t0,
                   deflate=repr(params) if params is not None else None,
                   client_close_code=code)
        except Exception as error:  # report and go on with the next client
            report(path=path, ok=False, mode="source",
                   error="%s: %s" % (type(error).__name__, error))
        finally:
            finish(conn)


# ---------------------------------------------------------------------------
# sink


def verify_sink(spec, buf, end):
    """Check everything a client sent.  Returns (ok, detail dict)."""
    detail = {"received": end}
    count = 0
    close_code = None
    try:
        for opcode, payload, frame in wf.iter_messages(
                wf.iter_frames(buf, 0, end)):
            if opcode == wf.OP_CLOSE:
                close_code = wf.parse_close_payload(payload)[0]
                break
            if opcode in (wf.OP_PING, wf.OP_PONG):
                continue
            if not frame.masked:
                return False, dict(detail, error="unmasked client frame "
                                   "(message %d)" % count)
            if frame.rsv1:
                return False, dict(detail, error="unexpected compressed "
                                   "frame (message %d)" % count)
            if opcode != spec.opcode:
                return False, dict(detail, error="message %d has opcode %d, "
                                   "expected %d" % (count, opcode,
                                                    spec.opcode))
            if count >= spec.count:
                return False, dict(detail, error="more than %d messages"
                                   % spec.count)
            expected = spec.message(count)
            if payload != expected:
                return False, dict(detail, error="message %d differs "
                                   "(%d bytes, expected %d)" % (
                                       count, len(payload), len(expected)))
            count += 1
    except ValueError as error:
        return False, dict(detail, error=str(error), messages=count)
    detail.update(messages=count, client_close_code=close_code)
    if count != spec.count:
        return False, dict(detail, error="got %d messages, expected %d"
                           % (count, spec.count))
    return True, detail


def serve_sink(args, listener):
    spec = spec_from_args(args)
    expected = wf.masked_stream_length(spec)
    # Warm the payload cache used by verification.
    for j in range(spec.period):
        spec.distinct(j)
    # One receive buffer for every connection, allocated (and so touched by
    # the zero fill) before any client connects: allocating it after the
    # handshake would stall the first client's sends by tens of ms.
    buf = bytearray(expected + 65536)
    report_ready(listener)

    while True:
        conn = accept_client(listener)
        path = None
        try:
            path, _, leftover, _ = accept_upgrade(conn)
            buf[:len(leftover)] = leftover
            pos = len(leftover)
            scan = None   # slow mode: walk frame headers from the start
            close_end = None
            eof = False
            idle = 0.0
            conn.settimeout(SINK_POLL)
            t0 = time.perf_counter()
            c0 = time.process_time()
            while close_end is None:
                if scan is None and pos >= expected + 2:
                    # Fast path: the close frame sits right after the
                    # expected data frames.
                    if buf[expected] & 0x0F == wf.OP_CLOSE:
                        length = wf.peek_frame_length(buf, expected, pos)
                        if length is not None and expected + length <= pos:
                            close_end = expected + length
                            break
                    else:
                        scan = 0
                if scan is not None:
                    while True:
                        length = wf.peek_frame_length(buf, scan, pos)
                        if length is None or scan + length > pos:
                            break
                        if buf[scan] & 0x0F == wf.OP_CLOSE:
                            close_end = scan + length
                            break
                        scan += length
                    if close_end is not None:
                        break
                if pos == len(buf):
                    buf.extend(bytes(len(buf)))
                view = memoryview(buf)
                try:
                    n = conn.recv_into(view[pos:])
                except socket.timeout:
                    # Quiet for a while: maybe the client sent fewer
                    # bytes than expected and is waiting for our close.
                    idle += SINK_POLL
                    if idle >= IDLE_TIMEOUT:
                        raise
                    if scan is None:
                        scan = 0
                    continue
                finally:
                    view.release()
                idle = 0.0
                if not n:
                    eof = True
                    break
                pos += n
                if n < SINK_NAP_BELOW and pos < expected:
                    # Only a little data was waiting: let more pile up in
                    # the kernel instead of waking up for every small
                    # frame (keeps the sink's CPU use, and the wake-ups it
                    # costs the client, low).
                    time.sleep(SINK_NAP)
            t1 = time.perf_counter()
            c1 = time.process_time()
            if close_end is not None:
                conn.sendall(wf.server_frame(wf.OP_CLOSE,
                                             wf.close_payload(1000)))
            finish(conn)
            end = close_end if close_end is not None else pos
            ok, detail = verify_sink(spec, buf, end)
            if eof and close_end is None:
                ok = False
                detail.setdefault("error", "client closed the connection "
                                  "without a close frame")
            report(path=path, mode="sink", ok=ok, expected_bytes=expected,
                   recv_seconds=t1 - t0, recv_cpu_seconds=c1 - c0,
                   fast_path=scan is None, **detail)
        except Exception as error:
            finish(conn)
            report(path=path, ok=False, mode="sink",
                   error="%s: %s" % (type(error).__name__, error))


# ---------------------------------------------------------------------------
# echo


def serve_echo(args, listener):
    report_ready(listener)
    while True:
        conn = accept_client(listener)
        path = None
        echoed = 0
        try:
            path, _, leftover, _ = accept_upgrade(conn)
            buf = bytearray(leftover)
            closed = False
            parse = wf.parse_frame
            while not closed:
                pos = 0
                out = []
                end = len(buf)
                while True:
                    frame = parse(buf, pos, end)
                    if frame is None:
                        break
                    pos = frame.end
                    op = frame.opcode
                    if op == wf.OP_CLOSE:
                        out.append(wf.server_frame(wf.OP_CLOSE,
                                                   frame.payload[:125]))
                        closed = True
                        break
                    if op == wf.OP_PING:
                        out.append(wf.server_frame(wf.OP_PONG, frame.payload))
                    elif op != wf.OP_PONG:
                        out.append(wf.server_frame(op, frame.payload,
                                                   fin=frame.fin))
                        echoed += 1
                if out:
                    conn.sendall(b"".join(out))
                if pos:
                    del buf[:pos]
                if closed:
                    break
                chunk = conn.recv(262144)
                if not chunk:
                    break
                buf += chunk
            report(path=path, ok=True, mode="echo", frames=echoed)
        except Exception as error:
            report(path=path, ok=False, mode="echo", frames=echoed,
                   error="%s: %s" % (type(error).__name__, error))
        finally:
            finish(conn)


# ---------------------------------------------------------------------------


def report_ready(listener):
    sys.stdout.write("PORT %d\n" % listener.getsockname()[1])
    sys.stdout.flush()


def gencert(directory):
    import trustme
    os.makedirs(directory, exist_ok=True)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_path = os.path.join(directory, "ca.pem")
    server_path = os.path.join(directory, "server.pem")
    ca.cert_pem.write_to_path(ca_path)
    cert.private_key_and_cert_chain_pem.write_to_path(server_path)
    print(json.dumps({"ca": ca_path, "server": server_path}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("source", "sink", "echo", "gencert"))
    parser.add_argument("directory", nargs="?", help="gencert: output dir")
    parser.add_argument("--kind", choices=wf.KINDS, default="text")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--period", type=int, default=None)
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("--tls-cert", help="PEM with key and cert chain")
    args = parser.parse_args(argv)

    if args.mode == "gencert":
        gencert(args.directory or ".")
        return
    exit_when_stdin_closes()
    listener = listen()
    serve = {"source": serve_source, "sink": serve_sink,
             "echo": serve_echo}[args.mode]
    serve(args, listener)


if __name__ == "__main__":
    main()
