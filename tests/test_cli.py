"""The ``mfe`` command: each subcommand on real inputs (files, stdin, a loopback entry)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.testing import LoopbackServer, Reply

PAGE = """<!DOCTYPE html><html><head><link rel="stylesheet" href="app.css"></head>
<body><div id="root"></div><script type="text/python" src="main.py" entry></script>
<script src="vendor.js" async></script></body></html>"""


def test_scope_css_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "style.css"
    sheet.write_text("h1 { color: red }\nbody.dark .x { background: url(bg.png) }\n")
    status = main(
        ["scope-css", "--prefix", "#app", "--base-url", "http://cdn.test/css/", str(sheet)]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "#app h1 { color: red }" in out
    assert "#app.dark .x { background: url(http://cdn.test/css/bg.png) }" in out


def test_scope_css_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b".a, .b { margin: 0 }")))
    assert main(["scope-css", "--prefix", "P", "-"]) == 0
    assert capsys.readouterr().out == "P .a, P .b { margin: 0 }\n"


def test_scope_css_takes_the_options_of_python_m_css_scoper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One parser for both doors: ``--app`` works in ``mfe scope-css`` as in ``-m css_scoper``."""
    import css_scoper

    sheet = tmp_path / "app.css"
    sheet.write_text("body .x { color: red }", encoding="utf-8")
    assert main(["scope-css", "--app", "shop", str(sheet)]) == 0
    via_mfe = capsys.readouterr().out
    assert css_scoper.main(["--app", "shop", str(sheet)]) == 0
    assert capsys.readouterr().out == via_mfe
    assert via_mfe.startswith('div[data-qiankun="shop"] .x')


def test_scope_css_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scope-css", "--prefix", "P", "/no/such/file.css"]) == 1
    assert "/no/such/file.css" in capsys.readouterr().err


def test_inspect_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    with LoopbackServer() as server:
        server.route("/app/index.html", Reply(body=PAGE))
        url = server.url_for("/app/index.html")
        assert main(["inspect", url]) == 0
        table = capsys.readouterr().out
        assert server.url_for("/app/main.py") in table
        assert "python" in table
        assert main(["inspect", url, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["asset_public_path"] == server.url_for("/app/")
        assert data["entry_script"] == server.url_for("/app/main.py")
        assert [style["href"] for style in data["styles"]] == [server.url_for("/app/app.css")]


def test_inspect_a_failing_entry_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    with LoopbackServer() as server:
        server.route("/gone.html", Reply(404))
        assert main(["inspect", server.url_for("/gone.html")]) == 1
    err = capsys.readouterr().err
    assert "404" in err
    assert "/gone.html" in err
