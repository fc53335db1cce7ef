from typing import Dict, Iterable, Optional, Tuple, Union

EXTENSION_NAME: str

def read_parameters(
    params: Iterable[Tuple[str, Optional[str]]], offer: bool = False
) -> Dict[str, Union[bool, int, None]]: ...

class ServerDeflate:
    server_no_context_takeover: bool
    client_no_context_takeover: bool
    server_max_window_bits: Optional[int]
    client_max_window_bits: Optional[int]
    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
        client_max_window_bits: Optional[int] = None,
    ) -> None: ...
    def negotiate(self, offer_header: str) -> Union[Tuple[str, "Deflate"], Tuple[None, None]]: ...

class PerMessageDeflate:
    server_no_context_takeover: bool
    client_no_context_takeover: bool
    server_max_window_bits: Optional[int]
    client_max_window_bits: Optional[int]
    level: int
    mem_level: int
    fallback: bool
    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
        client_max_window_bits: Optional[int] = None,
        level: int = ...,
        mem_level: int = 8,
        fallback: bool = True,
    ) -> None: ...
    def offer(self) -> str: ...
    def accept(self, params: Iterable[Tuple[str, Optional[str]]]) -> Deflate: ...

class Deflate:
    decompress_wbits: int
    compress_wbits: int
    reset_decompress: bool
    reset_compress: bool
    level: int
    mem_level: int
    def __init__(
        self,
        decompress_wbits: int = 15,
        compress_wbits: int = 15,
        reset_decompress: bool = False,
        reset_compress: bool = False,
        level: int = ...,
        mem_level: int = 8,
    ) -> None: ...
    @property
    def can_compress(self) -> bool: ...
    def compress(self, data: bytes) -> bytes: ...
    def decompress(self, data: bytes, limit: Optional[int]) -> bytes: ...
    def decompress_message(self, data: bytes, limit: Optional[int]) -> bytes: ...
    def finish(self, limit: Optional[int]) -> bytes: ...
