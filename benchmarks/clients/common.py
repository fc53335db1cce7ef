"""Shared plumbing for the benchmark clients.

Every client module is a script with the same command line::

    python client_X.py --mode recv|send|echo|memory --url ws://127.0.0.1:P/x
        --kind text|binary|json --count N --size S --period P [--compress]
        [--cafile CA.pem] [--expect-crc C] [--timeout SECONDS]

and prints one line ``RESULT {json}`` on standard output.

Measurement rules (the same for every client):

* the clock (``time.perf_counter``) and the CPU clock (``time.process_time``,
  all threads of the client process) start when the opening handshake has
  completed and stop at the last expected message (recv), when the closing
  handshake has completed (send), or after the last echo (echo);
* every received message is checked: its type, its size, and a running
  crc32 over all contents, compared with the expected crc afterwards;
* for messages of ``TIMED_VERIFY_MIN`` bytes or more, the time spent in the
  crc is measured and subtracted from wall and CPU time (for smaller
  messages the check costs ~0.1 us and stays in the numbers, for every
  client alike).
"""

import argparse
import json
import os
try:
    import resource
except ImportError:  # pragma: no cover - not on Linux
    resource = None
import signal
import ssl
import sys
import time
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.path.dirname(HERE)
if BENCH_DIR not in sys.path:
    sys.path.append(BENCH_DIR)

import wsframes as wf  # noqa: E402

TIMED_VERIFY_MIN = 4096

perf_counter = time.perf_counter
process_time = time.process_time


def parse_args(argv=None, extra=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", required=True,
                        choices=("recv", "send", "echo", "memory"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--kind", choices=wf.KINDS, default="text")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--period", type=int, default=None)
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("--cafile", default=None)
    parser.add_argument("--expect-crc", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--name", default=None,
                        help="label of this client in the results")
    if extra is not None:
        extra(parser)
    return parser.parse_args(argv)


def emit(result):
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def _user_sys():
    if resource is not None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime, usage.ru_stime
    times = os.times()
    return times.user, times.system


class Clock(object):
    def __init__(self):
        self.t0 = self.t1 = None
        self.c0 = self.c1 = None
        self.r0 = self.r1 = None

    def start(self):
        if self.t0 is None:
            self.r0 = _user_sys()
            self.c0 = process_time()
            self.t0 = perf_counter()

    def stop(self):
        if self.t1 is None and self.t0 is not None:
            self.t1 = perf_counter()
            self.c1 = process_time()
            self.r1 = _user_sys()

    @property
    def running(self):
        return self.t0 is not None and self.t1 is None

    def summary(self):
        if self.t0 is None or self.t1 is None:
            return None
        return {
            "wall": self.t1 - self.t0,
            "cpu": self.c1 - self.c0,
            "user": self.r1[0] - self.r0[0],
            "sys": self.r1[1] - self.r0[1],
        }


class Verifier(object):
    """Checks received messages: type, size and a running crc32."""

    def __init__(self, spec):
        self.spec = spec
        self.count = spec.count
        self.size = spec.size
        self.want_text = spec.is_text
        self.n = 0
        self.crc = 0
        self.error = None
        self.verify_time = 0.0
        if spec.size >= TIMED_VERIFY_MIN:
            self.feed = self._feed_timed
        else:
            self.feed = self._feed

    def _bad(self, data, is_text):
        if self.error is None:
            self.error = "message %d: %s of %d bytes, expected %s of %d" % (
                self.n - 1, "text" if is_text else "binary", len(data),
                "text" if self.want_text else "binary", self.size)

    def _feed(self, data, is_text):
        """Feed one message (bytes-like).  Returns True at the last
        expected message."""
        self.n += 1
        if len(data) != self.size or is_text is not self.want_text:
            self._bad(data, is_text)
        self.crc = zlib.crc32(data, self.crc)
        return self.n == self.count

    def _feed_timed(self, data, is_text):
        t = perf_counter()
        self.n += 1
        if len(data) != self.size or is_text is not self.want_text:
            self._bad(data, is_text)
        self.crc = zlib.crc32(data, self.crc)
        self.verify_time += perf_counter() - t
        return self.n == self.count

    def check(self, expected_crc):
        if self.error is not None:
            return self.error
        if self.n != self.count:
            return "received %d messages, expected %d" % (self.n, self.count)
        if expected_crc is None:
            expected_crc = self.spec.expected_crc()
        if self.crc != expected_crc:
            return "content checksum differs (crc32 %08x, expected %08x)" % (
                self.crc, expected_crc)
        return None


class MemoryProbe(object):
    """Peak RSS above a baseline, from /proc/self/status (Linux)."""

    def __init__(self):
        self.baseline = None
        self.method = None

    @staticmethod
    def _status(field):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        return None

    def reset(self):
        try:
            # "5" resets the peak RSS (VmHWM) of this process to its RSS.
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
            self.method = "VmHWM after clear_refs"
            self.baseline = self._status("VmRSS")
        except (IOError, OSError):
            import resource
            self.method = "ru_maxrss difference"
            self.baseline = resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss * 1024

    def peak_above_baseline(self):
        if self.method == "VmHWM after clear_refs":
            peak = self._status("VmHWM")
        else:
            import resource
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak - self.baseline


def make_ssl_context(cafile):
    if not cafile:
        return None
    return ssl.create_default_context(cafile=cafile)


class Context(object):
    """What a workload function gets."""

    def __init__(self, args):
        self.args = args
        self.url = args.url
        self.spec = wf.Spec(args.kind, args.count, args.size, args.period,
                            compress=args.compress)
        self.clock = Clock()
        self.verifier = Verifier(self.spec)
        self.latencies = None
        self.ssl_context = make_ssl_context(args.cafile)
        self.notes = []

    def outgoing(self):
        """Messages to send, prepared before the clock starts: str for
        text workloads, bytes for binary ones (shared objects)."""
        spec = self.spec
        distinct = [spec.distinct(j) for j in range(spec.period)]
        if spec.is_text:
            distinct = [d.decode("utf-8") for d in distinct]
        period = spec.period
        return [distinct[i % period] for i in range(spec.count)]


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * fraction
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def blocking_workloads(connect, send_for):
    """recv/send/echo for a client with a blocking ``recv()`` that returns
    str for text and bytes for binary (websocket-client, websockets).

    ``connect(ctx, lib)`` opens the connection; ``send_for(ws, is_text)``
    returns the function that sends one message of the workload's kind.
    """

    def recv(ctx, lib):
        ws = connect(ctx, lib)
        clock = ctx.clock
        feed = ctx.verifier.feed
        receive = ws.recv
        clock.start()
        for _ in range(ctx.spec.count):
            message = receive()
            if type(message) is str:
                feed(message.encode("utf-8"), True)
            else:
                feed(message, False)
        clock.stop()
        ws.close()

    def send(ctx, lib):
        messages = ctx.outgoing()
        ws = connect(ctx, lib)
        clock = ctx.clock
        send_one = send_for(ws, ctx.spec.is_text)
        clock.start()
        for message in messages:
            send_one(message)
        ws.close()  # in the timing: the messages have left when it returns
        clock.stop()

    def echo(ctx, lib):
        messages = ctx.outgoing()
        ws = connect(ctx, lib)
        clock = ctx.clock
        latencies = ctx.latencies = []
        feed = ctx.verifier.feed
        send_one = send_for(ws, ctx.spec.is_text)
        receive = ws.recv
        clock.start()
        for message in messages:
            t0 = perf_counter()
            send_one(message)
            reply = receive()
            latencies.append(perf_counter() - t0)
            if type(reply) is str:
                feed(reply.encode("utf-8"), True)
            else:
                feed(reply, False)
        clock.stop()
        ws.close()

    return {"recv": recv, "send": send, "echo": echo}


def _on_alarm(signum, frame):
    emit({"status": "error", "error": "client timed out (alarm)"})
    os._exit(3)


def run(client_name, setup, workloads, argv=None, extra_args=None):
    """Entry point used by every client module.

    ``setup(args)`` imports the library and returns an info dict (raising if
    the import fails); ``workloads`` maps a mode to ``func(ctx, lib)``.
    """
    args = parse_args(argv, extra_args)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(int(args.timeout) + 1)
    result = {"client": args.name or client_name, "mode": args.mode}
    try:
        lib = setup(args)
    except BaseException as error:  # noqa: B902 - report everything
        result.update(status="import-error",
                      error="%s: %s" % (type(error).__name__, error),
                      traceback=traceback.format_exc()[-2000:])
        emit(result)
        return 0
    result["info"] = lib.get("info", {})
    mode = "recv" if args.mode == "memory" else args.mode
    func = workloads.get(mode)
    if func is None or (args.compress and not lib.get("compression")):
        result.update(status="n/a",
                      error="%s not supported by this client"
                      % ("compression" if args.compress else mode))
        emit(result)
        return 0

    ctx = Context(args)
    probe = None
    if args.mode == "memory":
        probe = MemoryProbe()
        probe.reset()
    try:
        func(ctx, lib)
    except BaseException as error:  # noqa: B902
        result.update(status="error",
                      error="%s: %s" % (type(error).__name__, error),
                      traceback=traceback.format_exc()[-3000:])
        emit(result)
        return 0
    if probe is not None:
        peak = probe.peak_above_baseline()
        result["memory"] = {
            "peak_above_baseline": peak,
            "message_size": ctx.spec.size,
            "ratio": peak / float(ctx.spec.size),
            "method": probe.method,
        }

    timing = ctx.clock.summary()
    error = None
    if timing is None:
        error = "the workload did not complete (clock never stopped)"
    elif mode in ("recv", "echo"):
        error = ctx.verifier.check(args.expect_crc)
    if timing is not None:
        vt = ctx.verifier.verify_time
        timing["verify_excluded"] = vt
        timing["wall"] = max(timing["wall"] - vt, 1e-9)
        timing["cpu"] = max(timing["cpu"] - vt, 0.0)
        result.update(timing)
    if ctx.latencies:
        lat = sorted(ctx.latencies)
        result["latency_us"] = {
            "median": percentile(lat, 0.5) * 1e6,
            "p99": percentile(lat, 0.99) * 1e6,
            "min": lat[0] * 1e6,
            "max": lat[-1] * 1e6,
        }
    result["messages"] = ctx.verifier.n if mode != "send" else ctx.spec.count
    if ctx.notes:
        result["notes"] = ctx.notes
    if error:
        result.update(status="FAILED", error=error)
    else:
        result["status"] = "ok"
    # Library-dependent facts that are only known after the run (wsaccel
    # really imported, C speedups loaded, ...).
    post = lib.get("post_info")
    if post is not None:
        try:
            result["info"].update(post())
        except Exception as err:  # pragma: no cover - informational only
            result["info"]["post_info_error"] = str(err)
    emit(result)
    return 0
