"""Katib's ``api.v1.beta1.DBManager`` messages and calls, with protobuf encoded by hand.

Field numbers follow ``api/api.proto``:

- ``ReportObservationLogRequest``: trial_name = 1 (string), observation_log = 2 (ObservationLog)
- ``ObservationLog``: metric_logs = 1 (repeated MetricLog)
- ``MetricLog``: time_stamp = 1 (string), metric = 2 (Metric)
- ``Metric``: name = 1 (string), value = 2 (string)
- ``GetObservationLogRequest``: trial_name = 1, metric_name = 2, start_time = 3, end_time = 4
- ``GetObservationLogReply``: observation_log = 1 (ObservationLog)

Decoding skips unknown fields of every wire type but groups, as protobuf does.
"""

from typing import Dict, Iterator, List, Sequence, Tuple

from . import _grpc

__all__ = ["report_observation_log", "get_observation_log", "encode_report_request",
           "encode_get_request", "decode_get_reply", "ProtobufError"]

_SERVICE = "/api.v1.beta1.DBManager/"

_VARINT = 0
_FIXED64 = 1
_LENGTH_DELIMITED = 2
_FIXED32 = 5


class ProtobufError(ValueError):
    """A message that is not valid protobuf wire format for the expected type."""


# ---- encoding


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LENGTH_DELIMITED) + _varint(len(payload)) + payload


def _string_field(number: int, text: str) -> bytes:
    """A string field; empty strings are left out, as proto3 does for default values."""
    if not text:
        return b""
    return _bytes_field(number, text.encode("utf-8"))


def _metric_log(time_stamp: str, name: str, value: str) -> bytes:
    metric = _string_field(1, name) + _string_field(2, value)
    return _string_field(1, time_stamp) + _bytes_field(2, metric)


def encode_report_request(trial_name: str,
                          metric_logs: Sequence[Tuple[str, str, str]]) -> bytes:
    """Serializes a ReportObservationLogRequest from (time_stamp, name, value) triples."""
    log = b"".join(_bytes_field(1, _metric_log(*entry)) for entry in metric_logs)
    return _string_field(1, trial_name) + _bytes_field(2, log)


def encode_get_request(trial_name: str, metric_name: str = "", start_time: str = "",
                       end_time: str = "") -> bytes:
    """Serializes a GetObservationLogRequest."""
    return (_string_field(1, trial_name) + _string_field(2, metric_name)
            + _string_field(3, start_time) + _string_field(4, end_time))


# ---- decoding


def _read_varint(data: bytes, pos: int) -> Tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("message ends inside a varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("varint longer than 10 bytes")


def _fields(data: bytes) -> Iterator[Tuple[int, int, object]]:
    """Yields (field number, wire type, value): an int for varints, bytes otherwise."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        if wire_type == _VARINT:
            value, pos = _read_varint(data, pos)
            yield number, wire_type, value
            continue
        if wire_type == _LENGTH_DELIMITED:
            length, pos = _read_varint(data, pos)
        elif wire_type == _FIXED64:
            length = 8
        elif wire_type == _FIXED32:
            length = 4
        else:
            raise ProtobufError("unsupported wire type %d (field %d)" % (wire_type, number))
        if pos + length > len(data):
            raise ProtobufError("field %d runs past the end of the message" % number)
        yield number, wire_type, bytes(data[pos:pos + length])
        pos += length


def _string(value: object, what: str) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("%s is not a length-delimited field" % what)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtobufError("%s is not valid UTF-8: %s" % (what, e)) from e


def _message(value: object, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise ProtobufError("%s is not a length-delimited field" % what)
    return value


def _decode_metric(data: bytes) -> Dict[str, str]:
    metric = {"name": "", "value": ""}
    for number, _, value in _fields(data):
        if number == 1:
            metric["name"] = _string(value, "Metric.name")
        elif number == 2:
            metric["value"] = _string(value, "Metric.value")
    return metric


def _decode_metric_log(data: bytes) -> dict:
    log = {"time_stamp": "", "metric": {"name": "", "value": ""}}  # type: dict
    for number, _, value in _fields(data):
        if number == 1:
            log["time_stamp"] = _string(value, "MetricLog.time_stamp")
        elif number == 2:
            # Repeated occurrences of a message field merge; the last value of each field wins.
            log["metric"].update(_decode_metric(_message(value, "MetricLog.metric")))
    return log


def decode_get_reply(data: bytes) -> List[dict]:
    """Parses a GetObservationLogReply into Katib's metric_logs shape, as dicts."""
    logs = []  # type: List[dict]
    for number, _, value in _fields(data):
        if number != 1:
            continue
        for inner, _, entry in _fields(_message(value, "GetObservationLogReply.observation_log")):
            if inner == 1:
                logs.append(_decode_metric_log(_message(entry, "ObservationLog.metric_logs")))
    return logs


# ---- calls


def report_observation_log(address: str, trial_name: str,
                           metric_logs: Sequence[Tuple[str, str, str]],
                           timeout: float) -> None:
    """Calls DBManager.ReportObservationLog with (time_stamp, name, value) triples.

    Raises _grpc.GrpcError when the call fails (the server's status and message included).
    """
    request = encode_report_request(trial_name, metric_logs)
    _grpc.unary_call(address, _SERVICE + "ReportObservationLog", request, timeout)


def get_observation_log(address: str, trial_name: str, metric_name: str = "",
                        start_time: str = "", end_time: str = "",
                        timeout: float = 120.0) -> List[dict]:
    """Calls DBManager.GetObservationLog and returns its metric logs.

    Returns ``[{"time_stamp": ..., "metric": {"name": ..., "value": ...}}, ...]`` in the
    server's order (by time). Empty filters are not sent, which the server reads as "any".
    Raises _grpc.GrpcError when the call fails, ProtobufError for a reply it cannot parse.
    """
    request = encode_get_request(trial_name, metric_name, start_time, end_time)
    reply = _grpc.unary_call(address, _SERVICE + "GetObservationLog", request, timeout)
    return decode_get_reply(reply)
