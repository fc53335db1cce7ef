#!/usr/bin/env python3
"""Lomond benchmark: the repository's lomond against lomond 0.3.4,
websocket-client, websockets and a raw socket, on local servers.

One command, from a fresh clone::

    python3 benchmarks/run.py

The first run creates a virtual environment under ``benchmarks/.env/``,
installs the peers into it (and the node echo server with ``npm ci``), then
runs every workload ``--repeat`` times (clients interleaved) and prints a
table.  See benchmarks/README.rst.
"""

from __future__ import print_function

import argparse
import atexit
import hashlib
import json
import os
import platform
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
CLIENTS_DIR = os.path.join(BENCH_DIR, "clients")
ECHO_DIR = os.path.join(BENCH_DIR, "echo")
REQUIREMENTS = os.path.join(BENCH_DIR, "requirements.txt")
LOMOND_OLD = "0.3.4"
IN_ENV_FLAG = "LOMOND_BENCH_IN_ENV"
MIN_PYTHON = (3, 9)

MiB = 1024 * 1024


# ---------------------------------------------------------------------------
# Workloads and clients


class Workload(object):
    def __init__(self, name, mode, server, kind, count, size, compress=False,
                 text=""):
        self.name = name
        self.mode = mode          # recv / send / echo
        self.server = server      # source / source-tls / sink / echo
        self.kind = kind
        self.count = count
        self.size = size
        self.compress = compress
        self.text = text

    def scaled_count(self, scale):
        return max(1, int(round(self.count * scale)))


WORKLOADS = [
    Workload("recv-text-32", "recv", "source", "text", 200000, 32,
             text="receive small text messages"),
    Workload("recv-bin-16k", "recv", "source", "binary", 50000, 16 * 1024,
             text="receive 16 KiB binary messages"),
    Workload("recv-bin-8m", "recv", "source", "binary", 16, 8 * MiB,
             text="receive 8 MiB binary messages"),
    Workload("recv-tls-text-32", "recv", "source-tls", "text", 100000, 32,
             text="receive small text messages over TLS"),
    Workload("recv-deflate-json-1k", "recv", "source", "json", 20000, 1024,
             compress=True,
             text="receive 1 KiB JSON-like text, permessage-deflate"),
    Workload("send-text-32", "send", "sink", "text", 100000, 32,
             text="send small text messages"),
    Workload("send-bin-8m", "send", "sink", "binary", 16, 8 * MiB,
             text="send 8 MiB binary messages"),
    Workload("rtt-text-32", "echo", "echo", "text", 5000, 32,
             text="round trips: send 32 B text, wait for the echo"),
]


class Client(object):
    def __init__(self, name, script, args=(), imports=None, memory=True):
        self.name = name
        self.script = script
        self.args = list(args)
        self.imports = imports    # (module, path, block_wsaccel) or None
        self.memory = memory


PEERS = ("lomond-0.3.4", "websocket-client", "websockets")
SUBJECTS = ("lomond-new", "lomond-new+wsaccel")


def make_clients(lomond_new_path, lomond_old_path):
    return [
        Client("lomond-new", "client_lomond.py",
               ["--lomond-path", lomond_new_path, "--no-wsaccel"],
               imports=("lomond", lomond_new_path, True)),
        Client("lomond-new+wsaccel", "client_lomond.py",
               ["--lomond-path", lomond_new_path],
               imports=("lomond", lomond_new_path, False)),
        Client("lomond-0.3.4", "client_lomond.py",
               ["--lomond-path", lomond_old_path],
               imports=("lomond", lomond_old_path, False)),
        Client("websocket-client", "client_websocket_client.py",
               imports=("websocket", None, False)),
        Client("websockets", "client_websockets.py",
               imports=("websockets.sync.client", None, False)),
        Client("raw", "client_raw.py", memory=False),
    ]


# ---------------------------------------------------------------------------
# Bootstrap: virtual environment, peers, node echo server


def log(*parts):
    print(*parts, file=sys.stderr)
    sys.stderr.flush()


def python_tag(python):
    out = subprocess.check_output(
        [python, "-c", "import platform, sys; print('%s-%d.%d' % ("
         "platform.python_implementation().lower(), sys.version_info[0], "
         "sys.version_info[1]))"], universal_newlines=True)
    return out.strip()


def file_digest(*paths, **extra):
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    for key in sorted(extra):
        digest.update(("%s=%s;" % (key, extra[key])).encode("utf-8"))
    return digest.hexdigest()


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def write_text(path, text):
    with open(path, "w") as handle:
        handle.write(text + "\n")


def venv_python(venv):
    if os.name == "nt":  # pragma: no cover - the benchmark targets Linux
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def pip_install(python, args, quiet=True):
    cmd = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        cmd.append("-q")
    return subprocess.call(cmd + list(args)) == 0


def requirement_names(path):
    names = []
    with open(path) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    return names


def ensure_python_env(env_dir, base_python, reinstall):
    tag = python_tag(base_python)
    root = os.path.join(env_dir, tag)
    venv = os.path.join(root, "venv")
    python = venv_python(venv)
    old_dir = os.path.join(root, "lomond-" + LOMOND_OLD)
    stamp_path = os.path.join(root, "installed.stamp")
    want = file_digest(REQUIREMENTS, python=os.path.realpath(base_python),
                       lomond_old=LOMOND_OLD, layout=2)
    if (not reinstall and read_text(stamp_path) == want
            and os.path.exists(python)
            and os.path.isdir(os.path.join(old_dir, "lomond"))):
        return python, old_dir, tag
    log("[setup] creating %s (%s)" % (venv, tag))
    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(root)
    subprocess.check_call([base_python, "-m", "venv", venv])
    log("[setup] installing peers: %s" % ", ".join(
        requirement_names(REQUIREMENTS)))
    if not pip_install(python, ["-r", REQUIREMENTS]):
        # Pinned versions may not exist for this interpreter: fall back to
        # the newest version pip finds for each, one by one, so that one
        # missing peer does not stop the others.
        log("[setup] pinned install failed; trying each package unpinned")
        for requirement in requirement_names(REQUIREMENTS):
            name = requirement.split("==")[0]
            if not pip_install(python, [name]):
                log("[setup] WARNING: could not install %s; its client "
                    "will report an import error" % name)
    log("[setup] installing lomond %s into %s" % (LOMOND_OLD, old_dir))
    if not pip_install(python, ["--no-deps", "--target", old_dir,
                                "lomond==" + LOMOND_OLD]):
        log("[setup] WARNING: could not install lomond %s" % LOMOND_OLD)
    write_text(stamp_path, want)
    return python, old_dir, tag


def ensure_node_env(env_dir, reinstall):
    """Install the node echo server's packages.  Returns the folder with
    echo_server.js and node_modules, or None (python echo is used)."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        log("[setup] node/npm not found; the round-trip workload will use "
            "the Python echo server")
        return None
    root = os.path.join(env_dir, "node")
    files = ("package.json", "package-lock.json", "echo_server.js")
    stamp_path = os.path.join(root, "installed.stamp")
    want = file_digest(*[os.path.join(ECHO_DIR, f) for f in files])
    if (not reinstall and read_text(stamp_path) == want
            and os.path.isdir(os.path.join(root, "node_modules", "ws"))):
        return root
    log("[setup] npm ci for the echo server in %s" % root)
    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(root)
    for name in files:
        shutil.copy(os.path.join(ECHO_DIR, name), os.path.join(root, name))
    code = subprocess.call([npm, "ci", "--no-audit", "--no-fund",
                            "--loglevel=error"], cwd=root)
    if code != 0:
        log("[setup] WARNING: npm ci failed; using the Python echo server")
        return None
    write_text(stamp_path, want)
    return root


def bootstrap(args, argv):
    """Make sure the environment exists, then run this script again inside
    it."""
    base = args.python or sys.executable
    check = subprocess.call([base, "-c", "import sys; sys.exit(sys.version_"
                             "info[:2] < %r)" % (MIN_PYTHON,)])
    if check != 0:
        sys.exit("the benchmark needs Python %d.%d or newer (got %s); use "
                 "--python" % (MIN_PYTHON + (base,)))
    env_dir = os.path.abspath(args.env_dir)
    python, old_dir, tag = ensure_python_env(env_dir, base, args.reinstall)
    node_dir = ensure_node_env(env_dir, args.reinstall)
    env = dict(os.environ)
    env[IN_ENV_FLAG] = json.dumps({
        "python": python, "lomond_old": old_dir, "node": node_dir,
        "tag": tag, "env_dir": env_dir,
    })
    cmd = [python, os.path.abspath(__file__)] + list(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(python, cmd, env)


# ---------------------------------------------------------------------------
# Processes


_PROCESSES = []


def spawn(cmd, **kwargs):
    kwargs.setdefault("start_new_session", True)
    proc = subprocess.Popen(cmd, **kwargs)
    _PROCESSES.append(proc)
    return proc


def kill(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            try:
                proc.kill()
            except OSError:
                pass
    try:
        proc.wait(timeout=5)
    except Exception:
        pass
    if proc in _PROCESSES:
        _PROCESSES.remove(proc)


def cleanup():
    for proc in list(_PROCESSES):
        kill(proc)


def _on_signal(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def pin(proc, cpu):
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    try:
        os.sched_setaffinity(proc.pid, {cpu})
    except OSError:
        pass


class Server(object):
    """A server process that prints ``PORT n`` and then JSON reports."""

    def __init__(self, name, cmd, workdir, cwd=None, env=None, cpu=None,
                 start_timeout=300):
        self.name = name
        self.lines = queue.Queue()
        self.stderr_path = os.path.join(workdir, "server-%s.log" % name)
        self._stderr = open(self.stderr_path, "wb")
        self.proc = spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=self._stderr, cwd=cwd, env=env)
        pin(self.proc, cpu)
        reader = threading.Thread(target=self._read, name="read-" + name)
        reader.daemon = True
        reader.start()
        self.port = None
        deadline = time.monotonic() + start_timeout
        while self.port is None:
            try:
                line = self.lines.get(timeout=max(0.1, deadline -
                                                  time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise RuntimeError("server %s did not start: %s" % (
                    name, self.stderr_tail()))
            if line.startswith("PORT "):
                self.port = int(line.split()[1])

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.put(raw.decode("utf-8", "replace").strip())
        self.lines.put(None)

    def stderr_tail(self, limit=1500):
        try:
            self._stderr.flush()
            with open(self.stderr_path, "rb") as handle:
                return handle.read()[-limit:].decode("utf-8", "replace")
        except (IOError, OSError):
            return ""

    def report_for(self, path, timeout):
        """The JSON report line of the connection with this request path."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                return None
            if line is None:
                self.lines.put(None)
                return None
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if report.get("path") == path:
                return report

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        try:
            self.proc.stdin.close()
        except (IOError, OSError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        kill(self.proc)
        self._stderr.close()


# ---------------------------------------------------------------------------
# Running clients


def run_client(ctx, client, workload, spec, server, tag, extra=()):
    path = "/%s/%s/%s" % (workload.name, client.name, tag)
    scheme = "wss" if workload.server == "source-tls" else "ws"
    url = "%s://127.0.0.1:%d%s" % (scheme, server.port, path)
    cmd = [ctx.python, os.path.join(CLIENTS_DIR, client.script)]
    cmd += client.args
    cmd += ["--name", client.name, "--mode", extra and extra[0] or
            workload.mode, "--url", url, "--timeout", str(ctx.args.timeout)]
    cmd += spec.to_args()
    if workload.mode == "recv" and spec.expected is not None:
        cmd += ["--expect-crc", str(spec.expected)]
    if scheme == "wss":
        cmd += ["--cafile", ctx.ca_path]
    proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                 stdin=subprocess.DEVNULL, cwd=ctx.workdir, env=ctx.env)
    pin(proc, ctx.client_cpu)
    started = time.monotonic()
    try:
        out, err = proc.communicate(timeout=ctx.args.timeout + 15)
    except subprocess.TimeoutExpired:
        kill(proc)
        out, err = proc.communicate()
        result = {"status": "error", "error": "timed out after %ds; killed"
                  % ctx.args.timeout}
    else:
        if proc in _PROCESSES:
            _PROCESSES.remove(proc)
        result = None
        for line in out.decode("utf-8", "replace").splitlines():
            if line.startswith("RESULT "):
                try:
                    result = json.loads(line[7:])
                except ValueError:
                    pass
        if result is None:
            tail = err.decode("utf-8", "replace")[-1500:]
            result = {"status": "error",
                      "error": "no result (exit code %s): %s"
                      % (proc.returncode, tail.strip().splitlines()[-1:]),
                      "stderr": tail}
    result["process_seconds"] = time.monotonic() - started
    result["client"] = client.name

    # The server's own view: the sink verifies what was sent, the source
    # tells whether compression was negotiated.
    if server.reports and result.get("status") not in ("n/a",
                                                       "import-error"):
        report = server.report_for(path, timeout=30)
        result["server"] = report
        if result.get("status") == "ok":
            if report is None:
                result.update(status="FAILED",
                              error="no report from the %s server"
                              % workload.server)
            elif not report.get("ok"):
                result.update(status="FAILED", error="server: %s"
                              % report.get("error"))
            elif workload.compress and not report.get("deflate"):
                result.update(status="FAILED",
                              error="permessage-deflate not negotiated")
    return result


class Spec(object):
    """Runner-side copy of a workload's parameters."""

    def __init__(self, wf, workload, scale, count=None, size=None):
        count = count if count is not None else workload.scaled_count(scale)
        size = size if size is not None else workload.size
        self.ws = wf.Spec(workload.kind, count, size,
                          compress=workload.compress)
        self.count = self.ws.count
        self.size = self.ws.size
        self.expected = None
        if workload.mode == "recv":
            self.expected = self.ws.expected_crc()

    def to_args(self):
        return self.ws.to_args()


def start_server(ctx, workload, spec):
    mode = workload.server
    if mode == "echo" and ctx.echo == "node":
        env = dict(ctx.env)
        env["LOMOND_BENCH_NODE_MODULES"] = os.path.join(ctx.node_dir,
                                                        "node_modules")
        server = Server("echo-node", ["node", os.path.join(
            ctx.node_dir, "echo_server.js")], ctx.workdir, env=env,
            cpu=ctx.server_cpu)
        server.reports = False
        return server
    cmd = [ctx.python, os.path.join(BENCH_DIR, "servers.py")]
    if mode == "source-tls":
        cmd += ["source", "--tls-cert", ctx.server_pem]
    else:
        cmd += [mode]
    cmd += spec.to_args()
    server = Server(workload.name, cmd, ctx.workdir, cpu=ctx.server_cpu,
                    env=ctx.env)
    server.reports = mode != "echo"
    return server


# ---------------------------------------------------------------------------
# Results


def summarise(workload, spec, client, runs):
    """Median over the runs of one client on one workload."""
    entry = {"client": client, "runs": runs}
    bad = [r for r in runs if r.get("status") != "ok"]
    if bad:
        first = bad[0]
        status = first.get("status")
        if any(r.get("status") in ("FAILED", "error") for r in runs):
            first = [r for r in runs if r.get("status") in
                     ("FAILED", "error")][0]
            status = "FAILED" if first.get("status") == "FAILED" else "ERROR"
        entry.update(status=status, error=first.get("error"))
        return entry
    walls = [r["wall"] for r in runs]
    cpus = [r["cpu"] for r in runs]
    wall = statistics.median(walls)
    cpu = statistics.median(cpus)
    entry.update(
        status="ok",
        wall=wall, cpu=cpu,
        wall_min=min(walls), wall_max=max(walls),
        spread=(max(walls) - min(walls)) / wall if wall else 0.0,
        msgs_per_s=spec.count / wall,
        mb_per_s=spec.count * spec.size / wall / 1e6,
    )
    lats = [r.get("latency_us") for r in runs if r.get("latency_us")]
    if lats:
        entry["latency_us"] = {
            "median": statistics.median([l["median"] for l in lats]),
            "p99": statistics.median([l["p99"] for l in lats]),
        }
    return entry


def add_ratios(block):
    results = block["results"]
    peers = [(results[p]["msgs_per_s"], p) for p in PEERS
             if p in results and results[p].get("status") == "ok"]
    best = max(peers) if peers else None
    raw = results.get("raw")
    raw_rate = raw["msgs_per_s"] if raw and raw.get("status") == "ok" \
        else None
    block["best_peer"] = best[1] if best else None
    for name in SUBJECTS:
        entry = results.get(name)
        if not entry or entry.get("status") != "ok":
            continue
        if best:
            entry["vs_best_peer"] = entry["msgs_per_s"] / best[0]
        if raw_rate:
            entry["vs_raw"] = entry["msgs_per_s"] / raw_rate


def human_size(n):
    if n >= MiB and n % MiB == 0:
        return "%d MiB" % (n // MiB)
    if n >= 1024 and n % 1024 == 0:
        return "%d KiB" % (n // 1024)
    return "%d B" % n


def fmt_num(value, digits=0):
    if value is None:
        return "-"
    if digits == 0:
        return "{:,.0f}".format(value)
    return "{:,.{d}f}".format(value, d=digits)


def format_workload(block):
    spec = block["spec"]
    lines = []
    title = "%s: %s (%s x %s %s%s)" % (
        block["name"], block["text"], "{:,}".format(spec["count"]),
        human_size(spec["size"]), spec["kind"],
        ", compressed" if spec["compress"] else "")
    lines.append(title)
    echo = block["mode"] == "echo"
    header = "  %-19s %11s %9s %8s %8s %6s" % (
        "client", "msg/s", "MB/s", "wall s", "cpu s", "spread")
    if echo:
        header += " %9s %9s" % ("med us", "p99 us")
    header += "  %-22s %s" % ("vs best peer", "vs raw")
    lines.append(header)
    for name, entry in block["results"].items():
        if entry.get("status") != "ok":
            error = (entry.get("error") or "").replace("\n", " ")
            lines.append("  %-19s %s: %s" % (name, entry.get("status"),
                                             error[:110]))
            continue
        row = "  %-19s %11s %9s %8.3f %8.3f %5.0f%%" % (
            name, fmt_num(entry["msgs_per_s"]),
            fmt_num(entry["mb_per_s"], 1), entry["wall"], entry["cpu"],
            entry["spread"] * 100)
        if echo:
            lat = entry.get("latency_us") or {}
            row += " %9s %9s" % (fmt_num(lat.get("median"), 1),
                                 fmt_num(lat.get("p99"), 1))
        if "vs_best_peer" in entry or "vs_raw" in entry:
            best = ""
            if "vs_best_peer" in entry:
                best = "%.2fx %s" % (entry["vs_best_peer"],
                                     block.get("best_peer"))
            raw = "%.3fx" % entry["vs_raw"] if "vs_raw" in entry else "-"
            row += "  %-22s %s" % (best, raw)
        lines.append(row.rstrip())
    return "\n".join(lines)


def format_imports(imports):
    lines = ["import time (fresh process, median of %d; ms)"
             % imports["runs"]]
    for name, entry in imports["results"].items():
        if entry.get("error"):
            lines.append("  %-19s %-26s error: %s" % (
                name, entry["module"], entry["error"][:80]))
        else:
            lines.append("  %-19s %-26s %8.1f ms   (min %.1f)" % (
                name, entry["module"], entry["median_ms"], entry["min_ms"]))
    return "\n".join(lines)


def format_memory(memory):
    lines = ["memory: peak RSS above baseline while receiving one message "
             "(median of %d)" % memory["runs"]]
    for size_name, block in memory["results"].items():
        for name, entry in block.items():
            if entry.get("status") != "ok":
                lines.append("  %-8s %-19s %s: %s" % (
                    size_name, name, entry.get("status"),
                    (entry.get("error") or "")[:90]))
            else:
                lines.append("  %-8s %-19s %8.1f MiB  = %.2f x message" % (
                    size_name, name, entry["peak"] / MiB, entry["ratio"]))
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Import time and memory


IMPORT_SNIPPET = r"""
import sys, time
path, block, module = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
if block:
    for name in ("wsaccel", "wsaccel.utf8validator", "wsaccel.xormask",
                 "wsaccel.mask"):
        sys.modules[name] = None
if path:
    sys.path.insert(0, path)
t = time.perf_counter()
__import__(module)
print(time.perf_counter() - t)
"""


def measure_imports(ctx, clients, runs):
    subjects = [c for c in clients if c.imports]
    samples = dict((c.name, []) for c in subjects)
    errors = {}
    for round_no in range(runs + 1):   # round 0 warms the .pyc caches
        for client in subjects:
            if client.name in errors:
                continue
            module, path, block = client.imports
            try:
                out = subprocess.run(
                    [ctx.python, "-c", IMPORT_SNIPPET, path or "",
                     "1" if block else "0", module],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    timeout=60, cwd=ctx.workdir, env=ctx.env)
            except subprocess.TimeoutExpired:
                errors[client.name] = "timed out"
                continue
            if out.returncode != 0:
                errors[client.name] = out.stderr.decode(
                    "utf-8", "replace").strip().splitlines()[-1:]
                errors[client.name] = " ".join(errors[client.name])
                continue
            if round_no:
                samples[client.name].append(float(out.stdout.strip()))
    results = {}
    for client in subjects:
        module = client.imports[0]
        if client.name in errors:
            results[client.name] = {"module": module,
                                    "error": errors[client.name]}
        else:
            values = samples[client.name]
            results[client.name] = {
                "module": module,
                "median_ms": statistics.median(values) * 1e3,
                "min_ms": min(values) * 1e3,
                "samples_ms": [v * 1e3 for v in values],
            }
    return {"runs": runs, "results": results}


def measure_memory(ctx, wf, clients, sizes, runs):
    results = {}
    for size in sizes:
        workload = Workload("memory-%s" % human_size(size).replace(" ", ""),
                            "recv", "source", "binary", 1, size)
        spec = Spec(wf, workload, 1.0, count=1, size=size)
        server = start_server(ctx, workload, spec)
        block = {}
        try:
            for client in clients:
                if not client.memory:
                    continue
                peaks = []
                entry = None
                for run_no in range(runs):
                    result = run_client(ctx, client, workload, spec, server,
                                        "m%d" % run_no, extra=("memory",))
                    if result.get("status") != "ok" or "memory" not in \
                            result:
                        entry = {"status": result.get("status"),
                                 "error": result.get("error")}
                        break
                    peaks.append(result["memory"]["peak_above_baseline"])
                if entry is None:
                    peak = statistics.median(peaks)
                    entry = {"status": "ok", "peak": peak,
                             "ratio": peak / float(size), "samples": peaks,
                             "method": result["memory"]["method"]}
                block[client.name] = entry
        finally:
            server.stop()
        results[human_size(size)] = block
    return {"runs": runs, "results": results}


# ---------------------------------------------------------------------------
# Main


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Benchmark lomond against its peers on local servers.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every message count (0.1 = quick "
                        "smoke run)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs per client and workload (median shown)")
    parser.add_argument("--workloads", default="all",
                        help="comma separated names or prefixes, or 'all', "
                        "or 'none'")
    parser.add_argument("--clients", default="all",
                        help="comma separated client names, or 'all'")
    parser.add_argument("--json", default=None,
                        help="write results here (default: "
                        "benchmarks/results/<timestamp>.json)")
    parser.add_argument("--timeout", type=int, default=300,
                        help="seconds before a client run is killed")
    parser.add_argument("--import-runs", type=int, default=15,
                        help="fresh processes per import-time measurement "
                        "(0 to skip)")
    parser.add_argument("--memory-runs", type=int, default=3,
                        help="runs per memory measurement (0 to skip)")
    parser.add_argument("--memory-sizes", default="8,64",
                        help="message sizes in MiB for the memory test")
    parser.add_argument("--echo", choices=("auto", "node", "python"),
                        default="auto",
                        help="echo server for round trips (auto: node ws "
                        "if npm installed it)")
    parser.add_argument("--lomond-new", default=REPO_DIR,
                        help="folder containing the lomond package measured "
                        "as lomond-new")
    parser.add_argument("--pin", action="store_true",
                        help="pin the client to CPU 0 and servers to CPU 1")
    parser.add_argument("--python", default=None,
                        help="interpreter for the benchmark venv (default: "
                        "the one running this script)")
    parser.add_argument("--env-dir",
                        default=os.environ.get("LOMOND_BENCH_ENV",
                                               os.path.join(BENCH_DIR,
                                                            ".env")),
                        help="where the venv, lomond 0.3.4 and node "
                        "packages go")
    parser.add_argument("--reinstall", action="store_true",
                        help="recreate the environment")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.scale <= 0:
        parser.error("--scale must be positive")
    return args


def select(items, spec, attr="name"):
    """Pick items by comma separated names; a name that is not exact
    selects every item it is a prefix of."""
    if spec == "all":
        return list(items)
    if spec == "none":
        return []
    names = [getattr(item, attr) for item in items]
    chosen = set()
    for wanted in (w.strip() for w in spec.split(",")):
        if not wanted:
            continue
        if wanted in names:
            chosen.add(wanted)
            continue
        matches = [n for n in names if n.startswith(wanted)]
        if not matches:
            sys.exit("unknown name %r (known: %s)" % (wanted,
                                                      ", ".join(names)))
        chosen.update(matches)
    return [item for item in items if getattr(item, attr) in chosen]


class RunContext(object):
    pass


def child_environment(env_info):
    """Environment of every process the runner starts."""
    env = dict(os.environ)
    env.pop(IN_ENV_FLAG, None)
    # Nothing from outside should change what gets imported.
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(name, None)
    # Cache bytecode (as an installed package would have it) so that import
    # time and start-up do not include compiling, for every library alike;
    # the cache lives in the benchmark environment, not in the work tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(
        env_info["env_dir"], "pycache", env_info["tag"])
    return env


def machine_info():
    info = {"platform": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except (IOError, OSError):
        pass
    try:
        info["node"] = subprocess.check_output(
            ["node", "--version"], universal_newlines=True).strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    env_info = os.environ.get(IN_ENV_FLAG)
    if not env_info:
        bootstrap(args, argv)
        return 1  # not reached
    env_info = json.loads(env_info)

    sys.path.insert(0, BENCH_DIR)
    import wsframes as wf

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, _on_signal)
    started = time.time()
    t_start = time.monotonic()

    ctx = RunContext()
    ctx.args = args
    ctx.python = env_info["python"]
    ctx.node_dir = env_info.get("node")
    ctx.workdir = tempfile.mkdtemp(prefix="lomond-bench-")
    ctx.env = child_environment(env_info)
    atexit.register(shutil.rmtree, ctx.workdir, True)
    ctx.client_cpu = 0 if args.pin else None
    ctx.server_cpu = 1 if args.pin and (os.cpu_count() or 1) > 1 else None
    if args.echo == "auto":
        ctx.echo = "node" if ctx.node_dir else "python"
    elif args.echo == "node" and not ctx.node_dir:
        sys.exit("--echo node: npm did not install the echo server")
    else:
        ctx.echo = args.echo

    clients = select(make_clients(os.path.abspath(args.lomond_new),
                                  env_info["lomond_old"]), args.clients)
    workloads = select(WORKLOADS, args.workloads)

    if any(w.server == "source-tls" for w in workloads):
        out = subprocess.check_output(
            [ctx.python, os.path.join(BENCH_DIR, "servers.py"), "gencert",
             os.path.join(ctx.workdir, "tls")], universal_newlines=True,
            env=ctx.env)
        paths = json.loads(out.strip().splitlines()[-1])
        ctx.ca_path = paths["ca"]
        ctx.server_pem = paths["server"]
    else:
        ctx.ca_path = ctx.server_pem = None

    log("[bench] %s, python %s (%s), scale %g, repeat %d, echo server: %s"
        % (", ".join(c.name for c in clients), platform.python_version(),
           ctx.python, args.scale, args.repeat, ctx.echo))
    log("[bench] lomond-new from %s" % os.path.abspath(args.lomond_new))

    output = {
        "meta": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                     time.localtime(started)),
            "argv": argv, "scale": args.scale, "repeat": args.repeat,
            "echo_server": ctx.echo, "lomond_new_path":
            os.path.abspath(args.lomond_new), "machine": machine_info(),
            "env": env_info,
        },
        "workloads": [],
        "versions": {},
    }
    broken = {}   # client name -> import error (skip further runs)
    text_blocks = []
    try:
        for workload in workloads:
            spec = Spec(wf, workload, args.scale)
            log("[bench] %s: %d x %s (server: %s)" % (
                workload.name, spec.count, human_size(spec.size),
                workload.server if workload.server != "echo" else
                "echo-" + ctx.echo))
            server = start_server(ctx, workload, spec)
            runs = dict((c.name, []) for c in clients)
            try:
                for rep in range(args.repeat):
                    shift = rep % len(clients) if clients else 0
                    order = clients[shift:] + clients[:shift]
                    for client in order:
                        if client.name in broken:
                            runs[client.name].append(dict(broken[client.name]))
                            continue
                        if not server.alive():
                            log("[bench] server died; restarting: %s"
                                % server.stderr_tail(300))
                            server.stop()
                            server = start_server(ctx, workload, spec)
                        result = run_client(ctx, client, workload, spec,
                                            server, "r%d" % rep)
                        if result.get("status") == "import-error":
                            broken[client.name] = result
                        if result.get("info"):
                            output["versions"].setdefault(client.name,
                                                          result["info"])
                        runs[client.name].append(result)
                        status = result.get("status")
                        log("  rep %d %-19s %s" % (rep + 1, client.name,
                            "%.3fs" % result["wall"] if status == "ok"
                            else "%s %s" % (status, (result.get("error")
                                                     or "")[:100])))
            finally:
                server.stop()
            block = {
                "name": workload.name, "text": workload.text,
                "mode": workload.mode, "server": workload.server if
                workload.server != "echo" else "echo-" + ctx.echo,
                "spec": {"kind": spec.ws.kind, "count": spec.count,
                         "size": spec.size, "period": spec.ws.period,
                         "compress": spec.ws.compress},
                "results": {},
            }
            for client in clients:
                block["results"][client.name] = summarise(
                    workload, spec, client.name, runs[client.name])
            add_ratios(block)
            output["workloads"].append(block)
            text_blocks.append(format_workload(block))

        if args.import_runs > 0:
            log("[bench] import time")
            output["import_time"] = measure_imports(ctx, clients,
                                                    args.import_runs)
            text_blocks.append(format_imports(output["import_time"]))
        if args.memory_runs > 0:
            sizes = [int(float(s) * MiB) for s in
                     args.memory_sizes.split(",") if s.strip()]
            log("[bench] memory")
            mem_clients = [c for c in clients if c.name not in broken]
            output["memory"] = measure_memory(ctx, wf, mem_clients, sizes,
                                              args.memory_runs)
            text_blocks.append(format_memory(output["memory"]))
    except KeyboardInterrupt:
        log("[bench] interrupted; partial results follow")
        output["meta"]["interrupted"] = True
    finally:
        cleanup()

    output["import_errors"] = dict(
        (name, result.get("error")) for name, result in broken.items())
    duration = time.monotonic() - t_start
    output["meta"]["duration_seconds"] = duration
    header = format_header(output)
    report = header + "\n\n" + "\n\n".join(text_blocks) + "\n"
    print(report)

    json_path = args.json
    if json_path is None:
        results_dir = os.path.join(BENCH_DIR, "results")
        if not os.path.isdir(results_dir):
            os.makedirs(results_dir)
        json_path = os.path.join(results_dir, time.strftime(
            "%Y%m%d-%H%M%S", time.localtime(started)) + ".json")
    output["report_text"] = report
    with open(json_path, "w") as handle:
        json.dump(output, handle, indent=1, sort_keys=False)
    log("[bench] results written to %s (%.0f s)" % (json_path, duration))
    failed = [(b["name"], n) for b in output["workloads"]
              for n, e in b["results"].items()
              if e.get("status") in ("FAILED", "ERROR")]
    if failed:
        log("[bench] FAILED: %s" % ", ".join("%s/%s" % f for f in failed))
    return 0


def format_header(output):
    meta = output["meta"]
    machine = meta["machine"]
    lines = [
        "Lomond benchmark  %s  (%.0f s)" % (meta["started"],
                                            meta["duration_seconds"]),
        "machine: %s, %s cpus, %s; python %s; node %s" % (
            machine.get("cpu", "?"), machine.get("cpus"),
            machine.get("platform"), machine.get("python"),
            machine.get("node", "-")),
        "scale %g, repeat %d (median shown; spread = (max-min)/median of "
        "wall), echo server: %s" % (meta["scale"], meta["repeat"],
                                    meta["echo_server"]),
    ]
    for name, info in output["versions"].items():
        extra = []
        for key in ("wsaccel_loaded", "speedups_loaded"):
            if key in info:
                extra.append("%s=%s" % (key, info[key]))
        lines.append("  %-19s %s %s %s%s" % (
            name, info.get("library", ""), info.get("version", ""),
            info.get("file", ""), (" [" + ", ".join(extra) + "]")
            if extra else ""))
    for name, error in sorted(output.get("import_errors", {}).items()):
        lines.append("  %-19s could not be imported: %s" % (name, error))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
