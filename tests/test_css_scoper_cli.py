"""`mfe scope-css` as `css_scoper.main`: a real file, standard input, errors."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from css_scoper import app_prefix, main, scope_css_command

CSS = "body {margin: 0}\n.btn, .x .y {background: url(img/b.png)}\n@keyframes k {from {a: b}}\n"
P = 'div[data-qiankun="shop"]'
SCOPED = (
    f"{P} {{margin: 0}}\n{P} .btn, {P} .x .y {{background: url(img/b.png)}}\n"
    "@keyframes k {from {a: b}}\n"
)


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    path = tmp_path / "style.css"
    path.write_bytes(b"\xef\xbb\xbf" + CSS.encode())  # with a BOM, as editors write it
    return path


def test_scope_css_command_reads_a_file(sheet: Path) -> None:
    assert scope_css_command(P, None, str(sheet)) == SCOPED


def test_main_prints_the_scoped_file(sheet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--prefix", P, str(sheet)]) == 0
    assert capsys.readouterr().out == SCOPED


def test_main_with_app_name_and_base_url(sheet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--app", "shop", "--base-url", "http://cdn.test/s/main.css", str(sheet)]) == 0
    out = capsys.readouterr().out
    assert out == SCOPED.replace("url(img/b.png)", "url(http://cdn.test/s/img/b.png)")
    assert app_prefix("shop") == P


def test_main_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CSS.encode())))
    assert main(["--prefix", P, "-"]) == 0
    assert capsys.readouterr().out == SCOPED


def test_module_entry_point_with_a_real_pipe() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "css_scoper", "--prefix", P, "-"],
        input=CSS.encode(),
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == SCOPED


def test_missing_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.css"
    assert main(["--prefix", P, str(missing)]) == 1
    err = capsys.readouterr().err
    assert "nope.css" in err and "mfe scope-css" in err


def test_prefix_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["style.css"]) == 2
    assert "--prefix" in capsys.readouterr().err


def test_blank_prefix_is_rejected(sheet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--prefix", " ", str(sheet)]) == 2
    assert "non-empty" in capsys.readouterr().err


def test_prefix_and_app_together_are_rejected(
    sheet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--prefix", P, "--app", "shop", str(sheet)]) == 2
    err = capsys.readouterr().err
    assert "--app" in err and "not allowed with" in err


def test_blank_app_name_is_rejected(sheet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--app", "", str(sheet)]) == 2
    err = capsys.readouterr().err
    assert "--app must be a non-empty" in err and err.startswith("usage: mfe scope-css")


def test_missing_file_argument_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--app", "shop"]) == 2
    assert "FILE" in capsys.readouterr().err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--app" in out and "--prefix" in out and "--base-url" in out


def test_a_directory_is_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--app", "shop", str(tmp_path)]) == 1
    assert str(tmp_path) in capsys.readouterr().err


def test_app_name_with_quotes_is_escaped_in_the_prefix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(".a {b: c}"))
    assert main(["--app", 'we"ird', "-"]) == 0
    assert capsys.readouterr().out == 'div[data-qiankun="we\\"ird"] .a {b: c}\n'


def _module(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "css_scoper", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=30,
    )


def test_module_takes_the_same_options_as_mfe_scope_css() -> None:
    done = _module(
        "--app",
        "shop",
        "--base-url",
        "http://cdn.test/s/main.css",
        "-",
        stdin=b".btn {background: url(img/b.png)}",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == f"{P} .btn {{background: url(http://cdn.test/s/img/b.png)}}\n"


def test_module_usage_errors_exit_2_and_name_the_module() -> None:
    for args in (("-",), ("--prefix", P, "--app", "shop", "-"), ("--app", " ", "-")):
        done = _module(*args)
        assert done.returncode == 2, args
        assert done.stdout == b""
        assert b"python -m css_scoper" in done.stderr, done.stderr
