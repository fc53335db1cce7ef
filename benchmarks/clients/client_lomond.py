"""Benchmark client for lomond (the repository's and 0.3.4 from PyPI).

Only the public API is used: ``WebSocket(url, compress=..., ssl_context=...)``,
``ws.connect(...)`` events, ``send_text``, ``send_binary`` and ``close``.

Extra options:
  --lomond-path DIR   put DIR first on sys.path (the repository root, or
                      the folder lomond 0.3.4 was installed into)
  --no-wsaccel        make ``import wsaccel`` fail (pure Python run)
"""

import os
import sys

import common

perf_counter = common.perf_counter

CONNECT_OPTIONS = dict(ping_rate=0, poll=60, close_timeout=5)


def extra_args(parser):
    parser.add_argument("--lomond-path", default=None)
    parser.add_argument("--no-wsaccel", action="store_true")


def setup(args):
    if args.no_wsaccel:
        # A None entry makes every "import wsaccel..." raise ImportError.
        for name in ("wsaccel", "wsaccel.utf8validator", "wsaccel.xormask",
                     "wsaccel.mask"):
            sys.modules[name] = None
    if args.lomond_path:
        sys.path.insert(0, os.path.abspath(args.lomond_path))
    import lomond
    from lomond import WebSocket
    where = os.path.abspath(lomond.__file__)
    if args.lomond_path and not where.startswith(
            os.path.abspath(args.lomond_path) + os.sep):
        raise ImportError("lomond was imported from %s, not from %s"
                          % (where, args.lomond_path))
    version = getattr(lomond, "__version__", None)
    if version is None:
        try:
            from lomond._version import __version__ as version
        except Exception:
            version = "?"

    def post_info():
        mod = sys.modules.get("wsaccel")
        return {"wsaccel_loaded": mod is not None}

    return {
        "WebSocket": WebSocket,
        "compression": True,
        "info": {"library": "lomond", "version": version, "file": where,
                 "wsaccel_blocked": bool(args.no_wsaccel)},
        "post_info": post_info,
    }


def make_socket(ctx, lib):
    kwargs = {"compress": ctx.spec.compress}
    if ctx.ssl_context is not None:
        kwargs["ssl_context"] = ctx.ssl_context
    return lib["WebSocket"](ctx.url, **kwargs)


def _fail_event(event):
    reason = getattr(event, "reason", None) or getattr(event, "response", "")
    return RuntimeError("%s: %s" % (event.name, reason))


def recv(ctx, lib):
    ws = make_socket(ctx, lib)
    clock = ctx.clock
    feed = ctx.verifier.feed
    for event in ws.connect(**CONNECT_OPTIONS):
        name = event.name
        if name == "text":
            if feed(event.text.encode("utf-8"), True):
                clock.stop()
        elif name == "binary":
            if feed(event.data, False):
                clock.stop()
        elif name == "ready":
            clock.start()
        elif name in ("connect_fail", "rejected"):
            raise _fail_event(event)
    clock.stop()


def send(ctx, lib):
    ws = make_socket(ctx, lib)
    clock = ctx.clock
    messages = ctx.outgoing()
    for event in ws.connect(**CONNECT_OPTIONS):
        name = event.name
        if name == "ready":
            clock.start()
            send_one = ws.send_text if ctx.spec.is_text else ws.send_binary
            for message in messages:
                send_one(message)
            ws.close()
        elif name in ("closed", "disconnected"):
            clock.stop()
        elif name in ("connect_fail", "rejected"):
            raise _fail_event(event)


def echo(ctx, lib):
    ws = make_socket(ctx, lib)
    clock = ctx.clock
    messages = ctx.outgoing()
    count = len(messages)
    latencies = ctx.latencies = []
    feed = ctx.verifier.feed
    is_text = ctx.spec.is_text
    send_one = ws.send_text if is_text else ws.send_binary
    i = 0
    t0 = 0.0
    for event in ws.connect(**CONNECT_OPTIONS):
        name = event.name
        if name == "text" or name == "binary":
            latencies.append(perf_counter() - t0)
            if name == "text":
                feed(event.text.encode("utf-8"), True)
            else:
                feed(event.data, False)
            i += 1
            if i >= count:
                clock.stop()
                ws.close()
            else:
                t0 = perf_counter()
                send_one(messages[i])
        elif name == "ready":
            clock.start()
            t0 = perf_counter()
            send_one(messages[0])
        elif name in ("connect_fail", "rejected"):
            raise _fail_event(event)


if __name__ == "__main__":
    sys.exit(common.run(
        "lomond", setup,
        {"recv": recv, "send": send, "echo": echo},
        extra_args=extra_args))
