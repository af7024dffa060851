"""ktune's own gRPC client (standard library only) against real peers: `ktune server`'s
DBManager (gRPC C++), a Debian grpcio server for every error path, and Debian's python3-hpack
as the reference HPACK encoder (Huffman and the dynamic table, as Go's http2 uses them)."""

import random
import threading
from concurrent import futures

import pytest

from ktune import _dbmanager, _grpc
from ktune._grpc import GrpcError, HpackDecoder, huffman_decode


# ---- against ktune server's DBManager -------------------------------------------------------

def test_report_then_get_with_a_filter(server):
    logs = [("2026-01-01T00:00:0{}Z".format(i), "loss" if i % 2 else "acc", str(i / 10))
            for i in range(6)]
    _dbmanager.report_observation_log(server.grpc, "grpc-t1", logs, timeout=10)
    got = _dbmanager.get_observation_log(server.grpc, "grpc-t1", timeout=10)
    assert [(g["metric"]["name"], g["metric"]["value"]) for g in got] == [l[1:] for l in logs]
    # The store keeps times at microsecond precision: 00:00:01Z reads back as 00:00:01.000000Z.
    assert [g["time_stamp"][:19] for g in got] == [l[0][:19] for l in logs]
    loss = _dbmanager.get_observation_log(server.grpc, "grpc-t1", metric_name="loss", timeout=10)
    assert [g["metric"]["value"] for g in loss] == ["0.1", "0.3", "0.5"]
    assert _dbmanager.get_observation_log(server.grpc, "no-such-trial", timeout=10) == []


def test_a_reply_of_megabytes_comes_through_the_flow_control_windows(server):
    value = "x" * 40
    for batch in range(4):
        logs = [("2026-01-01T00:00:00Z", "m{}".format(batch), value + str(i))
                for i in range(6000)]
        _dbmanager.report_observation_log(server.grpc, "grpc-big", logs, timeout=30)
    got = _dbmanager.get_observation_log(server.grpc, "grpc-big", timeout=30)
    assert len(got) == 24000  # about 1.7 MB, far beyond HTTP/2's 64 KiB initial window
    assert got[-1]["metric"]["value"] == value + "5999"


def test_the_servers_own_error(server):
    with pytest.raises(GrpcError) as e:
        _dbmanager.report_observation_log(server.grpc, "", [("t", "m", "1")], timeout=10)
    assert e.value.code_name == "INVALID_ARGUMENT"
    assert "trial" in e.value.details.lower()


def test_nothing_listening_is_unavailable():
    with pytest.raises(GrpcError) as e:
        _grpc.unary_call("127.0.0.1:9", "/a.B/C", b"", timeout=5)
    assert e.value.code_name == "UNAVAILABLE"
    with pytest.raises(GrpcError) as e:
        _grpc.unary_call("no-such-host.invalid:6789", "/a.B/C", b"", timeout=5)
    assert e.value.code_name == "UNAVAILABLE"


# ---- against a Debian grpcio server ---------------------------------------------------------

grpc = pytest.importorskip("grpc")


@pytest.fixture(scope="module")
def peer():
    """A grpcio server with raw-bytes handlers for the cases below."""
    release = threading.Event()
    seen = {}

    def echo(request, context):
        seen["metadata"] = dict(context.invocation_metadata())
        return request

    def fail(request, context):
        context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                      "état: 100% ✗ — no\nsecond line")

    def slow(request, context):
        release.wait(30)
        return b"late"

    def big(request, context):
        return random.Random(7).randbytes(3 * 1024 * 1024)

    def unary(fn):
        return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=None,
                                                   response_serializer=None)

    handler = grpc.method_handlers_generic_handler("test.Peer", {
        "Echo": unary(echo), "Fail": unary(fail), "Slow": unary(slow), "Big": unary(big)})
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    srv.add_generic_rpc_handlers((handler,))
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    yield {"address": "127.0.0.1:{}".format(port), "seen": seen, "release": release}
    release.set()
    srv.stop(None)


def test_echo_and_metadata_reach_the_server(peer):
    payload = bytes(range(256)) * 10
    out = _grpc.unary_call("dns:///" + peer["address"], "/test.Peer/Echo", payload, timeout=10,
                           metadata=[("x-trial", "t-1")])
    assert out == payload
    assert peer["seen"]["metadata"]["x-trial"] == "t-1"
    assert _grpc.unary_call(peer["address"], "/test.Peer/Echo", b"", timeout=10) == b""


def test_status_message_is_percent_decoded(peer):
    with pytest.raises(GrpcError) as e:
        _grpc.unary_call(peer["address"], "/test.Peer/Fail", b"x", timeout=10)
    assert e.value.code_name == "FAILED_PRECONDITION"
    assert e.value.details == "état: 100% ✗ — no\nsecond line"


def test_unknown_method_is_unimplemented(peer):
    with pytest.raises(GrpcError) as e:
        _grpc.unary_call(peer["address"], "/test.Peer/Nope", b"", timeout=10)
    assert e.value.code_name == "UNIMPLEMENTED"


def test_deadline_exceeded(peer):
    with pytest.raises(GrpcError) as e:
        _grpc.unary_call(peer["address"], "/test.Peer/Slow", b"", timeout=0.5)
    assert e.value.code_name == "DEADLINE_EXCEEDED"


def test_a_big_response(peer):
    out = _grpc.unary_call(peer["address"], "/test.Peer/Big", b"", timeout=30)
    assert out == random.Random(7).randbytes(3 * 1024 * 1024)


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError):
        _grpc.unary_call("127.0.0.1:1", "no-slash", b"", timeout=1)
    with pytest.raises(ValueError):
        _grpc.unary_call("127.0.0.1:http", "/a.B/C", b"", timeout=1)


# ---- HPACK ----------------------------------------------------------------------------------

def test_rfc7541_c4_requests_with_huffman():
    d = HpackDecoder()
    assert d.decode(bytes.fromhex("828684418cf1e3c2e5f23a6ba0ab90f4ff")) == [
        (":method", "GET"), (":scheme", "http"), (":path", "/"),
        (":authority", "www.example.com")]
    assert d.decode(bytes.fromhex("828684be5886a8eb10649cbf")) == [
        (":method", "GET"), (":scheme", "http"), (":path", "/"),
        (":authority", "www.example.com"), ("cache-control", "no-cache")]
    assert huffman_decode(bytes.fromhex("f1e3c2e5f23a6ba0ab90f4ff")) == b"www.example.com"


def test_decodes_what_a_huffman_encoder_with_a_dynamic_table_sends():
    hpack = pytest.importorskip("hpack")
    rng = random.Random(11)
    encoder = hpack.Encoder()
    encoder.header_table_size = 256  # small: entries are evicted all the time
    decoder = HpackDecoder()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_ %/:;=?&~é✗"
    names = ["grpc-status", "grpc-message", "content-type", "x-custom", "date", ":status"]
    for _ in range(300):
        headers = [(rng.choice(names), "".join(rng.choice(alphabet)
                                               for _ in range(rng.randrange(0, 40))))
                   for _ in range(rng.randrange(1, 6))]
        block = encoder.encode(headers, huffman=rng.random() < 0.8)
        assert decoder.decode(block) == headers
