"""Profile one Lomond client workload (the profiles in RESULTS.rst).

    python3 benchmarks/profile_client.py recv --count 200000 --size 32
    python3 benchmarks/profile_client.py recv --count 50000 --size 16384 --binary
    python3 benchmarks/profile_client.py send --count 100000 --size 32
    python3 benchmarks/profile_client.py send --count 16 --size 8388608 --binary --no-wsaccel
    python3 benchmarks/profile_client.py rtt --count 5000 --size 32

The server runs in another process and does as little as possible (a
source of prebuilt frames, a sink that counts bytes, or Node's ws echo
server from the benchmark environment for ``rtt``), so the time shown is
the client's. Without ``--profile`` it prints rates only; with it, the top
functions by their own time (cProfile inflates Python time, not system
calls). Uses the repository's lomond.
"""

from __future__ import print_function

import argparse
import cProfile
import os
import pstats
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_MODULES = os.path.join(ROOT, "benchmarks", ".env", "node", "node_modules")


def serve(kind, count, size, binary):
    """A server process: prints its port, serves one client, exits."""
    sys.path.insert(0, ROOT)
    from lomond.frame import encode_frame
    from lomond.handshake import accept_key

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(listener.getsockname()[1])
    sys.stdout.flush()
    conn, _address = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(4096)
    key = [line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key")][0]
    conn.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key).encode("ascii") + b"\r\n\r\n"
    )
    if kind == "source":
        frame = encode_frame(2 if binary else 1, b"x" * size)
        batch = max(1, min(2000, (1 << 20) // len(frame)))
        left = count
        while left:
            number = min(left, batch)
            conn.sendall(frame * number)
            left -= number
        conn.sendall(encode_frame(8, b"\x03\xe8"))
        conn.recv(65536)  # the client's answer to the close
    else:  # sink: count the client's bytes, then close
        header = 6 if size < 126 else 8 if size < 65536 else 14
        expected = count * (header + size)
        buffer = bytearray(1 << 20)
        total = 0
        while total < expected:
            received = conn.recv_into(buffer)
            if not received:
                break
            total += received
        conn.sendall(encode_frame(8, b"\x03\xe8"))
    conn.close()


def start_server(args):
    if args.workload == "rtt":
        env = dict(os.environ, LOMOND_BENCH_NODE_MODULES=NODE_MODULES)
        script = os.path.join(ROOT, "benchmarks", "echo", "echo_server.js")
        process = subprocess.Popen(["node", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        port = int(process.stdout.readline().split()[1])
    else:
        kind = "source" if args.workload == "recv" else "sink"
        command = [sys.executable, __file__, "--serve", kind, "--count", str(args.count), "--size", str(args.size)]
        if args.binary:
            command.append("--binary")
        process = subprocess.Popen(command, stdout=subprocess.PIPE)
        port = int(process.stdout.readline())
    return process, "ws://127.0.0.1:{}/".format(port)


def run(args, url):
    """The measured client: returns (messages handled, seconds, cpu seconds)."""
    from lomond import WebSocket

    websocket = WebSocket(url)
    text = u"x" * args.size
    data = b"y" * args.size
    handled = [0]
    started = [time.time(), time.process_time()]
    rtt = []

    def send_one():
        if args.binary:
            websocket.send_binary(data)
        else:
            websocket.send_text(text)

    for event in websocket.connect(ping_rate=0, poll=60):
        name = event.name
        if name == "ready":
            started[:] = [time.time(), time.process_time()]
            if args.workload == "send":
                for _ in range(args.count):
                    send_one()
                handled[0] = args.count
            elif args.workload == "rtt":
                rtt.append(time.time())
                send_one()
        elif name in ("text", "binary"):
            handled[0] += 1
            if args.workload == "rtt":
                rtt[-1] = time.time() - rtt[-1]
                if handled[0] == args.count:
                    websocket.close()
                else:
                    rtt.append(time.time())
                    send_one()
    return handled[0], time.time() - started[0], time.process_time() - started[1], rtt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", nargs="?", choices=["recv", "send", "rtt"])
    parser.add_argument("--count", type=int, default=100000)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--binary", action="store_true")
    parser.add_argument("--no-wsaccel", action="store_true", help="measure pure Python")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--serve", choices=["source", "sink"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.count, args.size, args.binary)
        return
    if args.workload is None:
        parser.error("choose a workload: recv, send or rtt")
    if args.no_wsaccel:
        for name in ("wsaccel", "wsaccel.xormask", "wsaccel.utf8validator"):
            sys.modules[name] = None
    sys.path.insert(0, ROOT)
    process, url = start_server(args)
    try:
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        handled, wall, cpu, rtt = run(args, url)
        if profiler is not None:
            profiler.disable()
    finally:
        if args.workload == "rtt":
            process.stdin.close()
        process.wait()
    print("{} {} x {} B: {:.3f} s wall, {:.3f} s CPU -> {:,.0f} msg/s ({:,.0f} per CPU-second)".format(
        args.workload, handled, args.size, wall, cpu, handled / wall, handled / cpu if cpu else 0))
    if rtt:
        rtt.sort()
        print("round trip median {:.1f} us, p99 {:.1f} us".format(rtt[len(rtt) // 2] * 1e6, rtt[int(len(rtt) * 0.99)] * 1e6))
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
