"""LoopbackServer: a real server on 127.0.0.1 that serves files and misbehaves on demand."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from orchestrator.testing import LoopbackServer, RecordedRequest, Reply
from orchestrator.testing import loopback_server as loopback_server  # the pytest fixture

Factory = Callable[..., LoopbackServer]


def test_serves_a_directory_with_content_types(tmp_path: Path, loopback_server: Factory) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "index.html").write_text("<p>hi</p>", encoding="utf-8")
    (tmp_path / "app" / "main.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    server = loopback_server(tmp_path / "app")
    assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/")
    index = httpx.get(server.url_for("/index.html"))
    assert index.status_code == 200 and index.text == "<p>hi</p>"
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert httpx.get(server.url).text == "<p>hi</p>"  # a directory serves its index.html
    assert httpx.get(server.url_for("main.py")).text == "x = 1\n"
    assert httpx.get(server.url_for("/missing.css")).status_code == 404
    assert httpx.get(server.url_for("/../secret.txt")).status_code == 404
    assert httpx.get(server.url_for("/%2e%2e/secret.txt")).status_code == 404


def test_sequence_of_replies_then_the_last_repeats(loopback_server: Factory) -> None:
    server = loopback_server()
    server.route("/flaky", Reply(503, body="busy"), Reply(200, body="ok"))
    with httpx.Client() as client:
        codes = [client.get(server.url_for("/flaky")).status_code for _ in range(3)]
    assert codes == [503, 200, 200]
    assert server.count("/flaky") == 3
    server.reset_counts()
    assert server.count("/flaky") == 0


def test_headers_handler_and_recorded_requests(loopback_server: Factory) -> None:
    server = loopback_server()

    def echo(request: RecordedRequest) -> Reply:
        return Reply(201, body=request.query, headers={"X-Seen": request.headers["x-probe"]})

    server.route("/echo", handler=echo)
    response = httpx.get(server.url_for("/echo?a=1"), headers={"X-Probe": "yes"})
    assert (response.status_code, response.text, response.headers["x-seen"]) == (201, "a=1", "yes")
    (seen,) = server.requests
    assert (seen.method, seen.path, seen.target) == ("GET", "/echo", "/echo?a=1")
    with pytest.raises(TypeError):
        server.route("/bad")
    with pytest.raises(ValueError, match="must start with"):
        server.route("bad", Reply())


def test_oversized_body_is_streamed_not_built(loopback_server: Factory) -> None:
    server = loopback_server()
    server.route("/huge", Reply(body_size=200_000_000, body=b"<p>"))
    with httpx.Client() as client, client.stream("GET", server.url_for("/huge")) as response:
        assert response.headers["content-length"] == "200000000"
        first = next(response.iter_bytes())
    assert first.startswith(b"<p><p>")


def test_delay_before_headers_and_trickled_body(loopback_server: Factory) -> None:
    server = loopback_server()
    server.route("/slow", Reply(delay=0.3, body="late"))
    server.route("/trickle", Reply(body="abcdef", chunk_size=2, chunk_delay=0.1))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url_for("/slow"), timeout=0.1)
    started = time.perf_counter()
    assert httpx.get(server.url_for("/trickle")).text == "abcdef"
    assert time.perf_counter() - started >= 0.18  # two pauses between three chunks


def test_reset_mid_body_and_garbage(loopback_server: Factory) -> None:
    server = loopback_server()
    server.route("/reset", Reply(body="x" * 10_000, reset_after=100))
    server.route("/garbage", Reply(raw=b"\x00\xffnot http at all\r\n\r\n"))
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url_for("/reset"))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.url_for("/garbage"))


def test_body_without_content_length_ends_at_close(loopback_server: Factory) -> None:
    server = loopback_server()
    server.route("/eof", Reply(body="until close", content_length=False))
    response = httpx.get(server.url_for("/eof"))
    assert response.text == "until close" and "content-length" not in response.headers


async def test_keeps_serving_while_the_event_loop_is_blocked() -> None:
    async with LoopbackServer() as server:
        server.route("/x", Reply(body="ok"))
        with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
            sock.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):  # blocking call inside a coroutine, on purpose
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"ok")
        async with httpx.AsyncClient() as client:
            answers = await asyncio.gather(*(client.get(server.url_for("/x")) for _ in range(5)))
        assert [a.text for a in answers] == ["ok"] * 5
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url


def test_two_servers_are_independent_and_stop_cleanly() -> None:
    with LoopbackServer() as one, LoopbackServer() as two:
        one.route("/a", Reply(body="one"))
        assert one.port != two.port
        assert httpx.get(two.url_for("/a")).status_code == 404
        assert httpx.get(one.url_for("/a")).text == "one"
        address = one.url_for("/a")
    with pytest.raises(httpx.ConnectError):
        httpx.get(address)


def test_head_requests_get_headers_only(loopback_server: Factory) -> None:
    server = loopback_server()
    server.route("/h", Reply(body="12345"))
    response = httpx.head(server.url_for("/h"))
    assert response.headers["content-length"] == "5" and response.content == b""


def test_bind_loopback_sockets_say_they_are_tcp() -> None:
    """asyncio turns on TCP_NODELAY for accepted connections only then (40 ms per response)."""
    import socket

    from orchestrator.serve import bind_loopback

    sock = bind_loopback()
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
