"""The headless page: parsing shells, CSS queries, fragments and verbatim serialisation."""

from __future__ import annotations

import lxml.html
import pytest
from lxml import etree

from orchestrator.dom import (
    DEFAULT_SHELL,
    Document,
    SelectorCache,
    inner_html,
    outer_html,
    parse_fragment,
    set_inner_html,
)

SHELL = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title> My   Shell </title>
<style>body > .x { color: red } a[href^="http"]::after { content: "<&>" }</style></head>
<body>
  <nav id="nav"><a class="link" href="/a">A</a><a class="link active" href="/b">B</a></nav>
  <main id="subapp-container"></main>
  <script>if (a < b && c > d) { document.write("</div>"); }</script>
</body>
</html>"""


def test_default_shell() -> None:
    document = Document()
    assert document.html == "<!DOCTYPE html>\n" + DEFAULT_SHELL.removeprefix("<!DOCTYPE html>")
    assert document.title == ""
    assert len(document.head) == 0 and len(document.body) == 0
    assert Document("   ").html == document.html


def test_full_shell_round_trips_script_and_style_text() -> None:
    document = Document(SHELL)
    html = document.html
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert 'if (a < b && c > d) { document.write("</div>"); }' in html
    assert 'body > .x { color: red } a[href^="http"]::after { content: "<&>" }' in html
    assert document.title == "My Shell"
    assert document.root.get("lang") == "en"
    assert Document(html).html == html


def test_fragment_shell_gets_head_and_body_and_an_html5_doctype() -> None:
    document = Document('<div id="root">hi</div>')
    assert document.html == (
        '<!DOCTYPE html>\n<html><head></head><body><div id="root">hi</div></body></html>'
    )
    assert document.head is not None and document.body is not None


def test_a_real_legacy_doctype_is_kept() -> None:
    legacy = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd">'
    assert Document(legacy + "<html><body></body></html>").html.startswith(legacy)


def test_title_setter_creates_or_updates() -> None:
    document = Document()
    document.title = "One"
    document.title = "Two & more"
    assert document.head.findall("title")[0].text == "Two & more"
    assert "<title>Two &amp; more</title>" in document.html
    assert document.title == "Two & more"


def test_queries() -> None:
    document = Document(SHELL)
    first = document.query_selector("#nav a.link")
    assert first is not None and first.get("href") == "/a"
    assert [a.text for a in document.query_selector_all("a.link")] == ["A", "B"]
    assert document.query_selector("a.active") is not None
    assert document.query_selector("A.ACTIVE") is None  # classes are case-sensitive
    assert document.query_selector("MAIN#subapp-container") is not None  # tags are not
    assert document.query_selector(".missing") is None
    assert document.query_selector_all(".missing") == []
    nav = document.get_element_by_id("nav")
    assert nav is not None and nav.tag == "nav"
    assert document.get_element_by_id("nope") is None
    assert [a.text for a in document.query_selector_all("a", within=nav)] == ["A", "B"]
    assert document.query_selector("main", within=nav) is None


@pytest.mark.parametrize("bad", ["p[", "a::", "#", "div >", ":not("])
def test_invalid_selector_names_itself(bad: str) -> None:
    with pytest.raises(
        ValueError, match=f"invalid CSS selector {bad!r}".replace("[", r"\[").replace("(", r"\(")
    ):
        Document().query_selector(bad)


def test_selector_cache_is_bounded_per_object() -> None:
    cache = SelectorCache(maxsize=2)
    first = cache.get("a")
    assert cache.get("a") is first
    cache.get("b")
    cache.get("a")
    cache.get("c")
    assert len(cache) == 2
    assert cache.get("a") is first  # "b" was the least recently used
    one, two = Document(), Document()
    one.query_selector("p")
    assert len(one.selectors) == 1 and len(two.selectors) == 0
    shared = SelectorCache()
    assert Document(selector_cache=shared).selectors is shared
    with pytest.raises(ValueError, match="at least 1"):
        SelectorCache(0)


def test_create_element_and_mount_into_the_page() -> None:
    document = Document(SHELL)
    wrapper = document.create_element("div", {"id": "w", "data-name": "app1"})
    assert isinstance(wrapper, lxml.html.HtmlElement)
    container = document.query_selector("#subapp-container")
    assert container is not None
    container.append(wrapper)
    assert document.query_selector('div[data-name="app1"]') is wrapper
    assert '<main id="subapp-container"><div id="w" data-name="app1"></div></main>' in document.html
    with pytest.raises(ValueError, match="cannot create element <bad tag>"):
        document.create_element("bad tag")


def test_parse_fragment_keeps_text_comments_and_order() -> None:
    nodes = parse_fragment("lead <b>x</b> mid<!-- script http://a/x.js replaced --><i>y</i>")
    assert nodes[0] == "lead "
    assert [getattr(n, "tag", None) for n in nodes[1:]] == ["b", etree.Comment, "i"]
    assert parse_fragment("") == []
    assert [n.tag for n in parse_fragment("<html><body><p>p</p></body></html>")] == ["p"]  # type: ignore[union-attr]


def test_set_inner_html_replaces_content_and_keeps_tail() -> None:
    document = Document("<div id=c><p>old</p>old text</div>tail")
    container = document.get_element_by_id("c")
    assert container is not None
    container.tail = " after"
    template = 'text<script type="text/python">if a < b: pass</script><div class="app">x</div>'
    set_inner_html(container, template)
    assert inner_html(container) == template
    assert outer_html(container) == f'<div id="c">{template}</div>'
    assert container.tail == " after"
    set_inner_html(container, "")
    assert inner_html(container) == ""
    assert container.text is None


def test_inner_html_escapes_text() -> None:
    element = Document().create_element("p")
    element.text = "a < b & c"
    assert inner_html(element) == "a &lt; b &amp; c"


def test_odd_shells_parse_as_a_browser_would() -> None:
    xhtml = Document('<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>')
    assert xhtml.html == "<!DOCTYPE html>\n<html><head></head><body><p>x</p></body></html>"
    assert Document("<!-- only a comment -->").html == Document().html
    assert Document("plain text").body.text == "plain text"
    with pytest.raises(TypeError, match="must be a str, got bytes"):
        Document(b"<p>x</p>")  # type: ignore[arg-type]
