"""TLS with your own certificate authority, through an HTTP proxy.

    python -m lomond.examples.proxy_tls
    python -m lomond.examples.proxy_tls wss://host/path --proxy http://proxy:3128 --ca-file ca.pem

With no arguments it runs offline: a TLS echo server and a CONNECT proxy
start in this process, using the demo certificates in ``certs/``. The
client trusts only that CA (``ssl_context``), goes through the proxy
(``proxies``), and prints the events, including which proxy it used.
"""

from __future__ import print_function

import argparse
import os
import ssl

from lomond import WebSocket
from lomond.testing import ConnectProxy, WebSocketServer, echo

try:  # the names in the type comments (Python 2.7 has no typing module)
    from typing import List, Optional
except ImportError:
    pass

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certs")


def client_context(ca_file):
    # type: (Optional[str]) -> ssl.SSLContext
    """A context that trusts only ``ca_file`` (and still checks host names)."""
    context = ssl.create_default_context(cafile=ca_file)
    if hasattr(ssl, "TLSVersion"):
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def talk(url, proxy_url, ca_file):
    # type: (str, Optional[str], Optional[str]) -> None
    websocket = WebSocket(url, proxies={"http": proxy_url, "https": proxy_url}, ssl_context=client_context(ca_file))
    for event in websocket.connect(ping_rate=0):
        print(event)
        if event.name == "ready":
            websocket.send_text(u"hello over TLS, through a proxy")
        elif event.name == "text":
            websocket.close()


def demo():
    # type: () -> None
    server_context = ssl.SSLContext(getattr(ssl, "PROTOCOL_TLS_SERVER", ssl.PROTOCOL_SSLv23))
    server_context.load_cert_chain(os.path.join(CERTS, "server.pem"))
    with WebSocketServer(echo, ssl_context=server_context) as server:
        with ConnectProxy() as proxy:
            # By name: Python 2.7 can't check a certificate for an IP address
            # with a context of your own.
            url = server.url.replace("127.0.0.1", "localhost")
            talk(url, proxy.url(), os.path.join(CERTS, "ca.pem"))
            print("the proxy opened {} tunnel(s): {}".format(len(proxy.tunnels), ", ".join(proxy.tunnels)))


def main(argv=None):
    # type: (Optional[List[str]]) -> None
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", help="a wss:// URL (default: an offline demo)")
    parser.add_argument("--proxy", help="proxy URL, e.g. http://proxy:3128")
    parser.add_argument("--ca-file", help="CA certificates to trust")
    args = parser.parse_args(argv)
    if args.url is None:
        demo()
    else:
        talk(args.url, args.proxy, args.ca_file)


if __name__ == "__main__":
    main()
