"""Run the code examples of the documentation, offline.

    python3 docs/check_examples.py        # run every example marked to run
    python3 docs/check_examples.py -v     # ... and show what each printed
    python3 docs/check_examples.py --python PATH   # run them with another Python

A ``.. code-block:: python`` runs when an RST comment just above it (an
invisible line in the built pages) says how::

    .. check: run                 it must finish, with exit status 0
    .. check: run until=3         it runs for ever: it passes if it is
                                  still running without error after 3 s
    .. check: run server=NAME     serve it with another handler (HANDLERS)
    .. check: pytest              save it as a test module and run pytest
    .. check: run python=3.8      only with Python 3.8 or newer (asyncio)

Each example runs in a fresh interpreter. A loopback server from
:mod:`lomond.testing` is started first, and every ``WebSocket`` the example
creates is pointed at it, whatever URL the example names: the scheme, host
and port are replaced, the path and query are kept. So the examples can
name real-looking servers and still run here. An example that starts its
own ``lomond.testing`` server is left alone.
"""

from __future__ import print_function

import io
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: How long an example that should finish may take (seconds).
TIMEOUT = 30

_MARK = re.compile(r"^\.\. check: (run|pytest)((?: \S+)*)\s*$")
_CODE = re.compile(r"^\.\. code-block:: python\s*$")

# Handlers for the server an example talks to, by name (server=NAME).
HANDLERS = '''
from lomond.testing import echo


_connections = []


def unavailable_once(conn):
    """Refuse the first connection with 503 and Retry-After: 0; then echo."""
    _connections.append(conn)
    if len(_connections) == 1:
        conn.reject(503, "Service Unavailable", headers=[("Retry-After", "0")])
    else:
        conn.accept()
        echo(conn)


unavailable_once.handshake = False


def not_found(conn):
    """Refuse every upgrade with 404."""
    conn.reject(404, "Not Found")


not_found.handshake = False


def goodbye(conn):
    """Close from the server side at once, then wait for the answer."""
    conn.close(1001, u"maintenance")
    while conn.recv(auto_close=False).name != "closing":
        pass
'''

PRELUDE = '''
import os, sys, threading
sys.path.insert(0, {root!r})
from six.moves.urllib.parse import urlsplit
import lomond.client
from lomond.testing import WebSocketServer
{handlers}
_server = WebSocketServer({handler}, handshake=getattr({handler}, "handshake", True)).start()
_original_init = lomond.client.WebSocketBase.__init__


def _init(self, url, *args, **kwargs):
    if "127.0.0.1" not in url:
        parts = urlsplit(url)
        path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        url = "ws://127.0.0.1:{{}}{{}}".format(_server.port, path)
    _original_init(self, url, *args, **kwargs)


lomond.client.WebSocketBase.__init__ = _init  # both drivers' WebSocket
if {until!r}:
    _timer = threading.Timer({until!r}, lambda: os._exit(0))
    _timer.daemon = True
    _timer.start()
'''


def find_examples(path):
    """Yield (line number, mode, options, code) for each marked block."""
    with io.open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    mark = None
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _MARK.match(line)
        if match:
            options = dict(
                item.split("=", 1) if "=" in item else (item, "1")
                for item in match.group(2).split()
            )
            mark = (index + 1, match.group(1), options)
        elif _CODE.match(line) and mark is not None:
            index += 1
            while index < len(lines) and (not lines[index].strip() or lines[index].lstrip().startswith(":")):
                index += 1
            body = []
            while index < len(lines) and (not lines[index].strip() or lines[index].startswith("    ")):
                body.append(lines[index][4:])
                index += 1
            yield mark[0], mark[1], mark[2], "\n".join(body).strip() + "\n"
            mark = None
            continue
        elif line.strip():
            mark = None  # the mark only applies to the block right after it
        index += 1


def python_version(python):
    """The (major, minor) version of the interpreter ``python``."""
    output = subprocess.check_output([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    return tuple(int(part) for part in output.decode("ascii").strip().split("."))


def run_example(mode, options, code, python=sys.executable):
    """Run one example with ``python``; return (passed, output), or
    (None, why) when ``python`` is too old for it."""
    if "python" in options:
        needed = tuple(int(part) for part in options["python"].split("."))
        if python_version(python) < needed:
            return None, "needs Python {}".format(options["python"])
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(name, None)
    with tempfile.NamedTemporaryFile("w", suffix=".py", prefix="test_docs_", delete=False) as handle:
        if mode == "pytest" or "WebSocketServer(" in code:
            handle.write("import sys\nsys.path.insert(0, {!r})\n".format(ROOT) + code)
        else:
            until = float(options["until"]) if "until" in options else None
            handle.write(
                PRELUDE.format(
                    root=ROOT,
                    handlers=HANDLERS,
                    handler=options.get("server", "echo"),
                    until=until,
                )
                + "\n"
                + code
            )
        path = handle.name
    try:
        if mode == "pytest":
            command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", path]
        else:
            command = [python, path]
        process = subprocess.Popen(
            command, cwd=tempfile.gettempdir(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            return False, output.decode("utf-8", "replace") + "\n(timed out after {}s)".format(TIMEOUT)
        return process.returncode == 0, output.decode("utf-8", "replace")
    finally:
        os.unlink(path)


def main(argv):
    verbose = "-v" in argv
    python = argv[argv.index("--python") + 1] if "--python" in argv else sys.executable
    failures = 0
    count = 0
    for folder, _dirs, files in os.walk(HERE):
        if "_build" in folder:
            continue
        for name in sorted(files):
            if not name.endswith(".rst"):
                continue
            path = os.path.join(folder, name)
            for line, mode, options, code in find_examples(path):
                count += 1
                started = time.time()
                passed, output = run_example(mode, options, code, python)
                where = "{}:{}".format(os.path.relpath(path, ROOT), line)
                if passed is None:
                    print("skip {} ({})".format(where, output))
                    count -= 1
                    continue
                print("{} {} ({:.1f}s)".format("ok  " if passed else "FAIL", where, time.time() - started))
                if verbose or not passed:
                    for text in output.rstrip().splitlines():
                        print("      " + text)
                failures += not passed
    print("{} passed, {} failed".format(count - failures, failures))
    return 1 if failures or not count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
