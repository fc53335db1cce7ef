"""Benchmark client for websocket-client (``import websocket``).

Run as its users run it: blocking ``create_connection`` with the default
options, ``wsaccel`` installed (websocket-client then uses it for masking
and UTF-8 validation).  websocket-client has no permessage-deflate, so the
compressed workload is n/a.
"""

import sys

import common


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


def send_for(ws, is_text):
    return ws.send if is_text else ws.send_binary  # send() makes text frames


if __name__ == "__main__":
    sys.exit(common.run("websocket-client", setup, common.blocking_workloads(connect, send_for)))
