"""The benchmark load generator's statistics, ratios and HTTP parsing."""
import os
import socket
import sys
import threading

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'tools'))
from bench import loadgen  # noqa: E402


def test_percentile_is_nearest_rank():
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert loadgen.percentile(values, 50) == 0.3
    assert loadgen.percentile(values, 99) == 0.5
    assert loadgen.percentile(values, 20) == 0.1
    assert loadgen.percentile(list(range(1, 101)), 99) == 99
    assert loadgen.percentile([], 50) is None


def test_summarize_counts_only_successes():
    summary = loadgen.summarize([0.010, 0.020, 0.030, 0.040], errors=3, elapsed=2.0)
    assert summary['requests'] == 4
    assert summary['errors'] == 3
    assert summary['rps'] == 2.0
    assert summary['p50_ms'] == 20.0
    assert summary['p99_ms'] == 40.0
    assert summary['mean_ms'] == 25.0


def test_summarize_without_requests():
    summary = loadgen.summarize([], errors=5, elapsed=10.0)
    assert summary['rps'] == 0.0
    assert summary['p50_ms'] is None and summary['mean_ms'] is None


@pytest.mark.parametrize('ours, theirs, expected', [
    (500.0, 100.0, 5.0), (10.0, 40.0, 0.25), (1.0, 3.0, 0.33),
    (None, 100.0, None), (100.0, None, None), (100.0, 0.0, None),
])
def test_ratio(ours, theirs, expected):
    assert loadgen.ratio(ours, theirs) == expected


def test_build_request_sets_length_and_host():
    raw = loadgen.build_request({'host': '127.0.0.1', 'port': 5000, 'method': 'POST',
                                 'path': '/v3/auth/tokens', 'body': '{"a": 1}',
                                 'headers': {'Content-Type': 'application/json'}})
    head, body = raw.split(b'\r\n\r\n')
    lines = head.decode().split('\r\n')
    assert lines[0] == 'POST /v3/auth/tokens HTTP/1.1'
    assert 'Host: 127.0.0.1:5000' in lines
    assert 'Content-Length: 8' in lines
    assert body == b'{"a": 1}'


def _answer(responses):
    """A connection whose peer sends each response after reading a request."""
    client, server = socket.socketpair()

    def serve():
        for response in responses:
            server.recv(65536)
            server.sendall(response)
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return loadgen.Connection(client)


def test_connection_reads_length_chunked_and_close_delimited_bodies():
    conn = _answer([
        b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
        b'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n'
        b'3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nTrailer: t\r\n\r\n',
        b'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n',
    ])
    assert conn.exchange(b'GET / HTTP/1.1\r\n\r\n') == (200, b'hello', True)
    assert conn.exchange(b'GET / HTTP/1.1\r\n\r\n') == (201, b'abcde', True)
    assert conn.exchange(b'GET / HTTP/1.1\r\n\r\n') == (204, b'', False)
    conn.close()

    conn = _answer([b'HTTP/1.0 200 OK\r\n\r\nuntil close'])
    assert conn.exchange(b'GET / HTTP/1.1\r\n\r\n') == (200, b'until close', False)
    conn.close()


def test_run_counts_errors_against_a_closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]  # nothing listens once closed
    result = loadgen.run({'host': '127.0.0.1', 'port': port, 'method': 'GET', 'path': '/',
                          'concurrency': 2, 'duration': 0.2, 'warmup': 0})
    assert result['requests'] == 0
    assert result['errors'] > 0
    assert result['error_samples']


def test_median_run_picks_the_middle_by_rps():
    runs = [{'rps': 30.0, 'n': 'c'}, {'rps': 10.0, 'n': 'a'}, {'rps': 20.0, 'n': 'b'}]
    assert loadgen.median_run(runs)['n'] == 'b'
    assert loadgen.median_run(runs[:2])['n'] == 'a'  # lower middle of an even count
    assert loadgen.median_run(runs[:1])['n'] == 'c'
