"""Many connections in one process: lomond.aio beside the websockets and
aiohttp asyncio clients, against a node ``ws`` server in another process.

    python3 benchmarks/many.py                      # 10,000 connections, 3 runs each
    python3 benchmarks/many.py --connections 2000 --repeat 1   # a quick look

For each client, in a fresh process each run:

- **connect**: seconds until every connection is ready (at most 1,000
  handshakes in flight at a time);
- **memory**: what one idle connection adds, its task included: the
  process's resident memory (RSS) after all connected, less the RSS
  before, divided by their number; and, in a second run under
  ``tracemalloc``, the Python memory it traces the same way;
- **receive**: small messages a second, the server sending ``--messages``
  of ``--size`` bytes to every connection at once;
- **send**: small messages a second, every connection sending as many to
  the server (until the server has counted them all).

Needs the websockets and aiohttp packages in this interpreter, node, and
the node ws package (the test suite's copy in tests/peers/node, installed
with npm if it is missing). Prints a table of medians; ``--json PATH``
keeps every run.
"""

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NODE_PEER = os.path.join(ROOT, "tests", "peers", "node")
CLIENTS = ["lomond-aio", "websockets", "aiohttp"]
# The package each client needs in this interpreter (lomond: the working tree's).
NEEDS = {"lomond-aio": None, "websockets": "websockets", "aiohttp": "aiohttp"}
IN_FLIGHT = 1000


def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- The clients, behind one shape -------------------------------------------------
#
# Each connection runs as one task: run(url, bench) connects, reports with
# bench.connected(), and hands every text message to bench.message(); send()
# and close() are awaited by the phases below.


class LomondConnection(object):
    __slots__ = ["websocket"]

    def __init__(self):
        self.websocket = None

    async def run(self, url, bench):
        from lomond.aio import WebSocket

        self.websocket = WebSocket(url)
        await bench.semaphore.acquire()
        connecting = True
        try:
            async for event in self.websocket.connect(ping_rate=0, poll=0):
                if event.name == "ready":
                    connecting = False
                    bench.connected()
                elif event.name == "text":
                    bench.message(event.text)
        finally:
            if connecting:
                bench.semaphore.release()

    async def send(self, text):
        await self.websocket.send_text(text)

    async def close(self):
        await self.websocket.close()


class WebsocketsConnection(object):
    __slots__ = ["websocket"]

    def __init__(self):
        self.websocket = None

    async def run(self, url, bench):
        from websockets.asyncio.client import connect

        await bench.semaphore.acquire()
        connecting = True
        try:
            async with connect(url, compression=None, ping_interval=None, max_size=None) as websocket:
                self.websocket = websocket
                connecting = False
                bench.connected()
                async for message in websocket:
                    bench.message(message)
        finally:
            if connecting:
                bench.semaphore.release()

    async def send(self, text):
        await self.websocket.send(text)

    async def close(self):
        await self.websocket.close()


class AiohttpConnection(object):
    __slots__ = ["websocket"]
    session = None

    def __init__(self):
        self.websocket = None

    async def run(self, url, bench):
        import aiohttp

        if AiohttpConnection.session is None:
            AiohttpConnection.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        await bench.semaphore.acquire()
        connecting = True
        try:
            async with self.session.ws_connect(url, compress=0, autoping=True, max_msg_size=0) as websocket:
                self.websocket = websocket
                connecting = False
                bench.connected()
                async for message in websocket:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        bench.message(message.data)
        finally:
            if connecting:
                bench.semaphore.release()

    async def send(self, text):
        await self.websocket.send_str(text)

    async def close(self):
        await self.websocket.close()


CONNECTION_CLASSES = {
    "lomond-aio": LomondConnection,
    "websockets": WebsocketsConnection,
    "aiohttp": AiohttpConnection,
}


class Bench(object):
    """Counts what every connection reports, and says when a phase is done."""

    def __init__(self, count):
        self.count = count
        self.semaphore = asyncio.Semaphore(IN_FLIGHT)
        self.ready = 0
        self.received = 0
        self.counted = 0
        self.goal = None
        self.done = asyncio.Event()

    def expect(self, goal):
        self.goal = goal
        self.done.clear()

    def _check(self, value):
        if self.goal is not None and value >= self.goal:
            self.done.set()

    def connected(self):
        """One more connection is ready: its place among the handshakes
        in flight goes to the next."""
        self.semaphore.release()
        self.ready += 1
        self._check(self.ready)

    def message(self, text):
        if text.startswith("count "):
            self.counted += int(text[6:])
            self._check(self.counted)
        else:
            self.received += 1
            self._check(self.received)


async def measure(client, url, connections, messages, size, traced):
    cls = CONNECTION_CLASSES[client]
    # One connection first, so that imports and the event loop's own
    # memory are in the baseline.
    warm_bench = Bench(1)
    warm_bench.expect(1)
    warm = cls()
    warm_task = asyncio.ensure_future(warm.run(url, warm_bench))
    await asyncio.wait_for(warm_bench.done.wait(), 60)
    gc.collect()
    await asyncio.sleep(0.5)
    if traced:
        import tracemalloc

        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0] if traced else rss_kib()
    bench = Bench(connections)
    bench.expect(connections)
    started = time.monotonic()
    conns = [cls() for _ in range(connections)]
    tasks = [asyncio.ensure_future(conn.run(url, bench)) for conn in conns]
    await asyncio.wait_for(bench.done.wait(), 600)
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(1.0)
    gc.collect()
    if traced:
        after = tracemalloc.get_traced_memory()[0]
        memory = (after - before) / 1024.0 / connections
        tracemalloc.stop()
        result = {"traced_kib": memory}
    else:
        memory = (rss_kib() - before) / float(connections)
        result = {"connect_s": connect_seconds, "rss_kib": memory}
        # Receive: every connection asks for a burst at once.
        bench.expect(connections * messages)
        started = time.monotonic()
        request = "burst {} {}".format(messages, size)
        await asyncio.gather(*(conn.send(request) for conn in conns))
        await asyncio.wait_for(bench.done.wait(), 600)
        result["receive_per_s"] = connections * messages / (time.monotonic() - started)
        # Send: every connection sends, then asks the server what it got.
        payload = "y" * size
        bench.expect(connections * messages)

        async def send_all(conn):
            for _ in range(messages):
                await conn.send(payload)
            await conn.send("count")

        started = time.monotonic()
        await asyncio.gather(*(send_all(conn) for conn in conns))
        await asyncio.wait_for(bench.done.wait(), 600)
        result["send_per_s"] = connections * messages / (time.monotonic() - started)
    await asyncio.gather(*(conn.close() for conn in conns + [warm]), return_exceptions=True)
    await asyncio.wait(tasks + [warm_task], timeout=60)
    for task in tasks + [warm_task]:
        task.cancel()
    if AiohttpConnection.session is not None:
        await AiohttpConnection.session.close()
    return result


def child(args):
    """Measure one client in this process; print one JSON line."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.client == "lomond-aio":
        sys.path.insert(0, ROOT)  # the working tree's lomond
    url = "ws://127.0.0.1:{}/".format(args.port)
    result = asyncio.run(measure(args.client, url, args.connections, args.messages, args.size, args.traced))
    print(json.dumps(result))


# -- The runner ------------------------------------------------------------------------


def node_modules():
    found = os.environ.get("LOMOND_NODE_MODULES")
    if found:
        return found
    modules = os.path.join(NODE_PEER, "node_modules")
    if not os.path.isdir(os.path.join(modules, "ws")):
        subprocess.check_call(["npm", "ci", "--prefix", NODE_PEER, "--no-audit", "--no-fund"])
    return modules


def importable(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def run_once(client, args, traced):
    env = dict(os.environ, LOMOND_NODE_MODULES=node_modules())
    server = subprocess.Popen(
        ["node", os.path.join(HERE, "many_server.js")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    try:
        port = int(server.stdout.readline().split()[1])
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            "--client",
            client,
            "--port",
            str(port),
            "--connections",
            str(args.connections),
            "--messages",
            str(args.messages),
            "--size",
            str(args.size),
        ] + (["--traced"] if traced else [])
        output = subprocess.check_output(command, timeout=1800)
        return json.loads(output.decode("utf-8").strip().splitlines()[-1])
    finally:
        server.stdin.close()
        server.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--messages", type=int, default=10, help="per connection, each way (default %(default)s)")
    parser.add_argument("--size", type=int, default=32, help="bytes per message (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--json", help="write every run's figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    clients = args.clients.split(",")
    unknown = [client for client in clients if client not in NEEDS]
    if unknown:
        parser.error("unknown client {}; choose from {}".format(", ".join(unknown), ",".join(CLIENTS)))
    missing = [NEEDS[client] for client in clients if NEEDS[client] and not importable(NEEDS[client])]
    if missing:
        parser.error(
            "{} not installed in {}: run `{} -m pip install {}` (the test extra has them: "
            "pip install -e .[test]), or leave their clients out with --clients".format(
                " and ".join(missing), sys.executable, sys.executable, " ".join(missing)
            )
        )
    runs = dict((client, []) for client in clients)
    for repeat in range(args.repeat):
        for client in clients[repeat % len(clients) :] + clients[: repeat % len(clients)]:
            figures = run_once(client, args, traced=False)
            figures.update(run_once(client, args, traced=True))
            runs[client].append(figures)
            sys.stderr.write("{} run {}: {}\n".format(client, repeat + 1, json.dumps(figures)))
    columns = [
        ("connect_s", "connect (s)", "{:.2f}"),
        ("rss_kib", "RSS/conn (KiB)", "{:.1f}"),
        ("traced_kib", "traced/conn (KiB)", "{:.1f}"),
        ("receive_per_s", "receive (msg/s)", "{:,.0f}"),
        ("send_per_s", "send (msg/s)", "{:,.0f}"),
    ]
    print(
        "{:,} connections, {} messages of {} bytes each way per connection; median of {} runs".format(
            args.connections, args.messages, args.size, args.repeat
        )
    )
    print("{:<12}".format("client") + "".join("{:>20}".format(title) for _key, title, _form in columns))
    for client in clients:
        cells = []
        for key, _title, form in columns:
            values = [run[key] for run in runs[client] if key in run]
            cells.append(form.format(statistics.median(values)) if values else "-")
        print("{:<12}".format(client) + "".join("{:>20}".format(cell) for cell in cells))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"args": vars(args), "runs": runs}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
