from typing import Optional, Union

from .compression import Deflate
from .events import Binary, Text
from .frame import Frame

GATHER_SIZE: int

class MessageAssembler:
    max_size: Optional[int]
    deflate: Optional[Deflate]
    def __init__(self, max_size: Optional[int] = None, deflate: Optional[Deflate] = None) -> None: ...
    @property
    def in_progress(self) -> bool: ...
    def feed(self, frame: Frame) -> Union[Text, Binary, None]: ...
