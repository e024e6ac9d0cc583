"""Config entries ``{"scripts": [...], "styles": [...], "html": "..."}`` and style embedding."""

from __future__ import annotations

from collections.abc import Iterator

import lxml.html
import pytest
from lxml import etree

from orchestrator.errors import EntryLoadError, EntrySyntaxError
from orchestrator.html_entry import EntryLoader
from orchestrator.testing import LoopbackServer, Reply


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        running.route("/umi.css", Reply(body="body{color:red}", content_type="text/css"))
        running.route("/test.css", Reply(body=".t{}", content_type="text/css"))
        running.route("/umi.js", Reply(body="var umi;", content_type="text/javascript"))
        running.route("/main.py", Reply(body="def mount(props): pass\n"))
        yield running


def render(nodes: list[etree._Element]) -> str:
    return "".join(lxml.html.tostring(n, encoding="unicode") for n in nodes)


async def test_p22_styles_before_html_scripts_after_last_is_entry(server: LoopbackServer) -> None:
    umi_css, test_css = server.url_for("umi.css"), server.url_for("test.css")
    umi_js, main_py = server.url_for("umi.js"), server.url_for("main.py")
    async with EntryLoader() as loader:
        entry = await loader.import_entry(
            {
                "styles": [umi_css, test_css],
                "scripts": [umi_js, main_py],
                "html": "<main>config entry test</main>",
            }
        )
        assert entry.url is None and entry.asset_public_path == "/"
        assert entry.template == (
            "<qiankun-head></qiankun-head>"
            f"<!--  link {umi_css} replaced by import-html-entry -->"
            f"<!--  link {test_css} replaced by import-html-entry -->"
            "<main>config entry test</main>"
            f"<!--   script {umi_js} replaced by import-html-entry -->"
            f"<!--   script {main_py} replaced by import-html-entry -->"
        )
        assert entry.entry_script is not None and entry.entry_script.src == main_py
        assert entry.entry_script.is_python
        assert await entry.get_external_scripts() == ["var umi;", "def mount(props): pass\n"]
        embedded = render(await entry.embedded_fragment())
        assert (
            f"<style>/* {umi_css} */body{{color:red}}</style><style>/* {test_css} */.t{{}}</style>"
            "<main>config entry test</main>"
        ) in embedded


async def test_p23_inline_style_and_script_strings() -> None:
    async with EntryLoader() as loader:
        entry = await loader.import_entry(
            {
                "styles": ["<style>body {color: #fff}</style>"],
                "scripts": ['<script type="text/python">window.x = 1</script>'],
                "html": "<main>config entry test</main>",
            }
        )
        assert entry.template == (
            "<qiankun-head></qiankun-head><style>body {color: #fff}</style>"
            "<main>config entry test</main><!-- inline scripts replaced by import-html-entry -->"
        )
        assert await entry.get_external_style_sheets() == ["body {color: #fff}"]
        assert await entry.get_external_scripts() == ["window.x = 1"]
        assert entry.scripts[0].is_python


async def test_relative_config_urls_use_get_public_path(server: LoopbackServer) -> None:
    async with EntryLoader() as loader:
        entry = await loader.import_entry(
            {"scripts": ["umi.js"]}, get_public_path=lambda _entry: server.url
        )
        assert entry.asset_public_path == server.url
        assert await entry.get_external_scripts() == ["var umi;"]
        with pytest.raises(EntrySyntaxError, match=r"cannot resolve 'umi\.js'"):
            await loader.import_entry({"scripts": ["umi.js"]})


async def test_config_entries_are_cached_by_content() -> None:
    async with EntryLoader() as loader:
        config = {"scripts": [], "styles": [], "html": "<p>x</p>"}
        first = await loader.import_entry(config)
        assert await loader.import_entry(dict(config)) is first
        assert await loader.import_entry({**config, "html": "<p>y</p>"}) is not first


async def test_style_texts_must_match_the_styles(server: LoopbackServer) -> None:
    async with EntryLoader() as loader:
        entry = await loader.import_entry({"styles": [server.url_for("umi.css")]})
        with pytest.raises(ValueError, match="expected 1 style texts, got 0"):
            entry.template_fragment([])


async def test_p30_a_failed_stylesheet_keeps_its_placeholder_when_not_strict(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    good, missing = server.url_for("umi.css"), server.url_for("missing.css")
    async with EntryLoader() as loader:
        entry = await loader.import_entry({"styles": [good, missing], "html": "<p>x</p>"})
        with pytest.raises(EntryLoadError, match="404"):
            await entry.embedded_fragment()
        html = render(await entry.embedded_fragment(strict=False))
    assert f"<style>/* {good} */body{{color:red}}</style>" in html
    assert f"<!--  link {missing} replaced by import-html-entry -->" in html
    assert "missing.css" in caplog.text


async def test_control_characters_in_css_do_not_break_embedding(server: LoopbackServer) -> None:
    server.route("/ctl.css", Reply(body="a{b:c}\x01", content_type="text/css"))
    async with EntryLoader() as loader:
        entry = await loader.import_entry({"styles": [server.url_for("ctl.css")]})
        html = render(await entry.embedded_fragment())
    assert "a{b:c}</style>" in html


async def test_config_script_tags_read_like_page_script_tags() -> None:
    page = '<script src="http://a.test/x.js" crossorigin async entry></script>'
    async with EntryLoader(fetch=lambda url: _page(page)) as loader:
        from_page = (await loader.import_entry("http://a.test/index.html")).scripts[0]
        from_config = (await loader.import_entry({"scripts": [page], "html": ""})).scripts[0]
    assert from_page.crossorigin == from_config.crossorigin == "anonymous"
    assert from_page.is_async and from_config.is_async
    assert from_page.is_entry and not from_config.is_entry  # a config entry's last script is


async def _page(html: str) -> str:
    return f"<html><body>{html}</body></html>"
