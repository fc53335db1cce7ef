from ssl import SSLContext
from typing import Optional, Tuple

from .proxy import ProxyURL, _Proxies
from .url import WebSocketURL

class Route:
    target: WebSocketURL
    proxy: Optional[ProxyURL]
    context: Optional[SSLContext]
    proxy_context: Optional[SSLContext]
    check_ip: bool
    def __init__(
        self,
        target: WebSocketURL,
        proxy: Optional[ProxyURL] = None,
        context: Optional[SSLContext] = None,
        proxy_context: Optional[SSLContext] = None,
        check_ip: bool = False,
    ) -> None: ...
    @property
    def first_hop(self) -> Tuple[str, int]: ...
    @property
    def proxy_url(self) -> Optional[str]: ...
    @property
    def tls_to_proxy(self) -> bool: ...
    @property
    def layered(self) -> bool: ...

def plan_route(
    target: WebSocketURL,
    proxies: Optional[_Proxies],
    ssl_verify: bool = True,
    ssl_cafile: Optional[str] = None,
    ssl_context: Optional[SSLContext] = None,
    proxy_ssl_context: Optional[SSLContext] = None,
) -> Route: ...
