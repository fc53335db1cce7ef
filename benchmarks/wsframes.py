"""Small WebSocket helpers shared by the benchmark servers, the raw client
and the runner.

Written for the benchmark only: it does not import lomond, so the harness
measures lomond's public API and nothing else.  Everything here is plain
standard library Python (3.9+).

Contents:

* deterministic payloads (message ``i`` of a workload has a known content),
* frame building (server frames unmasked, client frames masked),
* a tolerant frame parser used by the sink / echo servers to verify what
  clients sent,
* the HTTP upgrade handshake for the servers and for the raw client,
* the permessage-deflate stream built by the source server.
"""

import base64
import hashlib
import os
import random
import struct
import zlib

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

# The source server keeps at most this many bytes of prebuilt frames and
# sends that buffer again and again; messages therefore repeat with a period
# (message i has the content of message i % period).  The period is part of
# the workload specification, so every process agrees on it.
MAX_PREBUILT_BYTES = 32 * 1024 * 1024

KINDS = ("text", "binary", "json")


# ---------------------------------------------------------------------------
# Payloads


_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
_ALPHABET_LOOP = _ALPHABET * 4

_WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
    "mike november oscar papa quebec romeo sierra tango uniform victor whiskey "
    "xray yankee zulu amber cobalt indigo scarlet violet crimson teal ochre "
    "market order trade price volume ticker open close high low bid ask "
    "status active pending done error retry queued running stopped"
).split()


def _text_payload(i, size):
    """ASCII text of exactly ``size`` bytes that starts with the index."""
    head = b"%08d:" % (i % 100000000)
    body = bytearray(head)
    start = i % len(_ALPHABET)
    while len(body) < size:
        body += _ALPHABET_LOOP[start:start + 128]
        start = (start + 7) % len(_ALPHABET)
    return bytes(body[:size])


def _json_payload(i, size):
    """JSON-like ASCII text of exactly ``size`` bytes (compressible, varied)."""
    rnd = random.Random(0x5EED0000 + i)
    parts = ['{"seq":%d,"user":"%s-%d","items":[' % (
        i, rnd.choice(_WORDS), rnd.randrange(10000))]
    length = len(parts[0])
    first = True
    while length < size - 96:
        item = '%s{"name":"%s","price":%d.%02d,"qty":%d,"state":"%s"}' % (
            "" if first else ",",
            rnd.choice(_WORDS),
            rnd.randrange(1000), rnd.randrange(100),
            rnd.randrange(500),
            rnd.choice(_WORDS),
        )
        first = False
        parts.append(item)
        length += len(item)
    text = "".join(parts)
    tail_open = '],"pad":"'
    tail_close = '"}'
    room = size - len(text) - len(tail_open) - len(tail_close)
    if room < 0:  # tiny sizes: plain truncation is good enough
        return text.encode("ascii")[:size].ljust(size, b" ")
    pad = "".join(rnd.choice("abcdefgh") for _ in range(room))
    data = (text + tail_open + pad + tail_close).encode("ascii")
    assert len(data) == size
    return data


def _binary_payload(i, size):
    """Pseudo-random bytes (incompressible) that start with the index."""
    head = struct.pack("<Q", i)
    if size <= 8:
        return head[:size]
    rnd = random.Random(0xB1A5 * 1000003 + i)
    return head + rnd.randbytes(size - 8)


def make_payload(kind, i, size):
    """Content (bytes) of message ``i`` of a workload (before wrapping)."""
    if kind == "text":
        return _text_payload(i, size)
    if kind == "json":
        return _json_payload(i, size)
    if kind == "binary":
        return _binary_payload(i, size)
    raise ValueError("unknown payload kind %r" % (kind,))


def is_text_kind(kind):
    return kind in ("text", "json")


def opcode_for(kind):
    return OP_TEXT if is_text_kind(kind) else OP_BINARY


class Spec(object):
    """What one workload moves: ``count`` messages of ``size`` bytes.

    Message ``i`` has the content ``make_payload(kind, i % period, size)``.
    """

    def __init__(self, kind, count, size, period=None, compress=False):
        if kind not in KINDS:
            raise ValueError("unknown kind %r" % (kind,))
        self.kind = kind
        self.count = int(count)
        self.size = int(size)
        self.compress = bool(compress)
        if period is None:
            period = default_period(self.count, self.size, self.compress)
        self.period = max(1, min(int(period), self.count))
        self._cache = {}

    def __repr__(self):
        return "Spec(%s, count=%d, size=%d, period=%d, compress=%s)" % (
            self.kind, self.count, self.size, self.period, self.compress)

    @property
    def opcode(self):
        return opcode_for(self.kind)

    @property
    def is_text(self):
        return is_text_kind(self.kind)

    def distinct(self, j):
        """Payload number ``j`` (0 <= j < period), cached."""
        data = self._cache.get(j)
        if data is None:
            data = make_payload(self.kind, j, self.size)
            self._cache[j] = data
        return data

    def message(self, i):
        return self.distinct(i % self.period)

    def messages(self):
        """List (length ``count``) of payload bytes, sharing the distinct
        objects so it stays small."""
        distinct = [self.distinct(j) for j in range(self.period)]
        period = self.period
        return [distinct[i % period] for i in range(self.count)]

    def expected_crc(self):
        """crc32 of all payloads concatenated in order."""
        crc = 0
        distinct = [self.distinct(j) for j in range(self.period)]
        full, rest = divmod(self.count, self.period)
        # crc32 has no cheap "repeat", just run it.
        for _ in range(full):
            for data in distinct:
                crc = zlib.crc32(data, crc)
        for j in range(rest):
            crc = zlib.crc32(distinct[j], crc)
        return crc

    def payload_bytes(self):
        return self.count * self.size

    def to_args(self):
        args = ["--kind", self.kind, "--count", str(self.count),
                "--size", str(self.size), "--period", str(self.period)]
        if self.compress:
            args.append("--compress")
        return args


def default_period(count, size, compress=False):
    if compress:
        # With context takeover every compressed frame depends on all the
        # previous ones, so the whole stream is prebuilt.
        return count
    frame = size + header_length(size, masked=False)
    return max(1, min(count, MAX_PREBUILT_BYTES // frame))


# ---------------------------------------------------------------------------
# Frames


def header_length(length, masked):
    if length < 126:
        n = 2
    elif length < 65536:
        n = 4
    else:
        n = 10
    return n + (4 if masked else 0)


def frame_header(opcode, length, fin=True, rsv1=False, mask_key=None):
    first = opcode | (0x80 if fin else 0) | (0x40 if rsv1 else 0)
    mask_bit = 0x80 if mask_key is not None else 0
    if length < 126:
        head = struct.pack("!BB", first, mask_bit | length)
    elif length < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, length)
    if mask_key is not None:
        head += mask_key
    return head


def xor_mask(mask_key, data):
    """Return ``data`` XOR-ed with the 4-byte ``mask_key`` (bytes)."""
    n = len(data)
    if not n:
        return b""
    key = (bytes(mask_key) * (n // 4 + 1))[:n]
    value = int.from_bytes(data, "little") ^ int.from_bytes(key, "little")
    return value.to_bytes(n, "little")


def server_frame(opcode, payload, rsv1=False, fin=True):
    return frame_header(opcode, len(payload), fin=fin, rsv1=rsv1) + payload


def client_frame(opcode, payload, mask_key=None):
    if mask_key is None:
        mask_key = os.urandom(4)
    return (frame_header(opcode, len(payload), mask_key=mask_key)
            + xor_mask(mask_key, payload))


def close_payload(code=1000, reason=b""):
    return struct.pack("!H", code) + reason


def parse_close_payload(payload):
    if len(payload) >= 2:
        return struct.unpack("!H", bytes(payload[:2]))[0], bytes(payload[2:])
    return None, b""


class Frame(object):
    __slots__ = ("fin", "rsv1", "opcode", "masked", "payload", "start", "end")

    def __init__(self, fin, rsv1, opcode, masked, payload, start, end):
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.masked = masked
        self.payload = payload
        self.start = start
        self.end = end


def peek_frame_length(buf, pos, end):
    """Total length of the frame starting at ``pos``, or None when the
    header is not complete yet.  Only reads the header."""
    if end - pos < 2:
        return None
    b1 = buf[pos + 1]
    length = b1 & 0x7F
    hlen = 2
    if length == 126:
        if end - pos < 4:
            return None
        length = (buf[pos + 2] << 8) | buf[pos + 3]
        hlen = 4
    elif length == 127:
        if end - pos < 10:
            return None
        length = struct.unpack_from("!Q", buf, pos + 2)[0]
        hlen = 10
    if b1 & 0x80:
        hlen += 4
    return hlen + length


def parse_frame(buf, pos, end, unmask=True):
    """Parse one frame of ``buf[pos:end]``; return a Frame or None if the
    frame is not complete."""
    total = peek_frame_length(buf, pos, end)
    if total is None or pos + total > end:
        return None
    b0 = buf[pos]
    b1 = buf[pos + 1]
    length = b1 & 0x7F
    head = pos + 2
    if length == 126:
        length = (buf[pos + 2] << 8) | buf[pos + 3]
        head = pos + 4
    elif length == 127:
        length = struct.unpack_from("!Q", buf, pos + 2)[0]
        head = pos + 10
    masked = bool(b1 & 0x80)
    if masked:
        key = bytes(buf[head:head + 4])
        head += 4
        payload = bytes(buf[head:head + length])
        if unmask:
            payload = xor_mask(key, payload)
    else:
        payload = bytes(buf[head:head + length])
    return Frame(bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, masked,
                 payload, pos, pos + total)


def iter_messages(frames):
    """Join data frames into messages.

    Yields ``(opcode, payload, first_frame)`` for data messages and
    ``(opcode, payload, frame)`` for control frames."""
    parts = None
    opcode = None
    first = None
    for frame in frames:
        if frame.opcode >= 0x8:
            yield frame.opcode, frame.payload, frame
            continue
        if frame.opcode != OP_CONTINUATION:
            if parts is not None:
                raise ValueError("new message started before the previous "
                                 "one finished (frame at %d)" % frame.start)
            parts = [frame.payload]
            opcode = frame.opcode
            first = frame
        else:
            if parts is None:
                raise ValueError("continuation frame without a message "
                                 "(frame at %d)" % frame.start)
            parts.append(frame.payload)
        if frame.fin:
            yield opcode, b"".join(parts), first
            parts = None
    if parts is not None:
        raise ValueError("stream ended inside a fragmented message")


def iter_frames(buf, pos=0, end=None):
    if end is None:
        end = len(buf)
    while pos < end:
        frame = parse_frame(buf, pos, end)
        if frame is None:
            raise ValueError("truncated frame at byte %d of %d" % (pos, end))
        yield frame
        pos = frame.end


# ---------------------------------------------------------------------------
# Handshake


def accept_value(key):
    if isinstance(key, str):
        key = key.encode("ascii")
    digest = hashlib.sha1(key.strip() + WS_GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def read_http_head(sock, limit=65536):
    """Read from ``sock`` until the end of an HTTP head.  Returns
    ``(head_bytes, leftover_bytes)``."""
    data = b""
    while True:
        idx = data.find(b"\r\n\r\n")
        if idx >= 0:
            return data[:idx + 4], data[idx + 4:]
        if len(data) > limit:
            raise ValueError("HTTP head too large")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed during the handshake "
                                  "(%d bytes read)" % len(data))
        data += chunk


def parse_http_head(head):
    """Return ``(first_line, headers)``; header names are lower case and
    repeated headers are joined with ', '."""
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if not line or ":" not in line:
            continue
        name, value = line.split(":", 1)
        name = name.strip().lower()
        value = value.strip()
        if name in headers:
            headers[name] += ", " + value
        else:
            headers[name] = value
    return lines[0], headers


def parse_extension_offers(value):
    """Parse a Sec-WebSocket-Extensions value into a list of
    ``(name, {param: value-or-None})``."""
    offers = []
    if not value:
        return offers
    for offer in value.split(","):
        items = [item.strip() for item in offer.split(";")]
        if not items or not items[0]:
            continue
        params = {}
        for item in items[1:]:
            if not item:
                continue
            if "=" in item:
                k, v = item.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
            else:
                params[item.lower()] = None
        offers.append((items[0].lower(), params))
    return offers


def server_response(key, extensions=None):
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: %s" % accept_value(key),
    ]
    if extensions:
        lines.append("Sec-WebSocket-Extensions: %s" % extensions)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def client_request(host, port, path="/", key=None, extensions=None):
    if key is None:
        key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = [
        "GET %s HTTP/1.1" % path,
        "Host: %s:%d" % (host, port),
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: %s" % key,
        "Sec-WebSocket-Version: 13",
        "User-Agent: lomond-bench-raw",
    ]
    if extensions:
        lines.append("Sec-WebSocket-Extensions: %s" % extensions)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), key


def client_handshake(sock, host, port, path="/", extensions=None):
    """Do the client side of the upgrade on a connected socket.

    Returns ``(headers, leftover)``; raises on a refused upgrade."""
    request, key = client_request(host, port, path, extensions=extensions)
    sock.sendall(request)
    head, leftover = read_http_head(sock)
    status, headers = parse_http_head(head)
    parts = status.split(" ", 2)
    if len(parts) < 2 or parts[1] != "101":
        raise ConnectionError("upgrade refused: %r" % status)
    if headers.get("sec-websocket-accept") != accept_value(key):
        raise ConnectionError("bad Sec-WebSocket-Accept")
    return headers, leftover


# ---------------------------------------------------------------------------
# Compression (permessage-deflate, RFC 7692)


class DeflateParams(object):
    """What the source server agreed to for permessage-deflate."""

    def __init__(self, no_context_takeover=False, wbits=15):
        self.no_context_takeover = no_context_takeover
        self.wbits = wbits

    def key(self):
        return (self.no_context_takeover, self.wbits)

    def __repr__(self):
        return "DeflateParams(no_context_takeover=%s, wbits=%d)" % (
            self.no_context_takeover, self.wbits)


def negotiate_deflate(offer_header):
    """Pick the first permessage-deflate offer we can honour.

    Returns ``(response_value, DeflateParams)`` or ``(None, None)``."""
    for name, params in parse_extension_offers(offer_header):
        if name != "permessage-deflate":
            continue
        wbits = 15
        response = ["permessage-deflate"]
        ok = True
        for key, value in params.items():
            if key == "server_no_context_takeover":
                response.append("server_no_context_takeover")
            elif key == "client_no_context_takeover":
                # Only affects what the client compresses; echo it back.
                response.append("client_no_context_takeover")
            elif key == "server_max_window_bits":
                try:
                    wbits = int(value)
                except (TypeError, ValueError):
                    ok = False
                    break
                # zlib cannot make raw deflate streams with an 8-bit
                # window, so such an offer is declined.
                if not 9 <= wbits <= 15:
                    ok = False
                    break
                response.append("server_max_window_bits=%d" % wbits)
            elif key == "client_max_window_bits":
                pass  # we never receive compressed data; leave it out
            else:
                ok = False
                break
        if not ok:
            continue
        return "; ".join(response), DeflateParams(
            "server_no_context_takeover" in params, wbits)
    return None, None


def compressed_frames(spec, params):
    """List of server frames (bytes) for every message of ``spec``,
    compressed as negotiated."""
    wbits = params.wbits
    frames = []
    comp = None
    for i in range(spec.count):
        if comp is None or params.no_context_takeover:
            comp = zlib.compressobj(6, zlib.DEFLATED, -wbits, 8)
        data = comp.compress(spec.message(i)) + comp.flush(zlib.Z_SYNC_FLUSH)
        if data.endswith(b"\x00\x00\xff\xff"):
            data = data[:-4]
        frames.append(server_frame(spec.opcode, data, rsv1=True))
    return frames


class SourceStream(object):
    """The bytes the source server sends after the handshake.

    ``chunk`` is sent ``repeats`` times, then ``chunk[:tail]``, then the
    close frame."""

    def __init__(self, spec, deflate=None):
        self.spec = spec
        if spec.compress and deflate is not None:
            frames = compressed_frames(spec, deflate)
            self.chunk = b"".join(frames)
            self.repeats = 1
            self.tail = 0
        else:
            frames = [server_frame(spec.opcode, spec.distinct(j))
                      for j in range(spec.period)]
            self.chunk = b"".join(frames)
            self.repeats, rest = divmod(spec.count, spec.period)
            self.tail = sum(len(f) for f in frames[:rest])
        self.close_frame = server_frame(OP_CLOSE, close_payload(1000))

    def total_length(self):
        return (len(self.chunk) * self.repeats + self.tail
                + len(self.close_frame))

    def crc(self):
        crc = 0
        for _ in range(self.repeats):
            crc = zlib.crc32(self.chunk, crc)
        crc = zlib.crc32(memoryview(self.chunk)[:self.tail], crc)
        return zlib.crc32(self.close_frame, crc)


def masked_stream_length(spec):
    """Bytes of data frames a client sends for ``spec`` when it uses one
    frame per message and the shortest header (what every client here does)."""
    return spec.count * (spec.size + header_length(spec.size, masked=True))
