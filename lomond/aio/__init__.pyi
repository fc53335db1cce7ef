from .persist import persist as persist
from .websocket import WebSocket as WebSocket

__all__ = ["WebSocket", "persist"]
