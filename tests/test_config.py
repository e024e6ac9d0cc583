"""The TOML composition format: every key read, and each mistake reported on one line naming the
file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config import DEFAULT_APP_TIMEOUT, ConfigError, load_config

_SHELL = "<html><body><div id='main'></div></body></html>"


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "shell.html").write_text(_SHELL)
    path = tmp_path / "site.toml"
    path.write_text(body)
    return path


_APP = """
[[apps]]
name = "shop"
entry = "http://127.0.0.1:9/shop/"
container = "#main"
active_rule = "/shop"
"""


def test_every_serving_key_is_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """shell = "shell.html"
trusted_origins = ["https://apps.example"]
asset_origins = ["https://cdn.example"]
stream = false
deadline = 2.5
identity_key = "account"
"""
        + _APP
        + """timeout = 0.5
fallback = "<p>resting</p>"
primary = true
keep_alive = true
""",
    )
    config = load_config(path)
    assert config.trusted_origins == ("https://apps.example",)
    assert config.asset_origins == ("https://cdn.example",)
    assert config.stream is False and config.deadline == 2.5 and config.identity_key == "account"
    (app,) = config.apps
    assert (app.timeout, app.fallback, app.primary, app.keep_alive) == (
        0.5,
        "<p>resting</p>",
        True,
        True,
    )
    assert app.fallback_url is None


def test_defaults_are_tailors(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, 'shell = "shell.html"\n' + _APP))
    (app,) = config.apps
    assert app.timeout == DEFAULT_APP_TIMEOUT == 3.0
    assert not app.primary and app.fallback is None
    assert config.stream is True and config.deadline is None and config.identity_key == "user"
    assert config.trusted_origins is None and config.asset_origins is None
    assert "keep_alive" not in app.registration()
    assert app.kind == "qiankun"


@pytest.mark.parametrize(
    ("extra", "key", "expected"),
    [
        ("timeout = 'soon'", "timeout", "must be a positive number (seconds), got a string"),
        ("timeout = 0", "timeout", "must be a positive number (seconds), got a number (0)"),
        ("timeout = true", "timeout", "got a boolean"),
        ("primary = 'yes'", "primary", "must be a boolean, got a string ('yes')"),
        ("fallback = 3", "fallback", "must be a string (HTML or a URL), got a number (3)"),
        ("container = 1", "container", "must be a string (a CSS selector), got a number (1)"),
        ("colour = 'red'", "colour", "unknown key"),
        ("kind = 'wujie'", "kind", "must be one of ['qiankun', 'garfish'], got a string ('wujie')"),
    ],
)
def test_an_app_key_of_the_wrong_type_is_one_line_naming_file_key_and_type(
    tmp_path: Path, extra: str, key: str, expected: str
) -> None:
    body = 'shell = "shell.html"\n' + _APP
    if extra.startswith("container"):
        body = body.replace('container = "#main"\n', "")
    path = _write(tmp_path, body + extra + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: app 'shop', key '{key}': ")
    assert expected in message


@pytest.mark.parametrize(
    ("top", "key", "expected"),
    [
        ("trusted_origins = 'x'", "trusted_origins", "must be a string or an array of strings"),
        ("asset_origins = [1]", "asset_origins", "an array of strings, got an array"),
        ("stream = 1", "stream", "must be a boolean, got a number (1)"),
        ("deadline = -1", "deadline", "must be a positive number (seconds)"),
        ("identity_key = ''", "identity_key", "must be a non-empty string"),
        ("global_state = 3", "global_state", "must be a table, got a number (3)"),
    ],
)
def test_a_top_level_key_of_the_wrong_type_is_one_line(
    tmp_path: Path, top: str, key: str, expected: str
) -> None:
    path = _write(tmp_path, f'shell = "shell.html"\n{top}\n' + _APP)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: key '{key}': ")
    assert expected in message


def test_a_fallback_url_is_told_apart_from_html(tmp_path: Path) -> None:
    body = 'shell = "shell.html"\n' + _APP + 'fallback = "https://cdn.example/fb.html"\n'
    (app,) = load_config(_write(tmp_path, body)).apps
    assert app.fallback_url == "https://cdn.example/fb.html"


def test_tailor_fragment_tags_become_app_slots(tmp_path: Path) -> None:
    (tmp_path / "shell.html").write_text(
        "<html><body>"
        '<fragment id="header" src="http://127.0.0.1:9/header/" timeout="500"></fragment>'
        '<fragment src="http://127.0.0.1:9/content/" primary async public '
        "fallback-src='http://127.0.0.1:9/fallback.html'/>"
        "<fragment-list>kept</fragment-list>"
        "</body></html>"
    )
    path = tmp_path / "site.toml"
    path.write_text('shell = "shell.html"\n')
    config = load_config(path)
    header, content = config.apps
    assert (header.name, header.entry, header.timeout, header.primary) == (
        "header",
        "http://127.0.0.1:9/header/",
        0.5,
        False,
    )
    assert header.layout and header.active_rule == ("/",)
    assert content.name == "fragment-1" and content.primary and content.timeout == 3.0
    assert content.fallback_url == "http://127.0.0.1:9/fallback.html"
    assert '<div data-mfe-fragment="header"></div>' in config.shell_html
    assert "<fragment " not in config.shell_html and "<fragment-list>kept" in config.shell_html


@pytest.mark.parametrize(
    ("tag", "key", "expected"),
    [
        ("<fragment></fragment>", "fragment[0].src", "must be an http(s) URL, got ''"),
        ('<fragment src="http://a/" timeout="soon">', "fragment[0].timeout", "milliseconds"),
        ('<fragment src="http://a/" fallback-src="x">', "fragment[0].fallback-src", "http(s)"),
    ],
)
def test_a_bad_fragment_tag_is_one_line(tmp_path: Path, tag: str, key: str, expected: str) -> None:
    (tmp_path / "shell.html").write_text(f"<html><body>{tag}</body></html>")
    path = tmp_path / "site.toml"
    path.write_text('shell = "shell.html"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: key '{key}': ") and expected in str(caught.value)


def test_remotes_are_read_and_checked(tmp_path: Path) -> None:
    (tmp_path / "widgets").mkdir()
    (tmp_path / "shell.html").write_text("<html><body><main id=m></main></body></html>")
    base = 'shell = "shell.html"\n[[apps]]\nname = "a"\n'
    base += 'entry = "http://127.0.0.1:9/"\ncontainer = "#m"\nactive_rule = "/a"\n'
    good = tmp_path / "good.toml"
    good.write_text(
        base + '[[remotes]]\nname = "widgets"\ndir = "widgets"\n'
        'expose = ["./P=p.py"]\nshared = ["money@^1.0"]\nsingletons = ["money"]\n',
        encoding="utf-8",
    )
    [remote] = load_config(good).remotes
    assert (remote.name, remote.dir, remote.expose) == (
        "widgets",
        tmp_path / "widgets",
        ("./P=p.py",),
    )
    for body, key in (
        ('[[remotes]]\nname = "w"\n', "remotes.entry"),
        ('[[remotes]]\nname = "w"\nentry = "ftp://x/"\n', "remotes.entry"),
        ('[[remotes]]\nname = "w"\ndir = "nowhere"\n', "remotes.dir"),
        ('[[remotes]]\nname = "w"\nentry = "http://x/"\nport = 1\n', "remotes.port"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(base + body, encoding="utf-8")
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(bad)
