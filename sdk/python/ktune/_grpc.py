"""A minimal unary gRPC client over HTTP/2 cleartext, written with the standard library only.

It speaks gRPC the way ``grpc.insecure_channel`` does: HTTP/2 over plain TCP with prior
knowledge (no TLS, no HTTP/1.1 upgrade), one request message and one response message per call.
It is enough for the DBManager calls of ``ktune`` (``ReportObservationLog``,
``GetObservationLog``) against ``ktune server`` and against Katib's Go db-manager, and is not a
general gRPC implementation: no streaming, no compression, no TLS, no retries, one connection per
call.

The HPACK decoder is complete (RFC 7541: static and dynamic tables, size updates, Huffman); the
encoder sends every header as a literal without indexing and without Huffman coding, which every
peer must accept.
"""

import collections
import socket
import time
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ["GrpcError", "STATUS_CODE_NAMES", "HpackDecoder", "HpackError", "huffman_decode",
           "encode_header_block", "unary_call"]

# --------------------------------------------------------------------------------------------
# gRPC status codes and the error type.

STATUS_CODE_NAMES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
)

CANCELLED = 1
UNKNOWN = 2
DEADLINE_EXCEEDED = 4
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16


class GrpcError(RuntimeError):
    """A gRPC call that did not end with status OK.

    Attributes:
        code: the gRPC status code (an int, 1..16; unknown codes from a peer are kept as sent).
        code_name: the code's canonical name, such as ``"UNAVAILABLE"``.
        details: the status message (``grpc-message``, percent-decoded), or this client's own
            description of what went wrong (connection refused, deadline, protocol error).
    """

    def __init__(self, code: int, details: str) -> None:
        self.code = code
        if 0 <= code < len(STATUS_CODE_NAMES):
            self.code_name = STATUS_CODE_NAMES[code]
        else:
            self.code_name = "CODE_%d" % code
        self.details = details
        super().__init__("%s: %s" % (self.code_name, details))


# --------------------------------------------------------------------------------------------
# HPACK (RFC 7541).


class HpackError(ValueError):
    """A header block that does not follow RFC 7541."""


# RFC 7541 Appendix A: the static table; index 1 is the first entry.
_STATIC_TABLE = (
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
    (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"), (":status", "200"),
    (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
    (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""),
    ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""),
    ("authorization", ""), ("cache-control", ""), ("content-disposition", ""),
    ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
    ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
    ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""),
    ("max-forwards", ""), ("proxy-authenticate", ""), ("proxy-authorization", ""),
    ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""),
    ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
    ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
)

# RFC 7541 Appendix B: (code, bit length) of symbols 0..255 and of EOS (256).
_HUFFMAN_CODES = (
    (0x1ff8, 13), (0x7fffd8, 23), (0xfffffe2, 28), (0xfffffe3, 28), (0xfffffe4, 28),
    (0xfffffe5, 28), (0xfffffe6, 28), (0xfffffe7, 28), (0xfffffe8, 28), (0xffffea, 24),
    (0x3ffffffc, 30), (0xfffffe9, 28), (0xfffffea, 28), (0x3ffffffd, 30), (0xfffffeb, 28),
    (0xfffffec, 28), (0xfffffed, 28), (0xfffffee, 28), (0xfffffef, 28), (0xffffff0, 28),
    (0xffffff1, 28), (0xffffff2, 28), (0x3ffffffe, 30), (0xffffff3, 28), (0xffffff4, 28),
    (0xffffff5, 28), (0xffffff6, 28), (0xffffff7, 28), (0xffffff8, 28), (0xffffff9, 28),
    (0xffffffa, 28), (0xffffffb, 28), (0x14, 6), (0x3f8, 10), (0x3f9, 10),
    (0xffa, 12), (0x1ff9, 13), (0x15, 6), (0xf8, 8), (0x7fa, 11),
    (0x3fa, 10), (0x3fb, 10), (0xf9, 8), (0x7fb, 11), (0xfa, 8),
    (0x16, 6), (0x17, 6), (0x18, 6), (0x0, 5), (0x1, 5),
    (0x2, 5), (0x19, 6), (0x1a, 6), (0x1b, 6), (0x1c, 6),
    (0x1d, 6), (0x1e, 6), (0x1f, 6), (0x5c, 7), (0xfb, 8),
    (0x7ffc, 15), (0x20, 6), (0xffb, 12), (0x3fc, 10), (0x1ffa, 13),
    (0x21, 6), (0x5d, 7), (0x5e, 7), (0x5f, 7), (0x60, 7),
    (0x61, 7), (0x62, 7), (0x63, 7), (0x64, 7), (0x65, 7),
    (0x66, 7), (0x67, 7), (0x68, 7), (0x69, 7), (0x6a, 7),
    (0x6b, 7), (0x6c, 7), (0x6d, 7), (0x6e, 7), (0x6f, 7),
    (0x70, 7), (0x71, 7), (0x72, 7), (0xfc, 8), (0x73, 7),
    (0xfd, 8), (0x1ffb, 13), (0x7fff0, 19), (0x1ffc, 13), (0x3ffc, 14),
    (0x22, 6), (0x7ffd, 15), (0x3, 5), (0x23, 6), (0x4, 5),
    (0x24, 6), (0x5, 5), (0x25, 6), (0x26, 6), (0x27, 6),
    (0x6, 5), (0x74, 7), (0x75, 7), (0x28, 6), (0x29, 6),
    (0x2a, 6), (0x7, 5), (0x2b, 6), (0x76, 7), (0x2c, 6),
    (0x8, 5), (0x9, 5), (0x2d, 6), (0x77, 7), (0x78, 7),
    (0x79, 7), (0x7a, 7), (0x7b, 7), (0x7ffe, 15), (0x7fc, 11),
    (0x3ffd, 14), (0x1ffd, 13), (0xffffffc, 28), (0xfffe6, 20), (0x3fffd2, 22),
    (0xfffe7, 20), (0xfffe8, 20), (0x3fffd3, 22), (0x3fffd4, 22), (0x3fffd5, 22),
    (0x7fffd9, 23), (0x3fffd6, 22), (0x7fffda, 23), (0x7fffdb, 23), (0x7fffdc, 23),
    (0x7fffdd, 23), (0x7fffde, 23), (0xffffeb, 24), (0x7fffdf, 23), (0xffffec, 24),
    (0xffffed, 24), (0x3fffd7, 22), (0x7fffe0, 23), (0xffffee, 24), (0x7fffe1, 23),
    (0x7fffe2, 23), (0x7fffe3, 23), (0x7fffe4, 23), (0x1fffdc, 21), (0x3fffd8, 22),
    (0x7fffe5, 23), (0x3fffd9, 22), (0x7fffe6, 23), (0x7fffe7, 23), (0xffffef, 24),
    (0x3fffda, 22), (0x1fffdd, 21), (0xfffe9, 20), (0x3fffdb, 22), (0x3fffdc, 22),
    (0x7fffe8, 23), (0x7fffe9, 23), (0x1fffde, 21), (0x7fffea, 23), (0x3fffdd, 22),
    (0x3fffde, 22), (0xfffff0, 24), (0x1fffdf, 21), (0x3fffdf, 22), (0x7fffeb, 23),
    (0x7fffec, 23), (0x1fffe0, 21), (0x1fffe1, 21), (0x3fffe0, 22), (0x1fffe2, 21),
    (0x7fffed, 23), (0x3fffe1, 22), (0x7fffee, 23), (0x7fffef, 23), (0xfffea, 20),
    (0x3fffe2, 22), (0x3fffe3, 22), (0x3fffe4, 22), (0x7ffff0, 23), (0x3fffe5, 22),
    (0x3fffe6, 22), (0x7ffff1, 23), (0x3ffffe0, 26), (0x3ffffe1, 26), (0xfffeb, 20),
    (0x7fff1, 19), (0x3fffe7, 22), (0x7ffff2, 23), (0x3fffe8, 22), (0x1ffffec, 25),
    (0x3ffffe2, 26), (0x3ffffe3, 26), (0x3ffffe4, 26), (0x7ffffde, 27), (0x7ffffdf, 27),
    (0x3ffffe5, 26), (0xfffff1, 24), (0x1ffffed, 25), (0x7fff2, 19), (0x1fffe3, 21),
    (0x3ffffe6, 26), (0x7ffffe0, 27), (0x7ffffe1, 27), (0x3ffffe7, 26), (0x7ffffe2, 27),
    (0xfffff2, 24), (0x1fffe4, 21), (0x1fffe5, 21), (0x3ffffe8, 26), (0x3ffffe9, 26),
    (0xffffffd, 28), (0x7ffffe3, 27), (0x7ffffe4, 27), (0x7ffffe5, 27), (0xfffec, 20),
    (0xfffff3, 24), (0xfffed, 20), (0x1fffe6, 21), (0x3fffe9, 22), (0x1fffe7, 21),
    (0x1fffe8, 21), (0x7ffff3, 23), (0x3fffea, 22), (0x3fffeb, 22), (0x1ffffee, 25),
    (0x1ffffef, 25), (0xfffff4, 24), (0xfffff5, 24), (0x3ffffea, 26), (0x7ffff4, 23),
    (0x3ffffeb, 26), (0x7ffffe6, 27), (0x3ffffec, 26), (0x3ffffed, 26), (0x7ffffe7, 27),
    (0x7ffffe8, 27), (0x7ffffe9, 27), (0x7ffffea, 27), (0x7ffffeb, 27), (0xffffffe, 28),
    (0x7ffffec, 27), (0x7ffffed, 27), (0x7ffffee, 27), (0x7ffffef, 27), (0x7fffff0, 27),
    (0x3ffffee, 26), (0x3fffffff, 30),
)

_EOS = 256
# (bit length, code) -> symbol, for decoding bit by bit.
_HUFFMAN_DECODE = {(length, code): sym for sym, (code, length) in enumerate(_HUFFMAN_CODES)}
_HUFFMAN_MAX_BITS = max(length for _, length in _HUFFMAN_CODES)


def huffman_decode(data: bytes) -> bytes:
    """Decodes an HPACK Huffman-coded string (RFC 7541 §5.2).

    Raises HpackError for an EOS symbol in the data, padding longer than 7 bits, or padding that
    is not the most significant bits of EOS (all ones).
    """
    out = bytearray()
    code = 0
    length = 0
    for byte in data:
        for shift in range(7, -1, -1):
            code = (code << 1) | ((byte >> shift) & 1)
            length += 1
            sym = _HUFFMAN_DECODE.get((length, code))
            if sym is None:
                if length >= _HUFFMAN_MAX_BITS:
                    raise HpackError("invalid Huffman code")
                continue
            if sym == _EOS:
                raise HpackError("Huffman-coded string contains the EOS symbol")
            out.append(sym)
            code = 0
            length = 0
    if length > 7:
        raise HpackError("Huffman padding longer than 7 bits")
    if code != (1 << length) - 1:
        raise HpackError("Huffman padding is not the prefix of EOS")
    return bytes(out)


def _decode_integer(data: bytes, pos: int, prefix_bits: int) -> Tuple[int, int]:
    """Decodes an HPACK integer whose prefix is the low prefix_bits of data[pos] (§5.1)."""
    if pos >= len(data):
        raise HpackError("header block ends inside an integer")
    limit = (1 << prefix_bits) - 1
    value = data[pos] & limit
    pos += 1
    if value < limit:
        return value, pos
    shift = 0
    while True:
        if pos >= len(data):
            raise HpackError("header block ends inside an integer")
        byte = data[pos]
        pos += 1
        value += (byte & 0x7F) << shift
        shift += 7
        if value > 0xFFFFFFFF:
            raise HpackError("HPACK integer too large")
        if not byte & 0x80:
            return value, pos


def _decode_string(data: bytes, pos: int) -> Tuple[bytes, int]:
    """Decodes an HPACK string literal (§5.2) starting at data[pos]."""
    if pos >= len(data):
        raise HpackError("header block ends before a string literal")
    huffman = bool(data[pos] & 0x80)
    length, pos = _decode_integer(data, pos, 7)
    end = pos + length
    if end > len(data):
        raise HpackError("string literal runs past the end of the header block")
    raw = bytes(data[pos:end])
    return (huffman_decode(raw) if huffman else raw), end


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


class HpackDecoder:
    """Decodes the header blocks of one HTTP/2 connection, in order (RFC 7541 §3).

    One decoder per connection: the dynamic table carries over from block to block. Not
    thread-safe.
    """

    def __init__(self, max_table_size: int = 4096) -> None:
        # max_table_size is SETTINGS_HEADER_TABLE_SIZE as this side announced it: the most the
        # encoder may set the table to with a size update.
        self._limit = max_table_size
        self._max_size = max_table_size
        self._entries = collections.deque()  # type: collections.deque  # newest first
        self._size = 0

    @property
    def table_size(self) -> int:
        """The dynamic table's current size in RFC 7541 units (sum of name+value+32)."""
        return self._size

    @property
    def max_table_size(self) -> int:
        """The dynamic table's current maximum size, as the last size update set it."""
        return self._max_size

    @property
    def dynamic_table(self) -> List[Tuple[str, str]]:
        """The dynamic table's entries, newest (index 62) first."""
        return [(_text(n), _text(v)) for n, v in self._entries]

    def decode(self, block: bytes) -> List[Tuple[str, str]]:
        """Decodes one complete header block into (name, value) pairs, in order."""
        headers = []  # type: List[Tuple[str, str]]
        pos = 0
        seen_field = False
        while pos < len(block):
            first = block[pos]
            if first & 0x80:  # indexed header field
                index, pos = _decode_integer(block, pos, 7)
                name, value = self._lookup(index)
            elif first & 0x40:  # literal with incremental indexing
                name, value, pos = self._literal(block, pos, 6)
                self._add(name, value)
            elif first & 0x20:  # dynamic table size update
                if seen_field:
                    raise HpackError("dynamic table size update after a header field")
                size, pos = _decode_integer(block, pos, 5)
                if size > self._limit:
                    raise HpackError("dynamic table size update to %d exceeds the limit %d"
                                     % (size, self._limit))
                self._max_size = size
                self._evict(0)
                continue
            else:  # literal without indexing (0000) or never indexed (0001)
                name, value, pos = self._literal(block, pos, 4)
            seen_field = True
            headers.append((_text(name), _text(value)))
        return headers

    def _literal(self, block: bytes, pos: int, prefix_bits: int) -> Tuple[bytes, bytes, int]:
        index, pos = _decode_integer(block, pos, prefix_bits)
        if index:
            name = self._lookup(index)[0]
        else:
            name, pos = _decode_string(block, pos)
        value, pos = _decode_string(block, pos)
        return name, value, pos

    def _lookup(self, index: int) -> Tuple[bytes, bytes]:
        if index == 0:
            raise HpackError("header index 0")
        if index <= len(_STATIC_TABLE):
            name, value = _STATIC_TABLE[index - 1]
            return name.encode("ascii"), value.encode("ascii")
        dynamic = index - len(_STATIC_TABLE) - 1
        if dynamic >= len(self._entries):
            raise HpackError("header index %d is past the end of the dynamic table" % index)
        return self._entries[dynamic]

    def _add(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value) + 32
        if size > self._max_size:
            self._entries.clear()
            self._size = 0
            return
        self._evict(size)
        self._entries.appendleft((name, value))
        self._size += size

    def _evict(self, room: int) -> None:
        while self._entries and self._size + room > self._max_size:
            name, value = self._entries.pop()
            self._size -= len(name) + len(value) + 32


def _encode_integer(value: int, prefix_bits: int, first_byte_flags: int) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = bytearray([first_byte_flags | limit])
    value -= limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_header_block(headers: Sequence[Tuple[str, str]]) -> bytes:
    """Encodes headers as HPACK literals without indexing, with literal names, no Huffman."""
    out = bytearray()
    for name, value in headers:
        raw_name = name.encode("latin-1")
        raw_value = value.encode("latin-1")
        out.append(0x00)
        out += _encode_integer(len(raw_name), 7, 0x00) + raw_name
        out += _encode_integer(len(raw_value), 7, 0x00) + raw_value
    return bytes(out)


# --------------------------------------------------------------------------------------------
# HTTP/2 (RFC 9113) with one client stream.

_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

_DATA = 0x0
_HEADERS = 0x1
_RST_STREAM = 0x3
_SETTINGS = 0x4
_PUSH_PROMISE = 0x5
_PING = 0x6
_GOAWAY = 0x7
_WINDOW_UPDATE = 0x8
_CONTINUATION = 0x9

_FLAG_END_STREAM = 0x1
_FLAG_ACK = 0x1
_FLAG_END_HEADERS = 0x4
_FLAG_PADDED = 0x8
_FLAG_PRIORITY = 0x20

_SETTINGS_HEADER_TABLE_SIZE = 0x1
_SETTINGS_ENABLE_PUSH = 0x2
_SETTINGS_INITIAL_WINDOW_SIZE = 0x4
_SETTINGS_MAX_FRAME_SIZE = 0x5

_DEFAULT_WINDOW = 65535
_DEFAULT_MAX_FRAME = 16384
# What this client announces: a 16 MiB window per stream and for the connection (topped up as
# the response is read), and frames of up to 1 MiB, so that big responses need few round trips.
_RECV_WINDOW = 1 << 24
_RECV_MAX_FRAME = 1 << 20
_STREAM_ID = 1

# RFC 9113 §7 error codes -> gRPC status codes (gRPC's PROTOCOL-HTTP2.md).
_RST_CODES = {0x7: UNAVAILABLE, 0x8: CANCELLED, 0xB: RESOURCE_EXHAUSTED, 0xC: PERMISSION_DENIED}
_H2_ERROR_NAMES = (
    "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
    "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
    "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
)
# HTTP status -> gRPC status code, for responses that carry no grpc-status.
_HTTP_CODES = {400: INTERNAL, 401: UNAUTHENTICATED, 403: PERMISSION_DENIED, 404: UNIMPLEMENTED,
               429: UNAVAILABLE, 502: UNAVAILABLE, 503: UNAVAILABLE, 504: UNAVAILABLE}

_USER_AGENT = "ktune-python-grpc/1"


def _h2_error_name(code: int) -> str:
    if 0 <= code < len(_H2_ERROR_NAMES):
        return _H2_ERROR_NAMES[code]
    return "0x%x" % code


def _frame(frame_type: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return (len(payload).to_bytes(3, "big") + bytes([frame_type, flags])
            + stream_id.to_bytes(4, "big") + payload)


def _protocol_error(what: str) -> GrpcError:
    return GrpcError(INTERNAL, "HTTP/2 protocol error from the server: " + what)


class _Stream:
    """What has arrived on the call's stream so far."""

    def __init__(self) -> None:
        self.headers = None  # type: Optional[List[Tuple[str, str]]]
        self.trailers = None  # type: Optional[List[Tuple[str, str]]]
        self.data = bytearray()
        self.ended = False


class _Connection:
    """One HTTP/2 connection carrying one unary call; every wait is bounded by the deadline."""

    def __init__(self, sock: socket.socket, deadline: float, target: str) -> None:
        self._sock = sock
        self._deadline = deadline
        self._target = target
        self._buf = bytearray()
        self._decoder = HpackDecoder()
        self._peer_max_frame = _DEFAULT_MAX_FRAME
        self._peer_initial_window = _DEFAULT_WINDOW
        self._conn_send_window = _DEFAULT_WINDOW
        self._stream_send_window = _DEFAULT_WINDOW
        self._conn_unacked = 0
        self._stream_unacked = 0
        self._pending_block = None  # type: Optional[bytearray]
        self._pending_end_stream = False
        self._pending_stream = 0
        self._goaway = None  # type: Optional[str]
        self.stream = _Stream()

    # ---- socket I/O

    def _remaining(self) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise GrpcError(DEADLINE_EXCEEDED, "Deadline Exceeded")
        return left

    def send(self, data: bytes) -> None:
        try:
            self._sock.settimeout(self._remaining())
            self._sock.sendall(data)
        except socket.timeout:
            raise GrpcError(DEADLINE_EXCEEDED, "Deadline Exceeded") from None
        except OSError as e:
            raise GrpcError(UNAVAILABLE, "sending to %s failed: %s" % (self._target, e)) from e

    def _fill(self, n: int) -> None:
        while len(self._buf) < n:
            try:
                self._sock.settimeout(self._remaining())
                chunk = self._sock.recv(1 << 16)
            except socket.timeout:
                raise GrpcError(DEADLINE_EXCEEDED, "Deadline Exceeded") from None
            except OSError as e:
                raise GrpcError(UNAVAILABLE,
                                "reading from %s failed: %s" % (self._target, e)) from e
            if not chunk:
                what = "the connection to %s closed before the call ended" % self._target
                if self._goaway:
                    what += " (after GOAWAY %s)" % self._goaway
                raise GrpcError(UNAVAILABLE, what)
            self._buf += chunk

    def _read_frame(self) -> Tuple[int, int, int, bytes]:
        self._fill(9)
        length = int.from_bytes(self._buf[0:3], "big")
        frame_type = self._buf[3]
        flags = self._buf[4]
        stream_id = int.from_bytes(self._buf[5:9], "big") & 0x7FFFFFFF
        if length > _RECV_MAX_FRAME:
            raise _protocol_error("a frame of %d bytes exceeds SETTINGS_MAX_FRAME_SIZE" % length)
        self._fill(9 + length)
        payload = bytes(self._buf[9:9 + length])
        del self._buf[:9 + length]
        return frame_type, flags, stream_id, payload

    # ---- the call

    def start(self) -> None:
        """Sends the connection preface, this side's SETTINGS and a connection window update."""
        settings = b"".join(key.to_bytes(2, "big") + value.to_bytes(4, "big") for key, value in (
            (_SETTINGS_ENABLE_PUSH, 0),
            (_SETTINGS_INITIAL_WINDOW_SIZE, _RECV_WINDOW),
            (_SETTINGS_MAX_FRAME_SIZE, _RECV_MAX_FRAME),
        ))
        update = (_RECV_WINDOW - _DEFAULT_WINDOW).to_bytes(4, "big")
        self.send(_PREFACE + _frame(_SETTINGS, 0, 0, settings)
                  + _frame(_WINDOW_UPDATE, 0, 0, update))

    def send_headers(self, headers: Sequence[Tuple[str, str]]) -> None:
        """Sends the request headers as HEADERS plus CONTINUATION frames as the size needs."""
        block = encode_header_block(headers)
        frames = []
        first = True
        while True:
            chunk, block = block[:self._peer_max_frame], block[self._peer_max_frame:]
            flags = 0 if block else _FLAG_END_HEADERS
            frames.append(_frame(_HEADERS if first else _CONTINUATION, flags, _STREAM_ID, chunk))
            first = False
            if not block:
                break
        self.send(b"".join(frames))

    def send_body(self, body: bytes) -> None:
        """Sends the request body in DATA frames within the peer's flow-control windows."""
        pos = 0
        while not self.stream.ended:
            room = min(self._peer_max_frame, self._conn_send_window, self._stream_send_window)
            left = len(body) - pos
            if room <= 0 and left > 0:
                self._handle(*self._read_frame())
                continue
            n = min(room, left)
            end = pos + n == len(body)
            self.send(_frame(_DATA, _FLAG_END_STREAM if end else 0, _STREAM_ID,
                             body[pos:pos + n]))
            self._conn_send_window -= n
            self._stream_send_window -= n
            pos += n
            if end:
                return

    def receive(self) -> _Stream:
        """Reads frames until the call's stream has ended."""
        while not self.stream.ended:
            self._handle(*self._read_frame())
        return self.stream

    def close(self, cancel: bool) -> None:
        """Says goodbye (RST_STREAM when cancelling, then GOAWAY) and closes, best effort."""
        try:
            goodbye = b""
            if cancel:
                goodbye += _frame(_RST_STREAM, 0, _STREAM_ID, (0x8).to_bytes(4, "big"))
            goodbye += _frame(_GOAWAY, 0, 0, bytes(8))
            self._sock.settimeout(max(0.001, min(1.0, self._deadline - time.monotonic())))
            self._sock.sendall(goodbye)
            self._sock.shutdown(socket.SHUT_WR)
            if not cancel:
                # Read what the server still sends until it closes too, so that closing does not
                # reset the connection under data it is still writing.
                while self._sock.recv(1 << 16):
                    pass
        except OSError:
            pass
        finally:
            self._sock.close()

    # ---- frame handling

    def _handle(self, frame_type: int, flags: int, stream_id: int, payload: bytes) -> None:
        if self._pending_block is not None and frame_type != _CONTINUATION:
            raise _protocol_error("frame type %d inside a header block" % frame_type)
        handler = self._HANDLERS.get(frame_type)
        if handler is not None:
            handler(self, flags, stream_id, payload)
        # Other frame types (PRIORITY, extensions) are ignored, as RFC 9113 requires.

    def _on_data(self, flags: int, stream_id: int, payload: bytes) -> None:
        self._conn_unacked += len(payload)
        data = _strip_padding(flags, payload)
        if stream_id == _STREAM_ID and not self.stream.ended:
            if self.stream.headers is None:
                raise _protocol_error("DATA before the response headers")
            self._stream_unacked += len(payload)
            self.stream.data += data
            if flags & _FLAG_END_STREAM:
                self.stream.ended = True
        self._update_windows()

    def _update_windows(self) -> None:
        updates = b""
        if self._conn_unacked >= _RECV_WINDOW // 2:
            updates += _frame(_WINDOW_UPDATE, 0, 0, self._conn_unacked.to_bytes(4, "big"))
            self._conn_unacked = 0
        if self._stream_unacked >= _RECV_WINDOW // 2 and not self.stream.ended:
            updates += _frame(_WINDOW_UPDATE, 0, _STREAM_ID,
                              self._stream_unacked.to_bytes(4, "big"))
            self._stream_unacked = 0
        if updates:
            self.send(updates)

    def _on_headers(self, flags: int, stream_id: int, payload: bytes) -> None:
        fragment = _strip_padding(flags, payload)
        if flags & _FLAG_PRIORITY:
            if len(fragment) < 5:
                raise _protocol_error("HEADERS too short for its priority fields")
            fragment = fragment[5:]
        self._pending_block = bytearray(fragment)
        self._pending_end_stream = bool(flags & _FLAG_END_STREAM)
        self._pending_stream = stream_id
        if flags & _FLAG_END_HEADERS:
            self._end_header_block()

    def _on_continuation(self, flags: int, stream_id: int, payload: bytes) -> None:
        if self._pending_block is None or stream_id != self._pending_stream:
            raise _protocol_error("CONTINUATION without a header block to continue")
        self._pending_block += payload
        if flags & _FLAG_END_HEADERS:
            self._end_header_block()

    def _end_header_block(self) -> None:
        block = bytes(self._pending_block or b"")
        self._pending_block = None
        try:
            headers = self._decoder.decode(block)  # always, to keep the dynamic table in step
        except HpackError as e:
            raise _protocol_error("bad header block: %s" % e) from e
        if self._pending_stream != _STREAM_ID or self.stream.ended:
            return
        if self.stream.headers is None:
            self.stream.headers = headers
        else:
            self.stream.trailers = headers
        if self._pending_end_stream:
            self.stream.ended = True

    def _on_rst_stream(self, flags: int, stream_id: int, payload: bytes) -> None:
        if stream_id != _STREAM_ID or len(payload) != 4:
            return
        code = int.from_bytes(payload, "big")
        raise GrpcError(_RST_CODES.get(code, INTERNAL),
                        "the server reset the stream (RST_STREAM %s)" % _h2_error_name(code))

    def _on_settings(self, flags: int, stream_id: int, payload: bytes) -> None:
        if flags & _FLAG_ACK:
            return
        if len(payload) % 6:
            raise _protocol_error("SETTINGS payload of %d bytes" % len(payload))
        for i in range(0, len(payload), 6):
            key = int.from_bytes(payload[i:i + 2], "big")
            value = int.from_bytes(payload[i + 2:i + 6], "big")
            if key == _SETTINGS_INITIAL_WINDOW_SIZE:
                self._stream_send_window += value - self._peer_initial_window
                self._peer_initial_window = value
            elif key == _SETTINGS_MAX_FRAME_SIZE:
                self._peer_max_frame = value
            # HEADER_TABLE_SIZE bounds an encoder's dynamic table; this client's encoder has none.
        self.send(_frame(_SETTINGS, _FLAG_ACK, 0))

    def _on_ping(self, flags: int, stream_id: int, payload: bytes) -> None:
        if not flags & _FLAG_ACK:
            self.send(_frame(_PING, _FLAG_ACK, 0, payload))

    def _on_goaway(self, flags: int, stream_id: int, payload: bytes) -> None:
        if len(payload) < 8:
            raise _protocol_error("GOAWAY shorter than 8 bytes")
        last_stream = int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF
        code = int.from_bytes(payload[4:8], "big")
        debug = payload[8:].decode("utf-8", errors="replace")
        self._goaway = _h2_error_name(code) + (": " + debug if debug else "")
        if last_stream < _STREAM_ID and not self.stream.ended:
            raise GrpcError(UNAVAILABLE, "the server sent GOAWAY %s before taking the call"
                            % self._goaway)

    def _on_window_update(self, flags: int, stream_id: int, payload: bytes) -> None:
        if len(payload) != 4:
            raise _protocol_error("WINDOW_UPDATE of %d bytes" % len(payload))
        increment = int.from_bytes(payload, "big") & 0x7FFFFFFF
        if stream_id == 0:
            self._conn_send_window += increment
        elif stream_id == _STREAM_ID:
            self._stream_send_window += increment

    def _on_push_promise(self, flags: int, stream_id: int, payload: bytes) -> None:
        raise _protocol_error("PUSH_PROMISE although SETTINGS_ENABLE_PUSH is 0")

    _HANDLERS = {
        _DATA: _on_data, _HEADERS: _on_headers, _CONTINUATION: _on_continuation,
        _RST_STREAM: _on_rst_stream, _SETTINGS: _on_settings, _PING: _on_ping,
        _GOAWAY: _on_goaway, _WINDOW_UPDATE: _on_window_update, _PUSH_PROMISE: _on_push_promise,
    }


def _strip_padding(flags: int, payload: bytes) -> bytes:
    if not flags & _FLAG_PADDED:
        return payload
    if not payload or payload[0] >= len(payload):
        raise _protocol_error("padding longer than the frame")
    return payload[1:len(payload) - payload[0]]


# --------------------------------------------------------------------------------------------
# The unary call.

_DEFAULT_PORT = 443  # what gRPC assumes for a target without a port


def parse_address(address: str) -> Tuple[str, int]:
    """Splits a gRPC target into (host, port).

    Accepts ``host:port``, ``[v6addr]:port``, a bare host or IPv6 address (port 443, as gRPC
    assumes), each optionally after ``dns:///`` or ``dns://authority/``.
    Raises ValueError for anything else.
    """
    target = address.strip()
    if target.startswith("dns://"):
        slash = target.find("/", len("dns://"))
        if slash < 0:
            raise ValueError("invalid gRPC address %r: no '/' after dns://authority" % address)
        target = target[slash + 1:]
    elif target.startswith("dns:"):
        target = target[len("dns:"):]
    if target.startswith("["):
        end = target.find("]")
        if end < 0:
            raise ValueError("invalid gRPC address %r: '[' without ']'" % address)
        host, rest = target[1:end], target[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError("invalid gRPC address %r: text after ']' is not ':port'" % address)
        port_text = rest[1:] if rest else ""
    elif target.count(":") > 1:
        host, port_text = target, ""
    elif ":" in target:
        host, port_text = target.split(":", 1)
    else:
        host, port_text = target, ""
    if not host:
        raise ValueError("invalid gRPC address %r: no host" % address)
    if not port_text:
        return host, _DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError("invalid gRPC address %r: port %r is not 1..65535" % (address, port_text))
    return host, int(port_text)


def _authority(host: str, port: int) -> str:
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def _grpc_timeout(seconds: float) -> str:
    """The grpc-timeout header value: at most 8 digits and a unit, rounded up."""
    millis = max(1, int(seconds * 1000 + 0.999))
    if millis <= 99999999:
        return "%dm" % millis
    secs = int(seconds + 0.999)
    if secs <= 99999999:
        return "%dS" % secs
    return "%dH" % min(99999999, int(seconds / 3600 + 0.999))


def _check_metadata(metadata: Sequence[Tuple[str, str]]) -> List[Tuple[str, str]]:
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
    checked = []
    for key, value in metadata:
        if not key or not set(key) <= allowed:
            raise ValueError("invalid gRPC metadata key %r: use lowercase letters, digits, "
                             "'-', '_' and '.'" % key)
        if key.startswith("grpc-") or key in ("te", "content-type", "user-agent"):
            raise ValueError("gRPC metadata key %r is reserved" % key)
        if key.endswith("-bin"):
            raise ValueError("binary gRPC metadata (%r) is not supported" % key)
        if not all(" " <= ch <= "~" for ch in value):
            raise ValueError("invalid value for gRPC metadata %r: printable ASCII only" % key)
        checked.append((key, value))
    return checked


def _first(headers: Sequence[Tuple[str, str]], name: str) -> Optional[str]:
    for key, value in headers:
        if key == name:
            return value
    return None


def _percent_decode(text: str) -> str:
    """Decodes grpc-message's percent-encoding (UTF-8 bytes as %XX); bad escapes stay as is."""
    out = bytearray()
    raw = text.encode("utf-8")
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and _is_hex(raw[i + 1:i + 3]):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", errors="replace")


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


def _http_error(status: str, content_type: str, body: bytes) -> GrpcError:
    code = _HTTP_CODES.get(int(status), UNKNOWN) if status.isdigit() else UNKNOWN
    text = body[:200].decode("utf-8", errors="replace").strip()
    return GrpcError(code, "the server answered HTTP status %s with content-type %r, not a gRPC "
                     "response%s" % (status, content_type, ": " + text if text else ""))


def _status_of(stream: _Stream) -> Optional[GrpcError]:
    """The call's outcome: None for OK, else the error the response carries."""
    headers = stream.headers or []
    status = _first(headers, ":status") or ""
    content_type = _first(headers, "content-type") or ""
    fields = stream.trailers if stream.trailers is not None else headers
    grpc_status = _first(fields, "grpc-status")
    if grpc_status is None:
        if status != "200":
            return _http_error(status, content_type, bytes(stream.data))
        if not content_type.startswith("application/grpc"):
            return GrpcError(UNKNOWN, "the server answered with content-type %r, not "
                             "application/grpc" % content_type)
        if stream.trailers is None and stream.data:
            return GrpcError(INTERNAL, "the server closed the stream without sending trailers")
        return GrpcError(UNKNOWN, "the server's response has no grpc-status")
    if not grpc_status.isdigit():
        return GrpcError(UNKNOWN, "the server sent an invalid grpc-status %r" % grpc_status)
    code = int(grpc_status)
    if code == 0:
        return None
    return GrpcError(code, _percent_decode(_first(fields, "grpc-message") or ""))


def _message_of(stream: _Stream) -> bytes:
    """The single response message of a call that ended with status OK."""
    data = stream.data
    if not data:
        return _fail(INTERNAL, "the server ended the call with status OK but sent no message")
    if len(data) < 5:
        return _fail(INTERNAL, "the response ends inside a message prefix")
    if data[0] & 1:
        encoding = _first(stream.headers or [], "grpc-encoding") or "?"
        return _fail(INTERNAL, "the server sent a compressed message (grpc-encoding %s), which "
                     "this client does not support" % encoding)
    length = int.from_bytes(data[1:5], "big")
    if len(data) < 5 + length:
        return _fail(INTERNAL, "the response message is truncated (%d of %d bytes)"
                     % (len(data) - 5, length))
    if len(data) > 5 + length:
        return _fail(INTERNAL, "the server sent more than one message for a unary call")
    return bytes(data[5:])


def _fail(code: int, details: str) -> bytes:
    raise GrpcError(code, details)


def _connect(host: str, port: int, deadline: float, target: str) -> socket.socket:
    left = deadline - time.monotonic()
    if left <= 0:
        raise GrpcError(DEADLINE_EXCEEDED, "Deadline Exceeded")
    try:
        sock = socket.create_connection((host, port), timeout=left)
    except socket.timeout:
        raise GrpcError(DEADLINE_EXCEEDED,
                        "Deadline Exceeded (connecting to %s)" % target) from None
    except socket.gaierror as e:
        raise GrpcError(UNAVAILABLE, "DNS resolution failed for %s: %s" % (target, e)) from e
    except OSError as e:
        raise GrpcError(UNAVAILABLE, "failed to connect to %s: %s" % (target, e)) from e
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def unary_call(address: str, method: str, request: bytes, timeout: float,
               metadata: Optional[Sequence[Tuple[str, str]]] = None) -> bytes:
    """Makes one unary gRPC call over h2c and returns the serialized response message.

    Args:
        address: the server, ``host:port``, ``[v6addr]:port``, optionally after ``dns:///``.
        method: the full method name, such as
            ``"/api.v1.beta1.DBManager/ReportObservationLog"``.
        request: the serialized request message.
        timeout: seconds for the whole call; sent as grpc-timeout, and bounding every wait.
        metadata: extra request headers, (lowercase key, printable ASCII value) pairs.

    Raises:
        GrpcError: the call did not end with OK: the server's status and message, or
            UNAVAILABLE (cannot connect, DNS failure, connection lost), DEADLINE_EXCEEDED,
            INTERNAL/UNKNOWN (not a gRPC response, protocol errors, compressed messages).
        ValueError: a malformed address, method or metadata.
    """
    if not method.startswith("/") or method.count("/") != 2:
        raise ValueError("invalid gRPC method %r: want /package.Service/Method" % method)
    extra = _check_metadata(metadata or ())
    host, port = parse_address(address)
    deadline = time.monotonic() + timeout
    target = _authority(host, port)
    conn = _Connection(_connect(host, port, deadline, target), deadline, target)
    cancel = True
    try:
        conn.start()
        conn.send_headers([
            (":method", "POST"), (":scheme", "http"), (":path", method), (":authority", target),
            ("content-type", "application/grpc"), ("te", "trailers"), ("user-agent", _USER_AGENT),
            ("grpc-timeout", _grpc_timeout(deadline - time.monotonic())),
        ] + extra)
        conn.send_body(b"\x00" + len(request).to_bytes(4, "big") + request)
        stream = conn.receive()
        cancel = False
    finally:
        conn.close(cancel)
    error = _status_of(stream)
    if error is not None:
        raise error
    return _message_of(stream)
