#!/usr/bin/env python3
"""Run the Autobahn WebSocket test suite against Lomond and judge it.

One command (Python 3.6+)::

    python3 compliance/run.py

What happens:

1. A cached Python 2.7 virtualenv with ``autobahntestsuite`` is created
   or reused (``$LOMOND_CACHE/autobahn-py27``, by default
   ``~/.cache/lomond/autobahn-py27``) through ``tools/py27env.py``.
2. The fuzzingserver (``wstest -m fuzzingserver``) is started on a free
   loopback port, in its own process group, logging to a temp dir.
3. ``compliance/client.py`` runs every case with Lomond as the client,
   in a separate Python process (``--python`` picks the interpreter).
4. The server's ``index.json`` report is summarised: counts per
   behaviour and close behaviour, timings, slowest and failing cases.

Exit status: 0 when every case reported is OK / NON-STRICT /
INFORMATIONAL with an OK / INFORMATIONAL close and the number of cases
reported is the number run; 1 when the suite found problems; 2 when the
runner itself could not do its job; 128+N after signal N (130 for
Ctrl-C).  The fuzzingserver is stopped in every case.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported here
    from urllib import quote

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))

import py27env  # noqa: E402  (needs the sys.path entry above)

CLIENT = os.path.join(HERE, "client.py")
LAUNCHER = os.path.join(HERE, "wstest_loopback.py")
REQUIREMENTS = os.path.join(HERE, "requirements-py27.txt")
AUTOBAHN_ENV_NAME = "autobahn-py27"
AUTOBAHN_VERSION = "25.10.1"
EXPECTED_FULL_COUNT = 517
LOOPBACK = "127.0.0.1"

ACCEPTABLE_BEHAVIOR = ("OK", "NON-STRICT", "INFORMATIONAL")
ACCEPTABLE_CLOSE = ("OK", "INFORMATIONAL")
BEHAVIOR_ORDER = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED",
                  "FAILED")

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_ERROR = 2

PORT_ATTEMPTS = 4
WSTEST_CHECK_TIMEOUT = 120
STOP_TIMEOUT = 10
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class RunnerError(Exception):
    """The runner could not do its job; the message explains why."""


class Terminated(BaseException):
    """Raised from our SIGTERM/SIGHUP handler so cleanup code runs."""

    def __init__(self, signum):
        BaseException.__init__(self, signum)
        self.signum = signum


def say(message=""):
    """Print a line on stdout immediately (it interleaves with children)."""
    print(message, flush=True)


# ---------------------------------------------------------------------------
# signals
# ---------------------------------------------------------------------------

def _raise_terminated(signum, frame):
    """Signal handler turning SIGTERM/SIGHUP into an exception."""
    raise Terminated(signum)


def install_signal_handlers():
    """Make SIGTERM and SIGHUP unwind the stack like Ctrl-C does."""
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, _raise_terminated)


class DeferredSignals(object):
    """Hold off SIGINT/SIGTERM/SIGHUP while cleanup runs, then deliver."""

    SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}

    def __enter__(self):
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        return self

    def __exit__(self, *exc_info):
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, self.SIGNALS)


def kill_process_group(proc, first_signal=signal.SIGTERM,
                       timeout=STOP_TIMEOUT):
    """Stop *proc* and its process group: *first_signal*, then SIGKILL.

    *proc* must have been started with ``start_new_session=True`` so
    that its pid is also its process group id.
    """
    if proc is None:
        return
    with DeferredSignals():
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, first_signal)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Sweep anything else left in the group, leader dead or not.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            say("warning: process %d did not die" % proc.pid)


# ---------------------------------------------------------------------------
# the Python 2.7 Autobahn environment
# ---------------------------------------------------------------------------

def read_requirements(path=REQUIREMENTS):
    """Return the requirement lines of *path* (comments dropped)."""
    requirements = []
    with open(path) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                requirements.append(line)
    return requirements


def wstest_works(env_path):
    """True if ``wstest -a`` in *env_path* reports the expected version."""
    wstest = os.path.join(env_path, "bin", "wstest")
    try:
        completed = subprocess.run(
            [wstest, "-a"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=WSTEST_CHECK_TIMEOUT,
            universal_newlines=True)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return completed.returncode == 0 and \
        ("AutobahnTestSuite %s" % AUTOBAHN_VERSION) in completed.stdout


def prepare_autobahn(env_path, verbose):
    """Create or reuse the Autobahn 2.7 virtualenv; return its python."""
    requirements = read_requirements()
    started = time.monotonic()
    say("Autobahn environment: %s" % env_path)
    try:
        python = py27env.create_env(env_path, requirements, verbose=verbose)
        if not wstest_works(env_path):
            say("wstest does not work in %s; rebuilding it" % env_path)
            python = py27env.create_env(env_path, requirements,
                                        recreate=True, verbose=verbose)
    except py27env.Py27EnvError as error:
        raise RunnerError("cannot prepare the Autobahn environment: %s"
                          % error)
    if not wstest_works(env_path):
        raise RunnerError("wstest -a fails in %s even after a rebuild"
                          % env_path)
    elapsed = time.monotonic() - started
    if elapsed > 5:
        say("Autobahn environment ready in %.1f s" % elapsed)
    return python


# ---------------------------------------------------------------------------
# the fuzzingserver
# ---------------------------------------------------------------------------

def pick_free_port():
    """Return a TCP port on the loopback address that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class FuzzingServer(object):
    """One ``wstest -m fuzzingserver`` process in its own process group."""

    def __init__(self, python, workdir, port):
        self.python = python
        self.workdir = workdir
        self.port = port
        self.url = "ws://%s:%d" % (LOOPBACK, port)
        self.outdir = os.path.join(workdir, "reports")
        self.spec_path = os.path.join(workdir, "spec.json")
        self.log_path = os.path.join(workdir, "wstest-%d.log" % port)
        self.proc = None
        self.died_by_itself = False
        self._log = None

    def write_spec(self):
        """Write the fuzzingserver spec for this port."""
        spec = {
            "url": self.url,
            "outdir": self.outdir,
            "cases": ["*"],
            "exclude-cases": [],
            "exclude-agent-cases": {},
        }
        with open(self.spec_path, "w") as handle:
            json.dump(spec, handle, indent=2)

    def start(self):
        """Start the server process (it is not listening yet)."""
        self.write_spec()
        self._log = open(self.log_path, "wb")
        command = [self.python, "-u", LAUNCHER, "--exit-on-stdin-eof",
                   "-m", "fuzzingserver", "-s", self.spec_path,
                   "-u", "0"]  # -u 0: no extra web server on port 8080
        try:
            self.proc = subprocess.Popen(
                command, cwd=self.workdir, stdin=subprocess.PIPE,
                stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True)
        except OSError as error:
            self._log.close()
            raise RunnerError("cannot start the fuzzingserver: %s" % error)

    def wait_until_listening(self, timeout):
        """Poll until the fuzzingserver answers a handshake on our port.

        Returns True once it does, False if the process exited first or
        something else answered on the port; raises RunnerError if there
        is no answer within *timeout* seconds.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                response = raw_handshake(self.port, "/getCaseCount",
                                         timeout=5.0)
            except OSError:
                time.sleep(0.1)
                continue
            return is_autobahn_upgrade(response) and self.proc.poll() is None
        raise RunnerError(
            "the fuzzingserver did not accept connections on port %d within "
            "%d s; log tail:\n%s" % (self.port, timeout, self.log_tail()))

    def log_tail(self, lines=20):
        """Return the last *lines* lines of the server log."""
        try:
            with open(self.log_path, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        tail = text.rstrip().splitlines()[-lines:]
        return "\n".join(line if len(line) <= 300 else line[:297] + "..."
                         for line in tail)

    def stop(self):
        """Stop the server and its process group; safe to call twice."""
        if self.proc is not None:
            if self.proc.poll() is not None and self._log is not None:
                self.died_by_itself = True
            kill_process_group(self.proc)
            if self.proc.stdin is not None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
        if self._log is not None:
            self._log.close()
            self._log = None


def start_fuzzingserver(python, workdir, timeout):
    """Start a fuzzingserver on a free port, retrying port races."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        server = FuzzingServer(python, workdir, pick_free_port())
        server.start()
        try:
            if server.wait_until_listening(timeout):
                say("fuzzingserver listening on %s (pid %d)"
                    % (server.url, server.proc.pid))
                return server
        except BaseException:
            server.stop()
            raise
        server.stop()
        say("fuzzingserver on port %d exited early (attempt %d/%d):\n%s"
            % (server.port, attempt, PORT_ATTEMPTS, server.log_tail(5)))
    raise RunnerError("the fuzzingserver failed to start %d times; see the "
                      "log above" % PORT_ATTEMPTS)


def raw_handshake(port, path, timeout, wait_for_frame=False):
    """Send a WebSocket opening handshake for *path*; return the reply.

    No WebSocket library is involved, so this works even when the
    client under test is broken.  The reply is read up to the end of the
    response headers, plus (with *wait_for_frame*) the first bytes after
    them or the server hanging up.  Raises OSError on socket problems.
    """
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = (
        "GET %s HTTP/1.1\r\n"
        "Host: %s:%d\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n" % (path, LOOPBACK, port, key))
    received = b""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        sock.sendall(request.encode("ascii"))
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            _head, sep, rest = received.partition(b"\r\n\r\n")
            if sep and (rest or not wait_for_frame):
                break
    return received


def is_autobahn_upgrade(response):
    """True if *response* is the fuzzingserver accepting a handshake."""
    head = response.partition(b"\r\n\r\n")[0].lower()
    return head.startswith(b"http/1.1 101") and b"autobahntestsuite" in head


def request_report_update(port, agent, timeout=60.0):
    """Ask the server to write its reports for *agent*.

    Used only when the client did not manage to (for example because it
    crashed).  The server writes the reports as soon as the handshake of
    ``/updateReports`` completes and then sends a close frame, which we
    wait for.  Returns True if the server accepted the request.
    """
    path = "/updateReports?agent=%s" % quote(agent, safe="")
    try:
        response = raw_handshake(port, path, timeout, wait_for_frame=True)
    except OSError as error:
        say("could not request a report update: %s" % error)
        return False
    return is_autobahn_upgrade(response)


# ---------------------------------------------------------------------------
# the client
# ---------------------------------------------------------------------------

def client_environment():
    """Environment for client.py: unbuffered, no proxies."""
    env = dict(os.environ)
    for name in PROXY_VARIABLES:
        env.pop(name, None)
        env.pop(name.upper(), None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_client(args, server, result_path, shard=""):
    """Start client.py against *server*; return the process."""
    command = [args.python, CLIENT, "--url", server.url,
               "--agent", args.agent, "--result-json", result_path,
               "--case-timeout", str(args.case_timeout),
               "--driver", args.driver]
    if args.cases:
        command += ["--cases", args.cases]
    if shard:
        command += ["--shard", shard]
    say("running: %s" % " ".join(command))
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                env=client_environment(),
                                start_new_session=True)
    except OSError as error:
        raise RunnerError("cannot run the client with %s: %s"
                          % (args.python, error))


def wait_for_clients(args, procs):
    """Wait for every client; return their exit statuses.

    A status of None means the client was killed after ``--timeout``
    seconds (all clients share that budget).
    """
    deadline = time.monotonic() + args.timeout
    statuses = []
    try:
        for proc in procs:
            try:
                statuses.append(proc.wait(
                    timeout=max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                say("a client was still running after %d s; stopping it"
                    % args.timeout)
                statuses.append(None)
    finally:
        for proc in procs:
            kill_process_group(proc)
    return statuses


def read_client_result(path):
    """Return the JSON written by client.py, or {} if there is none."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------

def load_report(outdir, agent):
    """Return ``{case_id: result}`` for *agent* from ``index.json``."""
    path = os.path.join(outdir, "index.json")
    try:
        with open(path) as handle:
            index = json.load(handle)
    except (OSError, ValueError) as error:
        raise RunnerError("cannot read the report %s: %s" % (path, error))
    if agent not in index:
        raise RunnerError("the report has no results for agent %r (agents: "
                          "%s)" % (agent, ", ".join(sorted(index)) or "none"))
    return index[agent]


def case_sort_key(case_id):
    """Sort "9.10.1" after "9.2.1"."""
    key = []
    for part in case_id.split("."):
        key.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return key


def is_acceptable(result):
    """True if a case result is good enough to pass."""
    return result.get("behavior") in ACCEPTABLE_BEHAVIOR and \
        result.get("behaviorClose") in ACCEPTABLE_CLOSE


def format_counts(counter):
    """Lines like ``  OK   512`` in a stable, meaningful order."""
    names = [name for name in BEHAVIOR_ORDER if name in counter]
    names += sorted(name for name in counter if name not in BEHAVIOR_ORDER)
    return ["  %-14s %4d" % (name, counter[name]) for name in names]


def summarize(cases, expected, announced, client_seconds):
    """Return (lines, failures): the summary text and what went wrong."""
    failures = []
    ids = sorted(cases, key=case_sort_key)
    lines = ["cases reported: %d (expected %s; server announced %s)"
             % (len(ids), expected if expected is not None else "unknown",
                announced if announced is not None else "unknown")]
    if expected is None:
        failures.append("the client did not say which cases it ran")
    elif len(ids) != expected:
        failures.append("%d cases reported, %d expected"
                        % (len(ids), expected))
    if announced is not None and announced != EXPECTED_FULL_COUNT:
        lines.append("note: this suite normally has %d cases"
                     % EXPECTED_FULL_COUNT)

    lines.append("behavior:")
    lines += format_counts(Counter(cases[i].get("behavior") for i in ids))
    lines.append("behaviorClose:")
    lines += format_counts(Counter(cases[i].get("behaviorClose")
                                   for i in ids))

    total_ms = sum(cases[i].get("duration") or 0 for i in ids)
    lines.append("time: client run %.1f s; sum of case durations %.1f s"
                 % (client_seconds, total_ms / 1000.0))
    slowest = sorted(ids, key=lambda i: cases[i].get("duration") or 0,
                     reverse=True)[:10]
    if slowest:
        lines.append("slowest cases:")
        for case_id in slowest:
            result = cases[case_id]
            lines.append("  %-10s %8d ms  %s/%s" % (
                case_id, result.get("duration") or 0,
                result.get("behavior"), result.get("behaviorClose")))

    bad = [i for i in ids if not is_acceptable(cases[i])]
    if bad:
        lines.append("not acceptable (%d):" % len(bad))
        for case_id in bad:
            lines.append("  %-10s behavior=%s behaviorClose=%s" % (
                case_id, cases[case_id].get("behavior"),
                cases[case_id].get("behaviorClose")))
        failures.append("%d cases not acceptable" % len(bad))
    passed = len(ids) - len(bad)
    missing = max(0, (expected or 0) - len(ids))
    lines.append("autobahn: %d passed, %d failed" % (passed,
                                                     len(bad) + missing))
    return lines, failures


def keep_report(outdir, destination):
    """Copy the report directory's files into *destination*."""
    if not os.path.isdir(outdir):
        say("no report to keep (%s does not exist)" % outdir)
        return
    for root, _dirs, files in os.walk(outdir):
        target = os.path.join(destination, os.path.relpath(root, outdir))
        os.makedirs(target, exist_ok=True)
        for name in files:
            shutil.copy2(os.path.join(root, name), os.path.join(target, name))
    say("report kept in %s" % os.path.join(os.path.abspath(destination),
                                           "index.html"))


# ---------------------------------------------------------------------------
# putting it together
# ---------------------------------------------------------------------------

def merge_client_results(results):
    """One client result for the whole run, from the shards' results."""
    merged = {"case_count": None, "selected": [], "abandoned": [],
              "reports_updated": bool(results)}
    for result in results:
        merged["case_count"] = merged["case_count"] or result.get("case_count")
        merged["selected"] += result.get("selected") or []
        merged["abandoned"] += result.get("abandoned") or []
        merged["reports_updated"] &= bool(result.get("reports_updated"))
    return merged


def run_suite(args, workdir):
    """Prepare, serve, run the clients and judge; return the exit status.

    With ``--jobs N`` the cases are shared (interleaved) between N
    fuzzingservers, each with its own client: a client and its server
    take turns, so one pair keeps only one core busy.
    """
    env_path = args.autobahn_env or os.path.join(py27env.cache_root(),
                                                 AUTOBAHN_ENV_NAME)
    python27 = prepare_autobahn(env_path, verbose=args.verbose)
    servers = []
    statuses = []
    results = []
    try:
        for job in range(args.jobs):
            jobdir = os.path.join(workdir, "job%d" % (job + 1))
            os.makedirs(jobdir)
            servers.append(start_fuzzingserver(python27, jobdir,
                                               args.server_timeout))
        started = time.monotonic()
        procs = []
        for job, server in enumerate(servers):
            result_path = os.path.join(server.workdir, "client-result.json")
            shard = "%d/%d" % (job, args.jobs) if args.jobs > 1 else ""
            procs.append(start_client(args, server, result_path, shard))
        statuses = wait_for_clients(args, procs)
        client_seconds = time.monotonic() - started
        for server, status in zip(servers, statuses):
            result = read_client_result(
                os.path.join(server.workdir, "client-result.json"))
            results.append(result)
            if status not in (0, None):
                say("client for %s exited with status %s"
                    % (server.url, status))
            if not result.get("reports_updated"):
                say("asking %s for a report directly" % server.url)
                request_report_update(server.port, args.agent)
    finally:
        for server in servers:
            server.stop()
    for server, status, result in zip(servers, statuses, results):
        if server.died_by_itself or (status not in (0, None) and not result):
            say("fuzzingserver %s %s; log tail:\n%s" % (
                server.url,
                "died during the run" if server.died_by_itself else "log",
                server.log_tail()))

    cases = {}
    for server in servers:
        cases.update(load_report(server.outdir, args.agent))
    if args.keep_report:
        for job, server in enumerate(servers):
            destination = args.keep_report
            if len(servers) > 1:
                destination = os.path.join(args.keep_report, "job%d" % (job + 1))
            keep_report(server.outdir, destination)
        if len(servers) > 1:
            os.makedirs(args.keep_report, exist_ok=True)
            with open(os.path.join(args.keep_report, "index.json"), "w") as handle:
                json.dump({args.agent: cases}, handle, indent=1, sort_keys=True)
            say("merged index.json kept in %s" % args.keep_report)
    client = merge_client_results(results)
    selected = client.get("selected")
    expected = len(selected) if selected else None
    lines, failures = summarize(cases, expected, client.get("case_count"),
                                client_seconds)
    for status in statuses:
        if status is None:
            failures.append("a client was stopped after --timeout %g s"
                            % args.timeout)
        elif status != 0:
            failures.append("a client exited with status %s" % status)
    if client.get("abandoned"):
        failures.append("the guard abandoned cases %s" % client["abandoned"])
    say("")
    say("== Autobahn summary for agent %r ==" % args.agent)
    if len(servers) > 1:
        say("(shared between %d fuzzingservers)" % len(servers))
    for line in lines:
        say(line)
    say("total time including setup: %.1f s"
        % (time.monotonic() - args.started))
    if failures:
        say("RESULT: FAIL (%s)" % "; ".join(failures))
        return EXIT_FAIL
    say("RESULT: PASS")
    return EXIT_PASS


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Run the Autobahn fuzzingserver suite against Lomond.")
    parser.add_argument("--cases", default="",
                        help="only these case numbers, e.g. 1-20,25")
    parser.add_argument("--jobs", type=int,
                        default=2 if (os.cpu_count() or 1) >= 2 else 1,
                        help="share the cases between this many "
                             "fuzzingservers and clients (default: 2 when "
                             "there are 2 or more CPUs)")
    parser.add_argument("--agent", default=None,
                        help="agent name in the report (default lomond, "
                             "or lomond-aio with --driver aio)")
    parser.add_argument("--driver", choices=["sync", "aio"], default="sync",
                        help="lomond's blocking WebSocket (sync) or "
                             "lomond.aio (default %(default)s)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for client.py (default: this one)")
    parser.add_argument("--keep-report", metavar="DIR",
                        help="copy the HTML/JSON report into DIR")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds allowed for the whole client run "
                             "(default %(default)s)")
    parser.add_argument("--case-timeout", type=float, default=120,
                        help="client's wall-clock guard per case "
                             "(default %(default)s)")
    parser.add_argument("--server-timeout", type=float, default=60,
                        help="seconds to wait for the server to listen "
                             "(default %(default)s)")
    parser.add_argument("--autobahn-env", metavar="PATH",
                        help="the 2.7 virtualenv to use (default "
                             "$LOMOND_CACHE/%s)" % AUTOBAHN_ENV_NAME)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show pip output while installing")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be 1 or more")
    if args.agent is None:
        args.agent = "lomond-aio" if args.driver == "aio" else "lomond"
    return args


def main(argv=None):
    """Command line entry point; returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.started = time.monotonic()
    install_signal_handlers()
    try:
        with tempfile.TemporaryDirectory(prefix="lomond-autobahn-") as tmp:
            return run_suite(args, tmp)
    except RunnerError as error:
        say("error: %s" % error)
        say("RESULT: ERROR")
        return EXIT_ERROR
    except KeyboardInterrupt:
        say("interrupted; child processes stopped")
        return 128 + signal.SIGINT
    except Terminated as signal_exit:
        say("terminated by signal %d; child processes stopped"
            % signal_exit.signum)
        return 128 + signal_exit.signum


if __name__ == "__main__":
    sys.exit(main())
