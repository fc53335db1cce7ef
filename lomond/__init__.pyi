from .websocket import WebSocket as WebSocket

__all__ = ["__version__", "WebSocket"]

__version__: str
