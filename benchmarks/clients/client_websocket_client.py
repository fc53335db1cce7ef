"""Benchmark client for websocket-client (``import websocket``).

Run as its users run it: blocking ``create_connection`` with the default
options, ``wsaccel`` installed (websocket-client then uses it for masking
and UTF-8 validation).  websocket-client has no permessage-deflate, so the
compressed workload is n/a.
"""

import sys

import common

perf_counter = common.perf_counter


def setup(args):
    import websocket

    def post_info():
        abnf = sys.modules.get("websocket._abnf")
        return {
            "wsaccel_loaded": sys.modules.get("wsaccel") is not None,
            "xor_masker": getattr(getattr(abnf, "XorMaskerSimple", None),
                                  "__module__", None),
        }

    return {
        "websocket": websocket,
        "compression": False,
        "info": {"library": "websocket-client",
                 "version": getattr(websocket, "__version__", "?"),
                 "file": websocket.__file__},
        "post_info": post_info,
    }


def connect(ctx, lib):
    kwargs = {}
    if ctx.ssl_context is not None:
        kwargs["sslopt"] = {"context": ctx.ssl_context}
    return lib["websocket"].create_connection(ctx.url, **kwargs)


def recv(ctx, lib):
    ws = connect(ctx, lib)
    clock = ctx.clock
    feed = ctx.verifier.feed
    receive = ws.recv
    count = ctx.spec.count
    clock.start()
    for _ in range(count):
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
    clock.start()
    if ctx.spec.is_text:
        send_one = ws.send          # text frames by default
    else:
        send_one = ws.send_binary
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
    send_one = ws.send if ctx.spec.is_text else ws.send_binary
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
    sys.exit(common.run("websocket-client", setup,
                        {"recv": recv, "send": send, "echo": echo}))
