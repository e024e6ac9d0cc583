"""Two keys of the TOML composition: ``not_found`` (a shell-styled 404 page) and exact paths in
``active_rule`` (``{ path = "/", exact = true }``, single-spa's ``exactMatch``), each mistake on
one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.activity import PathActivity
from orchestrator.config import ConfigError, load_config

_SHELL = (
    "<html><body><div id='header'></div>"
    "<main data-mfe-not-found><div id='main'></div></main></body></html>"
)
_APP = """
[[apps]]
name = "shop"
entry = "http://127.0.0.1:9/shop/"
container = "#main"
"""


def _write(tmp_path: Path, body: str, shell: str = _SHELL) -> Path:
    (tmp_path / "shell.html").write_text(shell)
    (tmp_path / "missing.html").write_text("<p class='gone'>No page at {{path}}</p>")
    path = tmp_path / "site.toml"
    path.write_text(body)
    return path


def test_not_found_reads_the_page_relative_to_the_config(tmp_path: Path) -> None:
    body = 'shell = "shell.html"\nnot_found = "missing.html"\n' + _APP + 'active_rule = "/shop"\n'
    config = load_config(_write(tmp_path, body))
    assert config.not_found_html == "<p class='gone'>No page at {{path}}</p>"


def test_without_not_found_the_page_is_the_bare_one(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, 'shell = "shell.html"\n' + _APP + 'active_rule = "/a"'))
    assert config.not_found_html is None


@pytest.mark.parametrize(
    ("line", "shell", "expected"),
    [
        ("not_found = 404", _SHELL, "must be a string (an HTML file), got a number (404)"),
        ('not_found = ""', _SHELL, "must be a string (an HTML file), got a string ('')"),
        ('not_found = "nowhere.html"', _SHELL, "cannot read "),
        (
            'not_found = "missing.html"',
            "<html><body><main id='main'></main></body></html>",
            "the shell has no element marked data-mfe-not-found to put missing.html into",
        ),
    ],
)
def test_not_found_mistakes_are_one_line_naming_file_and_key(
    tmp_path: Path, line: str, shell: str, expected: str
) -> None:
    path = _write(tmp_path, f'shell = "shell.html"\n{line}\n' + _APP + 'active_rule = "/a"', shell)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: key 'not_found': ") and "\n" not in message
    assert expected in message


def test_an_exact_path_matches_that_page_only(tmp_path: Path) -> None:
    body = (
        'shell = "shell.html"\n'
        + _APP
        + 'active_rule = [{ path = "/", exact = true }, "/shop", { path = "/deals" }]\n'
    )
    (app,) = load_config(_write(tmp_path, body)).apps
    assert app.active_rule == ("/shop", "/deals") and app.exact_rule == ("/",)
    served = app.registration()
    rules = served["active_rule"]
    assert isinstance(rules, list) and rules[:2] == ["/shop", "/deals"]
    (home,) = rules[2:]
    assert isinstance(home, PathActivity) and home.exact_match
    assert home("http://localhost/") and home("http://localhost/?q=1")
    assert not home("http://localhost/shop") and not home("http://localhost/elsewhere")


def test_an_app_on_one_exact_path_registers_that_rule_alone(tmp_path: Path) -> None:
    body = 'shell = "shell.html"\n' + _APP + 'active_rule = [{ path = "/", exact = true }]\n'
    (app,) = load_config(_write(tmp_path, body)).apps
    rule = app.registration()["active_rule"]
    assert isinstance(rule, PathActivity) and rule.path == "/" and rule.exact_match


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            '[{ path = "/", exactly = true }]',
            "a table must be { path = \"/...\", exact = true|false }, got key 'exactly'",
        ),
        ("[{ exact = true }]", "got path nothing"),
        ('[{ path = "/", exact = "yes" }]', "a table must be"),
        ('["/a", 3]', "must be a string, or an array of strings and { path, exact } tables"),
        ("[]", "needs at least one path"),
    ],
)
def test_active_rule_mistakes_name_the_app_and_key(
    tmp_path: Path, rule: str, expected: str
) -> None:
    path = _write(tmp_path, 'shell = "shell.html"\n' + _APP + f"active_rule = {rule}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: app 'shop', key 'active_rule': ")
    assert expected in message


def test_a_garfish_app_takes_prefixes_only(tmp_path: Path) -> None:
    body = (
        'shell = "shell.html"\n'
        + _APP
        + 'kind = "garfish"\nactive_rule = ["/shop", { path = "/", exact = true }]\n'
    )
    with pytest.raises(ConfigError, match="app 'shop', key 'active_rule': a Garfish app"):
        load_config(_write(tmp_path, body))
