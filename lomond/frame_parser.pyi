from typing import Optional, Tuple

from .parser import Parser, _ParseGenerator

def header_error(first: int, second: int, allow_rsv1: bool = False, expect_mask: int = 0) -> Optional[str]: ...
def length_error(length: int, max_size: Optional[int]) -> Optional[str]: ...
def fast_path_table(allow_rsv1: bool, max_size: Optional[int]) -> Tuple[int, ...]: ...

class FrameParser(Parser):
    # feed() and buffer_updated() return lomond.frame.Frame objects.
    max_size: Optional[int]
    rsv1: bool
    server_role: bool
    def __init__(
        self,
        max_size: Optional[int] = None,
        rsv1: bool = False,
        server_role: bool = False,
        scratch: Optional[bytearray] = None,
    ) -> None: ...
    def parse(self) -> _ParseGenerator: ...
