"""Extraction rules of import-html-entry's processTpl, on pages served over real HTTP.

Scenario ids (P1…) refer to shared/reference/qiankun-behaviour.md §7.1.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import lxml.html
import pytest

from orchestrator.errors import EntrySyntaxError
from orchestrator.html_entry import EntryLoader, ImportedEntry, import_entry
from orchestrator.testing import LoopbackServer, Reply

_paths = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


async def load(server: LoopbackServer, html: str, name: str = "index.html") -> ImportedEntry:
    """Serve ``html`` at a fresh ``/pN/<name>`` and import it."""
    path = f"/p{next(_paths)}/{name}"
    server.route(path, Reply(body=html))
    async with EntryLoader() as loader:
        return await loader.import_entry(server.url_for(path))


def origin(server: LoopbackServer) -> str:
    return server.url.rstrip("/")


async def test_p1_root_relative_script_is_the_entry(server: LoopbackServer) -> None:
    entry = await load(server, '<script src="/umi.js"></script>')
    url = f"{origin(server)}/umi.js"
    assert [s.src for s in entry.scripts] == [url]
    assert f"<!--   script {url} replaced by import-html-entry -->" in entry.template
    assert entry.entry_script is not None and entry.entry_script.src == url
    assert "<script" not in entry.template


async def test_p2_protocol_relative_url_takes_the_page_scheme(server: LoopbackServer) -> None:
    entry = await load(server, '<script src="//gw.alipayobjects.com/as/nav.min.js"></script>')
    assert entry.scripts[0].src == "http://gw.alipayobjects.com/as/nav.min.js"


async def test_p3_entry_attribute_wins_and_order_is_kept(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<script src="/a.js"></script><script src="//a.com/umi.js" entry></script>'
        '<script src="/comment.js"></script>',
    )
    assert [s.src for s in entry.scripts] == [
        f"{origin(server)}/a.js",
        "http://a.com/umi.js",
        f"{origin(server)}/comment.js",
    ]
    assert entry.entry_script == entry.scripts[1] and entry.scripts[1].is_entry
    last = await load(server, '<script src="/a.js"></script><script src="/comment.js"></script>')
    assert last.entry_script is not None and last.entry_script.src == f"{origin(server)}/comment.js"


async def test_p4_two_entry_scripts_are_an_error_naming_both(server: LoopbackServer) -> None:
    with pytest.raises(EntrySyntaxError) as caught:
        await load(server, '<script src="/one.js" entry></script><script entry>go()</script>')
    message = str(caught.value)
    assert "one.js" in message and "inline: go()" in message
    assert caught.value.url.endswith("/index.html")


async def test_p5_inline_script_kept_with_placeholder(server: LoopbackServer) -> None:
    code = '\n  window.routerBase = "/";\n'
    entry = await load(server, f"<div id=app></div><script data-test>{code}</script>")
    (script,) = entry.scripts
    assert script.src is None and script.content == code and script.attrs["data-test"] == ""
    assert "<!-- inline scripts replaced by import-html-entry -->" in entry.template
    assert entry.entry_script == script


@pytest.mark.parametrize(
    "tag",
    [
        "<script>\n  // only a comment\n\n  // another\n</script>",
        "<script></script>",
        '<script src=""></script>',
        '<script type="text/python">\n  # nothing but a comment\n</script>',
    ],
)
async def test_p6_empty_or_comment_only_inline_scripts_are_dropped(
    server: LoopbackServer, tag: str
) -> None:
    entry = await load(server, tag)
    assert entry.scripts == () and entry.entry_script is None
    assert "<!-- inline scripts replaced by import-html-entry -->" in entry.template


async def test_p7_p8_async_and_crossorigin(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<script src="/test-async.js" async></script>'
        '<script src="/test-cors.js" crossorigin="use-credentials"></script>'
        '<script src="/anon.js" crossorigin></script>',
    )
    base = origin(server)
    aasync, cors, anon = entry.scripts
    assert aasync.is_async and aasync.kind == "async" and aasync.crossorigin is None
    assert cors.crossorigin == "use-credentials" and not cors.is_async
    assert anon.crossorigin == "anonymous"
    template = entry.template
    assert f"<!--  async script {base}/test-async.js replaced by import-html-entry -->" in template
    assert f"<!-- cors  script {base}/test-cors.js replaced by import-html-entry -->" in template
    assert f"<!--   script {base}/anon.js replaced by import-html-entry -->" in template


async def test_p9_module_kept_nomodule_ignored_like_a_modern_browser(
    server: LoopbackServer,
) -> None:
    entry = await load(
        server,
        '<script type="module" src="/m.js"></script><script nomodule src="/legacy.js"></script>'
        "<script nomodule>legacy()</script>",
    )
    base = origin(server)
    (module,) = entry.scripts
    assert module.src == f"{base}/m.js" and module.is_module and module.kind == "module"
    assert (
        f"<!--   script {base}/m.js replaced by import-html-entry -->"
        f"<!-- nomodule script {base}/legacy.js ignored by import-html-entry -->"
        "<!-- nomodule script js file ignored by import-html-entry -->"
    ) in entry.template


async def test_p10_unknown_script_types_stay_verbatim(server: LoopbackServer) -> None:
    html = (
        '<script src="/test-type.json" type="test"></script>'
        '<script type="systemjs-importmap">{"a": 1}</script>'
        '<script type="text/template"><div>{{x}}</div></script>'
        '<script type="importmap">{"imports": {}}</script>'
    )
    entry = await load(server, html)
    assert entry.scripts == ()
    assert '<script src="/test-type.json" type="test"></script>' in entry.template
    assert '<script type="systemjs-importmap">{"a": 1}</script>' in entry.template
    assert '<script type="text/template"><div>{{x}}</div></script>' in entry.template
    assert '<script type="importmap">{"imports": {}}</script>' in entry.template


async def test_p11_comments_and_conditional_comments_vanish(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<!-- <script src="/a1.js"></script>--><p>x</p>'
        '<!--[if lt IE 9]><script src="/ie.js"></script><![endif]-->'
        '<script>var s = "<!-- hi -->";</script>',
    )
    assert [s.content for s in entry.scripts] == ['var s = "<!-- hi -->";']
    assert "a1.js" not in entry.template and "ie.js" not in entry.template
    assert "<!--" not in entry.template.replace(
        "<!-- inline scripts replaced by import-html-entry -->", ""
    )


async def test_script_text_is_not_damaged_by_comment_removal(server: LoopbackServer) -> None:
    """import-html-entry turns ``"<!-- hi -->"`` inside a script into ``""``; a parser does not."""
    entry = await load(server, '<script>var s = "<!-- hi -->";</script>')
    assert entry.scripts[0].content == 'var s = "<!-- hi -->";'


async def test_p12_p15_stylesheets_quoted_or_not(server: LoopbackServer) -> None:
    entry = await load(
        server,
        "<link rel=stylesheet href=/umi.css>"
        "<link rel='stylesheet' href=\"/two.css\">"
        '<link href="rel.css" rel="STYLESHEET">'
        '<link rel="alternate stylesheet" href="/alt.css">'
        '<link rel="stylesheet">'
        "<script src=/umi.js></script>",
        name="cdn/index.html",
    )
    base = origin(server)
    cdn = entry.asset_public_path
    assert [s.href for s in entry.styles] == [f"{base}/umi.css", f"{base}/two.css", f"{cdn}rel.css"]
    assert f"<!--  link {base}/umi.css replaced by import-html-entry -->" in entry.template
    assert '<link rel="alternate stylesheet" href="/alt.css">' in entry.template
    assert entry.scripts[0].src == f"{base}/umi.js"


async def test_p13_entities_and_non_ascii_are_resolved(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<link rel="stylesheet" href="/escape-character&nbsp;.css?a=&amp;&b=2">'
        '<script src="/escape-character&amp;.js"></script>',
    )
    base = origin(server)
    assert entry.styles[0].href == f"{base}/escape-character%C2%A0.css?a=&&b=2"
    assert entry.scripts[0].src == f"{base}/escape-character&.js"


async def test_p14_preload_prefetch_dropped_fonts_and_icons_kept(server: LoopbackServer) -> None:
    font = '<link rel="preload" as="font" href="/static/fonts/iconfont.woff" crossorigin>'
    icon = '<link rel="shortcut icon" href="/favicon.ico">'
    modulepreload = '<link rel="modulepreload" href="/m.js">'
    entry = await load(
        server,
        '<link rel="prefetch" href="/a3-ie6-polyfill.js">'
        '<link rel="preload" href="/x.css" as="style">' + font + icon + modulepreload,
    )
    template = entry.template
    assert (
        "<!-- prefetch/preload link /a3-ie6-polyfill.js replaced by import-html-entry -->"
        in template
    )
    assert "<!-- prefetch/preload link /x.css replaced by import-html-entry -->" in template
    for kept in (icon, modulepreload):
        assert kept in template
    assert 'href="/static/fonts/iconfont.woff"' in template
    assert entry.styles == () and entry.scripts == ()


async def test_p16_ignore_attribute_on_every_kind(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<link rel="stylesheet" href="/umi.css" ignore>'
        "<style ignore>.a{}</style><style>.kept{}</style>"
        '<script src="/polyfill.js" ignore></script>'
        "<script ignore>alert(1)</script>"
        '<script src="app.js"></script>',
        name="cdn/index.html",
    )
    base = origin(server)
    template = entry.template
    assert f"<!-- ignore asset {base}/umi.css replaced by import-html-entry -->" in template
    assert f"<!-- ignore asset {base}/polyfill.js replaced by import-html-entry -->" in template
    assert "<!-- ignore asset js file replaced by import-html-entry -->" in template
    assert "<!-- ignore asset style file replaced by import-html-entry -->" in template
    assert "<style>.kept{}</style>" in template
    assert [s.src for s in entry.scripts] == [entry.asset_public_path + "app.js"]
    assert entry.entry_script == entry.scripts[0]


async def test_p17_an_ignored_entry_script_is_not_the_entry(server: LoopbackServer) -> None:
    """import-html-entry still reports an ignored ``entry`` script as the entry; we do not,
    since it never runs."""
    entry = await load(
        server, '<script src="e.js" entry ignore></script><script src="b.js"></script>'
    )
    assert entry.entry_script is not None and entry.entry_script.src.endswith("/b.js")  # type: ignore[union-attr]


async def test_p18_uppercase_tags_are_html_too(server: LoopbackServer) -> None:
    """import-html-entry misses ``<SCRIPT SRC>``/``<LINK REL HREF>``; HTML is case-insensitive."""
    entry = await load(server, '<SCRIPT SRC="up.js"></SCRIPT><LINK REL="stylesheet" HREF="up.css">')
    assert [s.src for s in entry.scripts] == [entry.asset_public_path + "up.js"]
    assert [s.href for s in entry.styles] == [entry.asset_public_path + "up.css"]


async def test_p19_trailing_inline_script_is_the_entry(server: LoopbackServer) -> None:
    entry = await load(server, '<script src="a.js"></script><script>window.app={}</script>')
    assert entry.entry_script is not None and entry.entry_script.content == "window.app={}"


async def test_python_scripts_are_marked(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<script type="text/python" src="main.py" entry></script>'
        '<script type="text/python">\nwindow.x = 1\n</script>',
    )
    main, inline = entry.scripts
    assert main.is_python and main.kind == "python" and main.type == "text/python"
    assert inline.is_python and inline.content == "\nwindow.x = 1\n"
    assert entry.entry_script == main


async def test_base_href_is_honoured_and_removed(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<head><base href="/assets/v2/"><link rel=stylesheet href="a.css"></head>'
        '<body><script src="../b.js"></script></body>',
    )
    base = origin(server)
    assert entry.base_url == f"{base}/assets/v2/"
    assert entry.styles[0].href == f"{base}/assets/v2/a.css"
    assert entry.scripts[0].src == f"{base}/assets/b.js"
    assert "<base" not in entry.template
    assert f"<!-- base {base}/assets/v2/ replaced by import-html-entry -->" in entry.template


async def test_head_becomes_qiankun_head_and_body_content_follows(server: LoopbackServer) -> None:
    entry = await load(
        server,
        "<!doctype html><html lang=en><head><title>T</title><style>p{}</style></head>"
        '<body class="x">lead<div id="root"></div>tail</body></html>',
    )
    assert entry.template == (
        "<qiankun-head><title>T</title><style>p{}</style></qiankun-head>"
        'lead<div id="root"></div>tail'
    )
    nodes = entry.template_fragment()
    assert [n.tag for n in nodes] == ["qiankun-head", "div"]
    assert nodes[0].tail == "lead" and nodes[1].tail == "tail"


async def test_template_fragment_is_a_fresh_copy_each_time(server: LoopbackServer) -> None:
    entry = await load(server, '<div id="root"><p>hi</p></div>')
    first = entry.template_fragment()
    first[1].set("id", "changed")
    first[1].append(lxml.html.fragment_fromstring("<b>added</b>"))
    second = entry.template_fragment()
    assert second[1].get("id") == "root" and len(second[1]) == 1
    assert first[1] is not second[1]


async def test_placeholder_comment_for_urls_with_double_hyphens(server: LoopbackServer) -> None:
    entry = await load(server, '<script src="/a--b.js"></script>')
    assert entry.scripts[0].src.endswith("/a--b.js")  # type: ignore[union-attr]
    assert "a-%2Db.js replaced by import-html-entry" in entry.template


async def test_integrity_attribute_is_recorded(server: LoopbackServer) -> None:
    entry = await load(
        server,
        '<link rel=stylesheet href=s.css integrity="sha256-abc">'
        '<script src=a.js integrity="sha384-def sha512-ghi"></script>',
    )
    assert entry.styles[0].integrity == "sha256-abc"
    assert entry.scripts[0].integrity == "sha384-def sha512-ghi"


async def test_empty_and_markup_free_pages(server: LoopbackServer) -> None:
    empty = await load(server, "")
    assert empty.template == "<qiankun-head></qiankun-head>" and empty.scripts == ()
    text = await load(server, "just words <b>and</b>")
    assert "just words" in text.template and "<b>and</b>" in text.template


async def test_get_template_hook_rewrites_the_page_before_parsing(server: LoopbackServer) -> None:
    path = f"/p{next(_paths)}/index.html"
    server.route(path, Reply(body="<div>__NAME__</div><script src=a.js></script>"))
    entry = await import_entry(
        server.url_for(path), get_template=lambda html: html.replace("__NAME__", "orders")
    )
    assert "<div>orders</div>" in entry.template and len(entry.scripts) == 1


async def test_an_unparseable_asset_url_is_a_clear_error(server: LoopbackServer) -> None:
    with pytest.raises(EntrySyntaxError, match=r"invalid URL 'http://\[oops/a\.js'"):
        await load(server, '<script src="http://[oops/a.js"></script>')


async def test_control_characters_are_dropped_not_fatal(server: LoopbackServer) -> None:
    entry = await load(server, '0\x1f<p>a\x00b\x0cc</p><script src="x\x01.js"></script>')
    assert "<p>abc</p>" in entry.template
    assert [s.src for s in entry.scripts] == [entry.asset_public_path + "x.js"]
