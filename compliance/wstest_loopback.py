# -*- coding: utf-8 -*-
"""Run Autobahn's ``wstest`` with its WebSocket listener on 127.0.0.1 only.

Python 2.7 only: run.py executes this with the interpreter of the cached
Autobahn virtualenv, passing the usual wstest arguments::

    python wstest_loopback.py [--exit-on-stdin-eof] -m fuzzingserver \
        -s spec.json -u 0

Two things differ from plain ``wstest``:

* ``wstest`` listens on every interface; here the listener is bound to
  the loopback address, so the fuzzing server is never reachable from
  outside the machine.
* With ``--exit-on-stdin-eof`` the process exits as soon as its standard
  input reaches end-of-file.  run.py keeps the writing end of that pipe,
  so the server goes away with run.py even when run.py is killed with
  SIGKILL and gets no chance to clean up.
"""

from __future__ import print_function

import os
import sys
import threading

LOOPBACK = "127.0.0.1"


def exit_when_stdin_closes():
    """Start a daemon thread that ends the process at stdin EOF."""

    def watch():
        try:
            while os.read(sys.stdin.fileno(), 4096):
                pass
        except OSError:
            pass
        os._exit(0)

    watcher = threading.Thread(target=watch, name="stdin-eof-watch")
    watcher.daemon = True
    watcher.start()


def bind_fuzzingserver_to_loopback():
    """Make the fuzzingserver's ``listenWS`` listen on 127.0.0.1 only.

    Returns the ``autobahntestsuite.wstest`` module.
    """
    # wstest must be imported first: it installs the Twisted reactor
    # before anything else touches Twisted.
    from autobahntestsuite import wstest
    from autobahntestsuite import fuzzing

    original = getattr(fuzzing, "listenWS", None)
    if original is None:
        sys.stderr.write("wstest_loopback: autobahntestsuite.fuzzing has no "
                         "listenWS; unsupported autobahntestsuite version\n")
        sys.exit(2)

    def listen_on_loopback(factory, contextFactory=None, backlog=50,
                           interface=""):
        """Call the original listenWS with the loopback interface."""
        return original(factory, contextFactory, backlog, LOOPBACK)

    fuzzing.listenWS = listen_on_loopback
    return wstest


def main(argv):
    """Patch wstest, then hand the remaining arguments to it."""
    args = list(argv)
    if "--exit-on-stdin-eof" in args:
        args.remove("--exit-on-stdin-eof")
        exit_when_stdin_closes()
    wstest = bind_fuzzingserver_to_loopback()
    sys.argv = ["wstest"] + args
    return wstest.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
