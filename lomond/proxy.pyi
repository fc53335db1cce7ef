from typing import Dict, Mapping, Optional

DEFAULT_PORTS: Dict[str, int]

# The WebSocket's ``proxies`` option: {'http': url, 'https': url, 'no':
# hosts}; an empty or None value means no proxy for that scheme.
_Proxies = Mapping[str, Optional[str]]

class ProxyURL:
    scheme: str
    host: str
    port: int
    username: Optional[str]
    password: Optional[str]
    url: str
    def __init__(self, url: str) -> None: ...
    def authorization(self) -> Optional[str]: ...

def is_bypassed(host: str, port: int, no_proxy: str) -> bool: ...
def proxies_from_environment(environ: Mapping[str, str]) -> Dict[str, str]: ...
def environment_proxies() -> Dict[str, str]: ...
def choose_proxy(secure: bool, host: str, port: int, proxies: Optional[_Proxies]) -> Optional[ProxyURL]: ...
