"""Error pages name the app and a status, never internal URLs or exception text (DESIGN §5);
a session cookie of any bytes that we did not sign is no cookie."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from orchestrator.asgi import ComposeApp
from orchestrator.config import AppConfig, ComposeConfig
from orchestrator.serve import LoopbackASGIServer
from orchestrator.testing import LoopbackServer, Reply

_SHELL = "<html><body><h1>Shell</h1><div id='catalog'></div></body></html>"
_SECRET_QUERY = "token=s3cr3t-entry-token"


def _config(entry: str) -> ComposeConfig:
    app = AppConfig(name="catalog", container="#catalog", active_rule=("/catalog",), entry=entry)
    return ComposeConfig(shell_html=_SHELL, apps=(app,), options={"prefetch": False})


@pytest.fixture
async def down_upstream() -> AsyncIterator[str]:
    with LoopbackServer() as upstream:
        upstream.route("/catalog/", Reply(503, body="Traceback: secret internal detail"))
        yield upstream.url_for(f"/catalog/?{_SECRET_QUERY}")


async def test_502_names_the_app_and_status_and_logs_the_url_under_the_request_id(
    down_upstream: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = ComposeApp(_config(down_upstream), stream=False)
    caplog.set_level(logging.INFO, logger="orchestrator.asgi")
    async with (
        LoopbackASGIServer(app, lifespan="on") as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        response = await client.get("/catalog")
    assert response.status_code == 502
    body = response.text
    assert "catalog" in body and "502" in body
    for leak in ("127.0.0.1", _SECRET_QUERY, "503", "Traceback", "secret internal"):
        assert leak not in body, leak
    request_id = response.headers["x-request-id"]
    assert request_id in body
    logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert any("catalog" in line and _SECRET_QUERY in line for line in logged), logged


async def test_500_shows_no_exception_text_but_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    async def factory(loader: Any, url: str) -> Any:
        raise RuntimeError("db password is hunter2 at http://10.0.0.5:5432/")

    app = ComposeApp(factory, loader=object())  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/")
    await app.aclose()
    assert response.status_code == 500
    assert "hunter2" not in response.text and "10.0.0.5" not in response.text
    assert "RuntimeError" not in response.text
    request_id = response.headers["x-request-id"]
    assert request_id in response.text
    assert any(
        request_id in r.getMessage() and r.exc_info and "hunter2" in str(r.exc_info[1])
        for r in caplog.records
    )


@pytest.mark.parametrize(
    "raw",
    [
        "mfe_session=caf\xe9.\xff\xfe".encode("latin-1"),  # non-ASCII bytes
        "mfe_session=\u00e9t\u00e9.abc".encode(),  # UTF-8 multi-byte
        b"mfe_session=x.y.z",  # wrong signature
        b"mfe_session=.",  # empty id
        b'mfe_session="\\x00\\\\";;;==',  # garbage quoting
        b"mfe_session=" + b"A" * 5000 + b".B",  # oversized
    ],
)
async def test_a_bad_cookie_of_any_bytes_is_treated_as_absent(raw: bytes) -> None:
    async def factory(loader: Any, url: str) -> Any:
        from orchestrator import Orchestrator

        tab = Orchestrator("<html><body><p id='ok'>hi</p></body></html>", url=url)
        await tab.start()
        return tab

    app = ComposeApp(factory, secret_key="k", loader=object())  # type: ignore[arg-type]
    async with (
        LoopbackASGIServer(app, lifespan="on") as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        response = await client.get("/", headers={"cookie": raw})  # type: ignore[dict-item]
    assert response.status_code == 200, response.text
    assert 'id="ok"' in response.text or "id='ok'" in response.text
