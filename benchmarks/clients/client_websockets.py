"""Benchmark client for websockets' synchronous client
(``websockets.sync.client.connect``), with its C speedups.

Options: no keepalive pings, no size limit (8 MiB / 64 MiB messages),
permessage-deflate only for the compressed workload.  Note that this client
reads the socket in a background thread; its CPU time is counted too (the
CPU clock covers the whole process).
"""

import sys

import common

perf_counter = common.perf_counter


def setup(args):
    import websockets
    from websockets.sync.client import connect

    def post_info():
        return {"speedups_loaded":
                sys.modules.get("websockets.speedups") is not None}

    return {
        "connect": connect,
        "compression": True,
        "info": {"library": "websockets",
                 "version": getattr(websockets, "__version__", "?"),
                 "file": websockets.__file__},
        "post_info": post_info,
    }


def connect(ctx, lib):
    kwargs = {
        "compression": "deflate" if ctx.spec.compress else None,
        "max_size": None,
        "ping_interval": None,
        "close_timeout": 5,
        "open_timeout": 10,
    }
    if ctx.ssl_context is not None:
        kwargs["ssl"] = ctx.ssl_context
    return lib["connect"](ctx.url, **kwargs)


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
    send_one = ws.send
    clock.start()
    for message in messages:
        send_one(message)
    ws.close()
    clock.stop()


def echo(ctx, lib):
    messages = ctx.outgoing()
    ws = connect(ctx, lib)
    clock = ctx.clock
    latencies = ctx.latencies = []
    feed = ctx.verifier.feed
    send_one = ws.send
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


if __name__ == "__main__":
    sys.exit(common.run("websockets", setup,
                        {"recv": recv, "send": send, "echo": echo}))
