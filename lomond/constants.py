"""Fixed values of the WebSocket protocol and Lomond's defaults."""

import platform

from ._version import __version__

#: The GUID that RFC 6455 section 1.3 appends to Sec-WebSocket-Key.
WS_KEY = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#: The protocol version sent in Sec-WebSocket-Version (RFC 6455 4.1).
WS_VERSION = 13

#: The default User-Agent. It names Lomond and the Python implementation,
#: and unlike 0.3.4 it does not disclose the operating system build.
USER_AGENT = "Lomond/{} {}/{}".format(
    __version__, platform.python_implementation(), platform.python_version()
)

#: Default limit on the size of one received message (after decompression).
DEFAULT_MAX_SIZE = 64 * 1024 * 1024

#: Limits on the HTTP response head of the upgrade (and of a proxy).
MAX_RESPONSE_HEAD = 16 * 1024
MAX_RESPONSE_HEADERS = 100

#: Control frames carry at most 125 bytes of payload (RFC 6455 5.5).
MAX_CONTROL_PAYLOAD = 125

#: A close reason must fit in a control frame after the 2-byte code.
MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2
