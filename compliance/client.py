# -*- coding: utf-8 -*-
"""Run the Autobahn fuzzingserver cases with Lomond as the client.

Valid on Python 2.7 and 3.x.  For each selected case this connects to
``/runCase?case=N&agent=AGENT`` with permessage-deflate offered and
echoes every text and binary message back; finally it asks the server to
write its reports with ``/updateReports?agent=AGENT``.

Only the public API shared by lomond 0.3.4 and the new lomond is used:
``WebSocket(url, compress=True)``, ``connect(ping_rate=0, poll=...,
close_timeout=...)``, ``send_text``, ``send_binary`` and ``close``.

``lomond`` is imported from the repository root, or from the directory
named by the environment variable ``LOMOND_COMPLIANCE_PATH`` (for example
a folder where a released lomond was installed with ``pip --target``).

Usually started by run.py; by hand, with a fuzzingserver listening::

    python compliance/client.py --url ws://127.0.0.1:9001 --cases 1-20
"""

from __future__ import print_function

import argparse
import json
import logging
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")

NOTE_LENGTH = 100
MAX_CONNECT_FAILURES = 3

clock = getattr(time, "monotonic", time.time)

try:
    TEXT_TYPES = (str, unicode)  # noqa: F821 (Python 2)
except NameError:
    TEXT_TYPES = (str,)


def printable(value):
    """Return *value* as a native str that prints on Python 2 and 3."""
    if not isinstance(value, TEXT_TYPES):
        try:
            value = "%s" % (value,)
        except Exception:
            value = repr(value)
    if not isinstance(value, str):  # unicode on Python 2
        value = value.encode("ascii", "backslashreplace")
    return value


def lomond_location():
    """Return the directory lomond should be imported from."""
    override = os.environ.get("LOMOND_COMPLIANCE_PATH")
    return os.path.abspath(override) if override else REPO_ROOT


def drop_proxy_settings():
    """Forget proxy variables: all traffic goes straight to 127.0.0.1."""
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(name.upper(), None)


def import_lomond():
    """Import lomond from :func:`lomond_location` and return the module.

    Raises ImportError if it cannot be imported from exactly there (an
    installed copy elsewhere on sys.path must not stand in for it).
    """
    location = lomond_location()
    if not os.path.isdir(os.path.join(location, "lomond")):
        raise ImportError("there is no lomond package in %s" % location)
    if HERE in sys.path:
        sys.path.remove(HERE)
    sys.path.insert(0, location)
    import lomond
    found = os.path.dirname(os.path.abspath(lomond.__file__))
    wanted = os.path.join(location, "lomond")
    if os.path.realpath(found) != os.path.realpath(wanted):
        raise ImportError("lomond was imported from %s, not %s"
                          % (found, wanted))
    return lomond


def parse_case_selection(text, case_count):
    """Turn ``"1-20,25"`` into a sorted list of case numbers.

    Numbers must lie within 1..*case_count*; ValueError otherwise.
    """
    if not text:
        return list(range(1, case_count + 1))
    selected = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            first, last = part.split("-", 1)
            first, last = int(first), int(last)
        else:
            first = last = int(part)
        if first < 1 or last > case_count or first > last:
            raise ValueError("case range %r is outside 1-%d"
                             % (part, case_count))
        selected.update(range(first, last + 1))
    if not selected:
        raise ValueError("no cases selected by %r" % text)
    return sorted(selected)


def take_shard(selected, shard):
    """Every N-th case of *selected*, from the K-th, for ``"K/N"``.

    Interleaving keeps shards balanced: the slow compression cases (12.x
    and 13.x) come in runs, and each shard gets its share of them.
    """
    if not shard:
        return selected
    index, _slash, count = shard.partition("/")
    index, count = int(index), int(count)
    if not 0 <= index < count:
        raise ValueError("shard %r: need 0 <= K < N" % shard)
    return selected[index::count]


class Session(object):
    """One WebSocket connection, run to completion with a time guard.

    *on_event* is called as ``on_event(websocket, event)`` for every
    event.  When the connection is still going after *guard* seconds it
    is asked to close; after a further *grace* seconds it is abandoned.
    """

    def __init__(self, lomond, url, options, on_event=None):
        self.lomond = lomond
        self.url = url
        self.options = options
        self.on_event = on_event
        self.events = []
        self.notes = []
        self.guard_tripped = False
        self.abandoned = False
        self.elapsed = 0.0

    def note(self, text):
        """Remember something worth printing on the case's line."""
        text = printable(text)
        if len(text) > NOTE_LENGTH:
            text = text[:NOTE_LENGTH - 3] + "..."
        if text not in self.notes:
            self.notes.append(text)

    def _record(self, event):
        """Keep the event name and any problem it reports."""
        name = getattr(event, "name", "?")
        self.events.append(name)
        if name in ("connect_fail", "rejected", "protocol_error",
                    "unresponsive"):
            reason = getattr(event, "reason", None) or \
                getattr(event, "error", None) or ""
            self.note(("%s %s" % (name, printable(reason))).strip())

    def _check_guard(self, websocket, started, close=None):
        """Close, then abandon, a connection that runs too long.

        *close* closes it (default ``websocket.close``).
        """
        guard = self.options.case_timeout
        if not guard:
            return False
        elapsed = clock() - started
        if elapsed > guard and not self.guard_tripped:
            self.guard_tripped = True
            self.note("guard: still open after %gs, closing" % guard)
            try:
                (close or websocket.close)()
            except Exception as error:  # keep going, abandon below
                self.note("close() raised %r" % (error,))
        if elapsed > guard + self.options.close_grace:
            self.abandoned = True
            self.note("guard: abandoned")
            return True
        return False

    def run(self):
        """Connect and consume events until the connection ends."""
        started = clock()
        events = None
        try:
            websocket = self.lomond.WebSocket(self.url, compress=True)
            events = websocket.connect(
                ping_rate=0,
                poll=self.options.poll,
                close_timeout=self.options.close_timeout,
            )
            for event in events:
                self._record(event)
                if self.on_event is not None:
                    try:
                        self.on_event(websocket, event)
                    except Exception as error:
                        # e.g. echoing after the server started closing;
                        # keep reading so the close handshake completes.
                        self.note("%s raised %s: %s" % (
                            event.name, type(error).__name__,
                            printable(error)))
                if self._check_guard(websocket, started):
                    break
        except Exception as error:
            self.note("client raised %s: %s"
                      % (type(error).__name__, printable(error)))
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass
            self.elapsed = clock() - started
        return self


def echo(websocket, event):
    """Send text and binary messages straight back."""
    if event.name == "text":
        websocket.send_text(event.text)
    elif event.name == "binary":
        websocket.send_binary(event.data)


def aio_session_module():
    """compliance/aio_session.py (Python 3.8+), loaded by its path: this
    directory is not on sys.path (see import_lomond)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("aio_session", os.path.join(HERE, "aio_session.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def session_class(options):
    """The Session of the driver asked for (``--driver``)."""
    if options.driver == "aio":
        return aio_session_module().session_class(Session, clock, printable)
    return Session


def case_handler(options):
    """What each case does with the messages: echo them."""
    if options.driver == "aio":
        return aio_session_module().echo
    return echo


def get_case_count(lomond, base_url, options):
    """Ask the server how many cases it has; None if it doesn't say."""
    answers = []

    def collect(websocket, event):
        if event.name == "text":
            answers.append(event.text)

    session = session_class(options)(lomond, base_url + "/getCaseCount", options, collect)
    session.run()
    if not answers:
        print("getCaseCount failed: %s" % ("; ".join(session.notes)
                                           or ", ".join(session.events)))
        return None
    return int(json.loads(answers[0]))


def run_case(lomond, base_url, agent, number, options):
    """Run case *number* and return its :class:`Session`."""
    url = "%s/runCase?case=%d&agent=%s" % (base_url, number, agent)
    return session_class(options)(lomond, url, options, case_handler(options)).run()


def update_reports(lomond, base_url, agent, options):
    """Ask the server to write its reports; True if it answered."""
    url = "%s/updateReports?agent=%s" % (base_url, agent)
    session = session_class(options)(lomond, url, options).run()
    return "ready" in session.events


def write_result(path, result):
    """Write the machine-readable result for run.py (if asked to)."""
    if not path:
        return
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
    os.rename(temporary, path)


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Run Autobahn fuzzingserver cases with Lomond.")
    parser.add_argument("--url", default="ws://127.0.0.1:9001",
                        help="fuzzingserver base URL (default %(default)s)")
    parser.add_argument("--agent", default="lomond",
                        help="agent name in the report (default %(default)s)")
    parser.add_argument("--cases", default="",
                        help="case numbers to run, e.g. 1-20,25 (default all)")
    parser.add_argument("--shard", default="",
                        help="K/N: run only every N-th selected case, from "
                             "the K-th (0-based), to share the suite "
                             "between N servers")
    parser.add_argument("--poll", type=float, default=0.1,
                        help="lomond poll interval in s (default %(default)s)")
    parser.add_argument("--close-timeout", type=float, default=5.0,
                        help="lomond close_timeout in s (default %(default)s)")
    parser.add_argument("--case-timeout", type=float, default=120.0,
                        help="wall-clock guard per case in s, 0 for none "
                             "(default %(default)s)")
    parser.add_argument("--close-grace", type=float, default=10.0,
                        help="seconds after the guard closes a case before "
                             "it is abandoned (default %(default)s)")
    parser.add_argument("--result-json", default="",
                        help="write a JSON summary of the run to this file")
    parser.add_argument("--driver", choices=["sync", "aio"], default="sync",
                        help="lomond's blocking WebSocket (sync) or "
                             "lomond.aio (Python 3.8+) (default %(default)s)")
    return parser.parse_args(argv)


def run(options):
    """Run the selected cases; return the exit status."""
    drop_proxy_settings()
    try:
        lomond = import_lomond()
    except ImportError as error:
        print("cannot import lomond from %s: %s" % (lomond_location(), error))
        write_result(options.result_json, {"import_error": str(error)})
        return 2
    version = getattr(lomond, "__version__", "?")
    print("lomond %s from %s (Python %s)" % (
        version, os.path.dirname(os.path.abspath(lomond.__file__)),
        sys.version.split()[0]))
    base_url = options.url.rstrip("/")
    result = {"case_count": None, "selected": [], "guard_tripped": [],
              "abandoned": [], "errors": {}, "reports_updated": False,
              "lomond_version": version, "python": sys.version.split()[0]}
    started = clock()
    try:
        case_count = get_case_count(lomond, base_url, options)
        if case_count is None:
            return 2
        result["case_count"] = case_count
        try:
            selected = parse_case_selection(options.cases, case_count)
            selected = take_shard(selected, options.shard)
        except ValueError as error:
            print("bad --cases or --shard: %s" % error)
            return 2
        result["selected"] = selected
        # Written now too, so run.py knows what to expect even if we die.
        write_result(options.result_json, result)
        print("server has %d cases; running %d" % (case_count, len(selected)))
        width = len(str(case_count))
        unreachable = 0
        for number in selected:
            session = run_case(lomond, base_url, options.agent, number,
                               options)
            unreachable = unreachable + 1 if "ready" not in session.events \
                and "connect_fail" in session.events else 0
            if unreachable >= MAX_CONNECT_FAILURES:
                print("case %d: %s; giving up after %d cases in a row "
                      "could not connect" % (number, "; ".join(session.notes),
                                             unreachable))
                return 2
            if session.guard_tripped:
                result["guard_tripped"].append(number)
            if session.abandoned:
                result["abandoned"].append(number)
            if session.notes:
                result["errors"][str(number)] = "; ".join(session.notes)
            line = "case %*d/%d %8.3fs" % (width, number, case_count,
                                           session.elapsed)
            if session.notes:
                line += "  [%s]" % "; ".join(session.notes)
            print(line)
            sys.stdout.flush()
        result["reports_updated"] = update_reports(
            lomond, base_url, options.agent, options)
        if not result["reports_updated"]:
            print("updateReports failed")
            return 2
        return 0
    finally:
        result["elapsed"] = round(clock() - started, 3)
        write_result(options.result_json, result)
        sys.stdout.flush()


def main(argv=None):
    """Command line entry point."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    # Show lomond's own warnings the same way on Python 2 and 3.
    logging.basicConfig(level=logging.WARNING,
                        format="  (log %(name)s) %(message)s")
    try:
        return run(options)
    except KeyboardInterrupt:
        print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
