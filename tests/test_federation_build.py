"""``mfe federation build``: a folder → mf-manifest.json, the modules zip, the .pyi stubs zip."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

from orchestrator.cli import main as mfe
from orchestrator.federation import FederationError, semver
from orchestrator.federation._archive import check_integrity, read_zip
from orchestrator.federation._manifest import parse_manifest
from orchestrator.federation.build import (
    FederationBuildError,
    build_remote_dir,
    check_range,
    parse_expose,
    parse_shared,
)

PRICE = '''"""Formats cents as a price."""
from . import currency


def format_price(cents: int, *, sign: str = currency.SIGN) -> str:
    return f"{sign}{cents / 100:.2f}"


class Formatter:
    def __init__(self, sign: str) -> None:
        self.sign = sign

    def __call__(self, cents: int) -> str:
        return format_price(cents, sign=self.sign)
'''


@pytest.fixture
def remote_dir(tmp_path: Path) -> Path:
    source = tmp_path / "widgets"
    (source / "ui").mkdir(parents=True)
    (source / "price.py").write_text(PRICE)
    (source / "currency.py").write_text('SIGN = "€"\n')
    (source / "money.py").write_text('__version__ = "1.4.0"\ncount = 0\n')
    (source / "ui" / "__init__.py").write_text("from .badge import badge as badge\n")
    (source / "ui" / "badge.py").write_text("def badge(text: str) -> str:\n    return text\n")
    (source / "README.md").write_text("not a module\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "stale.py").write_text("raise SystemExit\n")
    (source / "pyproject.toml").write_text('[project]\nname = "widgets"\nversion = "2.1.0"\n')
    return source


def _zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_build_writes_the_manifest_the_modules_zip_and_the_stubs(remote_dir: Path) -> None:
    built = build_remote_dir(
        remote_dir,
        name="widgets",
        exposes=["./PriceFormatter=price.py", "./Ui=ui"],
        shared=["money@^1.2"],
        singletons=["money"],
    )
    assert built.out == remote_dir / "dist"
    assert sorted(p.name for p in built.out.iterdir()) == sorted(
        ["mf-manifest.json", built.entry_path.name, built.types_path.name]  # type: ignore[union-attr]
    )
    raw = json.loads(built.manifest_path.read_text())
    assert raw["metaData"]["buildInfo"]["buildVersion"] == "2.1.0"  # from pyproject.toml
    manifest = parse_manifest(
        built.manifest_path.read_bytes(),
        remote="widgets",
        url="http://127.0.0.1:1/w/mf-manifest.json",
    )
    assert [(e.path, e.module) for e in manifest.exposes] == [
        ("./PriceFormatter", "price"),
        ("./Ui", "ui"),
    ]
    [money] = manifest.shared
    assert (money.name, money.version, money.singleton, money.required_version, money.module) == (
        "money",
        "1.4.0",  # its own __version__
        True,
        "^1.2",
        "money",
    )
    assert manifest.entry_url == f"http://127.0.0.1:1/w/{built.entry_path.name}"
    # the modules zip: every importable .py, nothing else, and its integrity is right
    body = built.entry_path.read_bytes()
    check_integrity(body, manifest.entry_integrity, remote="widgets", url="-")
    assert sorted(read_zip(body, remote="widgets", url="-")) == [
        "currency.py",
        "money.py",
        "price.py",
        "ui/__init__.py",
        "ui/badge.py",
    ]
    # the stubs zip: stubgen's .pyi under the remote's name, with its own integrity
    assert manifest.types_url == f"http://127.0.0.1:1/w/{built.types_path.name}"  # type: ignore[union-attr]
    assert manifest.types_integrity is not None and built.types_path is not None
    check_integrity(built.types_path.read_bytes(), manifest.types_integrity, remote="w", url="-")
    stubs = _zip(built.types_path)
    assert sorted(stubs) == [
        "widgets/__init__.pyi",
        "widgets/currency.pyi",
        "widgets/money.pyi",
        "widgets/price.pyi",
        "widgets/ui/__init__.pyi",
        "widgets/ui/badge.pyi",
    ]
    price = stubs["widgets/price.pyi"].decode()
    assert "def format_price(cents: int, *, sign: str = ...) -> str: ..." in price
    assert "def __call__(self, cents: int) -> str: ..." in price
    assert "SIGN: str" in stubs["widgets/currency.pyi"].decode()


def test_same_sources_same_bytes_and_a_change_renames_the_zip(
    remote_dir: Path, tmp_path: Path
) -> None:
    first = build_remote_dir(remote_dir, tmp_path / "a", name="widgets", exposes=["./P=price.py"])
    again = build_remote_dir(remote_dir, tmp_path / "b", name="widgets", exposes=["./P=price.py"])
    assert first.build.zip_bytes == again.build.zip_bytes
    assert first.manifest == again.manifest
    (remote_dir / "currency.py").write_text('SIGN = "$"\n')
    changed = build_remote_dir(remote_dir, tmp_path / "a", name="widgets", exposes=["./P=price.py"])
    assert changed.entry_path.name != first.entry_path.name
    assert json.loads(changed.manifest_path.read_text())["metaData"]["remoteEntry"]["name"] == (
        changed.entry_path.name
    )


def test_the_output_folder_inside_the_source_is_not_zipped(remote_dir: Path) -> None:
    build_remote_dir(remote_dir, name="widgets", exposes=["./P=price.py"], version="1.0.0")
    (remote_dir / "dist" / "leftover.py").write_text("x = 1\n")
    built = build_remote_dir(remote_dir, name="widgets", exposes=["./P=price.py"], version="1.0.1")
    names = read_zip(built.build.zip_bytes, remote="widgets", url="-")
    assert not any(name.startswith("dist/") for name in names)
    assert built.manifest["metaData"]["buildInfo"]["buildVersion"] == "1.0.1"


def test_no_types_needs_no_mypy(remote_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mypy", None)  # import mypy now raises ImportError
    with pytest.raises(FederationBuildError, match=r"pip install 'mfe-orchestrator\[federation\]'"):
        build_remote_dir(remote_dir, name="widgets", exposes=["./P=price.py"])
    assert not (remote_dir / "dist").exists()  # nothing written
    built = build_remote_dir(remote_dir, name="widgets", exposes=["./P=price.py"], types=False)
    assert built.types_path is None
    assert built.manifest["metaData"]["types"]["zip"] == ""
    assert (
        parse_manifest(built.manifest_path.read_bytes(), remote="w", url="http://h/").types_url
        is None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("./Counter=counter.py", ("./Counter", "counter.py")),
        (" ./ui/Badge = ui/badge.py ", ("./ui/Badge", "ui/badge.py")),
    ],
)
def test_parse_expose(text: str, expected: tuple[str, str]) -> None:
    assert parse_expose(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Counter=counter.py", "./Counter", "./Counter=", "=counter.py", "./=x.py", "./a b=x.py"],
)
def test_a_bad_expose_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(FederationBuildError, match="--expose") as caught:
        parse_expose(text, remote="widgets")
    assert caught.value.remote == "widgets" and isinstance(caught.value, FederationError)


@pytest.mark.parametrize(
    "good", ["^1.2.0", "~1.2", ">=1 <2", "1.x", "*", "1.2.3 - 2", ">= 1.2", "^1 || ~2.3", "!2.3",
             "=1.2.3-beta.1", "<4.5-beta.14", "(^1 || ^2) >=1.5", "2.beta", "^2.3.4.test",
             ">=3.4 not(~3.4)", ">=1.2.3 (<3.2.1 || =3.2.1)"],
)  # fmt: skip
def test_ranges_in_webpacks_grammar_pass(good: str) -> None:
    """Including what range_to_string prints (``not(...)``), so a printed range builds."""
    assert check_range(good) == good
    semver.parse_range(good)  # and webpack's parser reads them


@pytest.mark.parametrize("bad", ["", " ", "abc", ">>1", "1.x.%", "foo bar", "^1 ||", "1 - 2 - 3",
                                 "^1 - 2", "latest"])  # fmt: skip
def test_a_bad_range_is_refused(bad: str) -> None:
    with pytest.raises(FederationBuildError, match="is not a version range") as caught:
        parse_shared(f"money@{bad}", remote="widgets")
    assert caught.value.key == "money"


def test_parse_shared() -> None:
    assert parse_shared("money") == ("money", None)
    assert parse_shared("money@^1.0") == ("money", "^1.0")
    assert parse_shared("pkg.sub@~2") == ("pkg.sub", "~2")
    for bad in ("@^1", "my-money", "1money", "a..b"):
        with pytest.raises(FederationBuildError, match="expected a module name"):
            parse_shared(bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exposes": ["./P=nope.py"]}, r"expose './P', file 'nope.py': no such file"),
        ({"exposes": ["./P=../outside.py"]}, "is outside the folder"),
        ({"exposes": ["./P=README.md"]}, "not an importable module path"),
        ({"exposes": ["./P=price.py", "./P=currency.py"]}, "exposed twice"),
        ({"shared": ["nope"]}, r"shared 'nope': no nope.py or nope/__init__.py"),
        ({"shared": ["money", "money@^1"]}, "shared twice"),
        ({"exposes": ["./P=price.py"], "singletons": ["money"]}, "is not --shared"),
        ({}, "nothing to publish"),
        ({"exposes": ["./P=price.py"], "name": "bad name"}, "--name must be"),
    ],
)
def test_bad_input_names_what_and_writes_nothing(
    remote_dir: Path, kwargs: dict[str, object], message: str
) -> None:
    options: dict[str, object] = {"name": "widgets", "types": False, **kwargs}
    with pytest.raises(FederationBuildError, match=message):
        build_remote_dir(remote_dir, **options)  # type: ignore[arg-type]
    assert not (remote_dir / "dist").exists()


def test_a_module_that_does_not_compile_is_named_with_its_line(remote_dir: Path) -> None:
    (remote_dir / "broken.py").write_text("x = 1\ndef f(:\n")
    with pytest.raises(
        FederationBuildError, match=r"file 'broken.py': does not compile \(line 2\)"
    ):
        build_remote_dir(remote_dir, name="widgets", exposes=["./P=price.py"], types=False)


def test_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FederationBuildError, match="is not a folder"):
        build_remote_dir(tmp_path / "nope", name="widgets", exposes=["./P=p.py"])


def test_mfe_federation_build_prints_what_it_wrote(
    remote_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status = mfe(
        ["federation", "build", str(remote_dir), "--name", "widgets", "--expose",
         "./PriceFormatter=price.py", "--shared", "money@^1.0", "--singleton", "money",
         "--version", "3.0.0", "--out", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0
    manifest = json.loads((out / "mf-manifest.json").read_text())
    assert manifest["metaData"]["buildInfo"]["buildVersion"] == "3.0.0"
    assert manifest["metaData"]["remoteEntry"]["integrity"] in printed
    assert manifest["metaData"]["types"]["integrity"] in printed
    assert "expose ./PriceFormatter → price.py" in printed
    assert "shared singleton money 1.4.0 (required ^1.0)" in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expose", "Counter=price.py"], "the exposed name must look like ./Counter"),
        (["--expose", "./P=missing.py"], "no such file"),
        (["--expose", "./P=price.py", "--shared", "money@>>1"], "'>>1' is not a version range"),
    ],
)
def test_mfe_federation_build_errors_exit_1_on_stderr(
    remote_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status = mfe(["federation", "build", str(remote_dir), "--name", "widgets", "--no-types", *args])
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    assert captured.err.startswith("mfe federation build: remote 'widgets'")
    assert message in captured.err


def test_mfe_federation_needs_a_name(remote_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        mfe(["federation", "build", str(remote_dir), "--expose", "./P=price.py"])
    assert caught.value.code == 2
    assert "--name" in capsys.readouterr().err
