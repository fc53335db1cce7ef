"""Benchmark client for websockets' synchronous client
(``websockets.sync.client.connect``), with its C speedups.

Options: no keepalive pings, no size limit (8 MiB / 64 MiB messages),
permessage-deflate only for the compressed workload.  Note that this client
reads the socket in a background thread; its CPU time is counted too (the
CPU clock covers the whole process).
"""

import sys

import common


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


def send_for(ws, is_text):
    return ws.send  # str goes as text, bytes as binary


if __name__ == "__main__":
    sys.exit(common.run("websockets", setup, common.blocking_workloads(connect, send_for)))
