"""The command-line client: ``python -m lomond URL`` (or ``lomond URL``).

Connects, prints what arrives, and sends each line read from standard
input as a text message. Messages go to standard output, everything else
(connection steps, pings, errors) to standard error, so it works in pipes::

    echo '{"type": "subscribe"}' | lomond wss://example.org/feed > out.txt

As with ``nc``, the end of standard input doesn't end the conversation:
the client keeps printing what the server sends until the server closes
the connection, or Ctrl-C (a graceful close with code 1001; a second
Ctrl-C quits at once). ``--close-after-eof SECONDS`` closes it gracefully
that long after standard input has ended and all of it has been sent.

The exit status is 0 after a graceful close, 1 when the connection failed
or broke, 2 for a usage error and 130 after Ctrl-C. The stdin reader is a
thread of this program; the library itself starts none.
"""

from __future__ import print_function

import argparse
import binascii
import os
import signal
import sys
import threading

import six

from . import __version__
from .compression import PerMessageDeflate
from .errors import WebSocketError
from .persist import persist
from .websocket import WebSocket


def build_parser():
    parser = argparse.ArgumentParser(
        prog="lomond",
        description="Connect to a WebSocket server, print what it sends, and send "
        "each line of standard input as a text message.",
    )
    parser.add_argument("url", help="ws:// or wss:// URL")
    parser.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
        help="add a request header (repeatable)",
    )
    parser.add_argument(
        "-p", "--protocol", action="append", default=[], metavar="NAME",
        help="offer a subprotocol (repeatable)",
    )
    parser.add_argument("--origin", help="send this Origin header")
    parser.add_argument("--compress", action="store_true", help="offer permessage-deflate")
    parser.add_argument(
        "--persist", action="store_true",
        help="reconnect whenever the connection ends (with back-off)",
    )
    parser.add_argument(
        "--ping-rate", type=float, default=30.0, metavar="SECONDS",
        help="seconds between pings, 0 for none (default: 30)",
    )
    parser.add_argument(
        "-q", "--close-after-eof", type=_seconds, metavar="SECONDS",
        help="close the connection SECONDS after standard input ends (what arrives "
        "meanwhile is printed); by default it stays open until the server closes it",
    )
    parser.add_argument("--ping-timeout", type=float, metavar="SECONDS", help="drop the connection when a ping goes unanswered this long")
    parser.add_argument("--connect-timeout", type=float, default=30.0, metavar="SECONDS", help="default: 30")
    parser.add_argument("--close-timeout", type=float, default=30.0, metavar="SECONDS", help="default: 30")
    parser.add_argument("--ca-file", metavar="PATH", help="trust the CA certificates in this file")
    parser.add_argument(
        "--insecure", action="store_true",
        help="INSECURE: do not verify the server's TLS certificate or host name",
    )
    parser.add_argument("--proxy", metavar="URL", help="use this proxy (default: from the environment)")
    parser.add_argument("--no-proxy", action="store_true", help="ignore proxy environment variables")
    parser.add_argument("--max-size", type=int, metavar="BYTES", help="largest message accepted (default: 64 MiB)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also show polls, pings and pongs")
    parser.add_argument("--version", action="version", version="lomond " + __version__)
    return parser


def _seconds(text):
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError("expected 0 or more seconds, not {!r}".format(text))
    return value


def parse_header(text):
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise ValueError("a header is 'Name: value', not {!r}".format(text))
    return name.strip(), value.strip()


def describe(event, verbose):
    """A line for standard error describing ``event``, or None."""
    name = event.name
    if name == "connecting":
        return "* connecting to {}".format(event.url)
    if name == "connected":
        via = " through {}".format(event.proxy) if event.proxy else ""
        return "* connected{}".format(via)
    if name == "ready":
        details = []
        if event.protocol:
            details.append("protocol {}".format(event.protocol))
        if event.extensions:
            details.append(", ".join(sorted(event.extensions)))
        return "* ready" + (" ({})".format("; ".join(details)) if details else "")
    if name == "connect_fail":
        return "! connection failed: {}".format(event.reason)
    if name == "rejected":
        return "! rejected: {}".format(event.reason)
    if name == "protocol_error":
        return "! protocol error: {}".format(event.error)
    if name in ("closing", "closed"):
        return "* {} (code {}{})".format(
            "server is closing" if name == "closing" else "closed",
            event.code,
            ", {!r}".format(event.reason) if event.reason else "",
        )
    if name == "unresponsive":
        return "! server unresponsive"
    if name == "disconnected":
        return "* disconnected{}: {}".format("" if event.graceful else " (not gracefully)", event.reason)
    if name == "back_off":
        return "* reconnecting in {:.1f}s".format(event.delay)
    if name == "give_up":
        return "! giving up: {}".format(event.reason)
    if verbose and name in ("ping", "pong"):
        return "* {} {}".format(name, binascii.hexlify(event.data).decode("ascii"))
    if verbose and name == "poll":
        return "* poll"
    return None


class StdinSender(object):
    """Reads lines in a thread and sends them once the connection is ready.

    At the end of the stream it does nothing more, unless ``close_after``
    is a number of seconds: then it closes the connection (and sets
    ``exit_event``, which ends persist) that long after the last line went
    out.
    """

    def __init__(self, websocket, stream, exit_event, close_after=None):
        self.websocket = websocket
        self.stream = stream
        self.exit_event = exit_event
        self.close_after = close_after
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lomond-cli-stdin")
        self.thread.daemon = True

    def start(self):
        self.thread.start()

    def _send(self, line):
        while not self.exit_event.is_set():
            self.ready.wait()
            try:
                self.websocket.send_text(line)
                return
            except WebSocketError:
                self.ready.clear()  # reconnecting: wait for the next Ready

    def _run(self):
        close_after = self.close_after
        try:
            for line in iter(self.stream.readline, ""):
                self._send(line.rstrip("\r\n"))
        except (UnicodeDecodeError, IOError, OSError, ValueError) as error:
            _write(sys.stderr, "! can't read standard input: {}".format(error))
            close_after = 0
        if close_after is None:
            return  # like nc: the server decides when it's over
        # With no input at all, count from the moment the connection is up.
        self.ready.wait()
        if not self.exit_event.wait(close_after):
            # close() first, or the loop might see the event first and
            # close with 1001 (going away) instead of 1000.
            self.websocket.close()
            self.exit_event.set()  # persist: no reconnection after this close


class Interrupter(object):
    """Ctrl-C: the first one closes the connection gracefully (code 1001,
    through ``exit_event``), a second one quits at once.

    The handler does nothing that takes a lock the interrupted main thread
    may hold: it sets the event and writes straight to the file descriptor.
    """

    def __init__(self, exit_event):
        self.exit_event = exit_event
        self.interrupted = False
        self._previous = None

    def install(self):
        """Handle SIGINT (only possible in the main thread)."""
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: Ctrl-C stays an exception
            self._previous = None

    def uninstall(self):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        self.exit_event.set()
        try:
            os.write(sys.stderr.fileno(), b"* interrupted: closing (Ctrl-C again to quit at once)\n")
        except (AttributeError, ValueError, OSError, IOError):
            pass  # no file descriptor behind stderr: say nothing


class _Utf8Lines(object):
    """Text lines from a Python 2.7 byte stream, one at a time.

    (A ``codecs`` reader reads ahead in chunks, which would hold back
    lines typed interactively.)
    """

    def __init__(self, stream):
        self.stream = stream

    def readline(self):
        return self.stream.readline().decode("utf-8", "replace")


def _text_stdin():
    if sys.version_info[0] == 2:  # pragma: no cover - exercised on 2.7
        return _Utf8Lines(sys.stdin)
    return sys.stdin


def _write(stream, text):
    if six.PY2 and isinstance(text, six.text_type):  # pragma: no cover
        text = text.encode("utf-8")
    stream.write(text + "\n")
    stream.flush()


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        headers = [parse_header(text) for text in args.header]
        proxies = {} if args.no_proxy else None
        if args.proxy:
            proxies = {"http": args.proxy, "https": args.proxy}
        options = {}
        if args.max_size is not None:
            options["max_size"] = args.max_size
        websocket = WebSocket(
            args.url,
            protocols=args.protocol,
            compress=PerMessageDeflate() if args.compress else False,
            ssl_verify=not args.insecure,
            ssl_cafile=args.ca_file,
            headers=headers,
            origin=args.origin,
            proxies=proxies,
            **options
        )
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    if args.insecure:
        _write(sys.stderr, "! warning: TLS certificate verification is off (--insecure)")

    exit_event = threading.Event()
    sender = StdinSender(websocket, _text_stdin(), exit_event, args.close_after_eof)
    connect_options = dict(
        ping_rate=args.ping_rate,
        ping_timeout=args.ping_timeout,
        connect_timeout=args.connect_timeout,
        close_timeout=args.close_timeout,
        exit_event=exit_event,
    )
    if args.persist:
        events = persist(websocket, **connect_options)
    else:
        events = websocket.connect(**connect_options)

    status = 1
    rejected = False
    interrupter = Interrupter(exit_event)
    interrupter.install()
    sender.start()
    try:
        for event in events:
            name = event.name
            if name == "text":
                _write(sys.stdout, event.text)
            elif name == "binary":
                data = event.data
                _write(sys.stdout, "[binary {} bytes] {}".format(len(data), binascii.hexlify(data[:64]).decode("ascii")))
            else:
                line = describe(event, args.verbose)
                if line is not None:
                    _write(sys.stderr, line)
            if name == "ready":
                rejected = False
                sender.ready.set()
            elif name == "rejected":
                rejected = True
            elif name == "disconnected":
                sender.ready.clear()
                status = 0 if event.graceful and not rejected else 1
            elif name == "connect_fail":
                status = 1
    except KeyboardInterrupt:  # the second Ctrl-C, or one outside the main thread
        _write(sys.stderr, "* interrupted")
        return 130
    finally:
        interrupter.uninstall()
    return 130 if interrupter.interrupted else status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
