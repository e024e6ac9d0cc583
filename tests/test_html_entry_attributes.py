"""An element with too many attributes is refused before lxml builds it (its cost is n²).

The guard's quick scans must never miss what libxml2 would build: the property test compares
them with libxml2's own count on generated start tags, at a small limit.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import EntrySyntaxError
from orchestrator.html_entry import EntryLoader
from orchestrator.html_entry._attributes import MAX_ATTRIBUTES, _most_attributes, _suspect

URL = "http://apps.test/orders/index.html"
PAD = "<p>" + "filler text " * 1000 + "</p>"  # past the size under which pages are not checked


def page(attributes: str) -> str:
    return f"<html><body>{PAD}<div {attributes}>x</div></body></html>"


def numbered(count: int, form: str = "a{i}=x", sep: str = " ") -> str:
    return sep.join(form.format(i=i) for i in range(count))


async def load(html: str, max_attributes: int = MAX_ATTRIBUTES) -> object:
    async def fetch(url: str) -> str:
        return html

    async with (
        httpx.AsyncClient(verify=False) as client,
        EntryLoader(client, fetch=fetch, max_attributes=max_attributes) as loader,
    ):
        try:
            return await loader.import_entry(URL)
        except EntrySyntaxError as error:
            return error


# every way HTML's tokenizer separates attributes: spaces, slashes, nothing after a quoted
# value, and quoted values holding '>' (which hide a tag's end from a plain scan)
FORMS = {
    "unquoted": ("a{i}=x", " "),
    "bare names": ("a{i}", " "),
    "slashes": ("a{i}", "/"),
    "quoted, no separator": ('a{i}=""', ""),
    "quoted '>'": ('a{i}=">"', " "),
    "single-quoted '>'": ("a{i}='>'", ""),
    "newlines": ("a{i}\n=\n'v'", "\n"),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_an_element_over_max_attributes_is_refused_naming_it(form: str) -> None:
    pattern, sep = FORMS[form]
    error = asyncio.run(load(page(numbered(20_000, pattern, sep))))
    assert isinstance(error, EntrySyntaxError)
    assert error.url == URL
    assert "<div> element has 20000 attributes" in str(error)
    assert f"max_attributes {MAX_ATTRIBUTES}" in str(error)


def test_the_limit_is_inclusive_and_a_loader_option() -> None:
    at_limit = asyncio.run(load(page(numbered(MAX_ATTRIBUTES))))
    assert not isinstance(at_limit, EntrySyntaxError)
    assert "a511" in at_limit.template  # type: ignore[attr-defined]
    over = asyncio.run(load(page(numbered(MAX_ATTRIBUTES + 1))))
    assert isinstance(over, EntrySyntaxError)
    raised = asyncio.run(load(page(numbered(2000)), max_attributes=2000))
    assert not isinstance(raised, EntrySyntaxError)
    with pytest.raises(ValueError, match="max_attributes"):
        EntryLoader(max_attributes=0)


def test_a_control_character_does_not_slip_a_bomb_past_the_guard() -> None:
    # lxml refuses the character; the page is read again without it, and checked again
    error = asyncio.run(load("\x01" + page(numbered(20_000))))
    assert isinstance(error, EntrySyntaxError)


def test_markup_like_text_in_a_script_is_not_refused() -> None:
    script = "<script>if (a<b " + numbered(3000, "c{i}") + ") {}</script>"
    entry = asyncio.run(load(f"<html><body>{PAD}{script}</body></html>"))
    assert not isinstance(entry, EntrySyntaxError)
    assert len(entry.scripts) == 1  # type: ignore[attr-defined]


def test_duplicate_names_count_once() -> None:
    entry = asyncio.run(load(page(" ".join(["a=x"] * 20_000))))
    assert not isinstance(entry, EntrySyntaxError)


def test_many_elements_each_under_the_limit_pass() -> None:
    many = ("<div " + numbered(400) + "></div>") * 20
    entry = asyncio.run(load(f"<html><body>{many}</body></html>"))
    assert not isinstance(entry, EntrySyntaxError)


def test_a_config_entry_html_is_checked_too() -> None:
    async def run() -> None:
        async with EntryLoader(fetch=lambda url: asyncio.sleep(0, "")) as loader:
            with pytest.raises(EntrySyntaxError, match="config entry"):
                await loader.import_entry({"scripts": [], "html": page(numbered(20_000))})

    asyncio.run(run())


_piece = st.one_of(
    st.sampled_from([" ", "/", "\n", "=", '"', "'", ">", "<", "a", "b", "c", "<d", '="', "='"]),
    st.text(alphabet="ab01=\"'> /", min_size=1, max_size=4),
)


@settings(max_examples=800, deadline=None)
@given(
    opening=st.sampled_from(
        ["<div ", "<DIV\n", "<_x ", "<1 ", "<:a ", "<\u00e4 ", "</div ", "<!x "]
    ),
    body=st.lists(_piece, max_size=40),
    limit=st.integers(min_value=1, max_value=4),
)
def test_the_quick_scans_never_miss_what_libxml2_builds(
    opening: str, body: list[str], limit: int
) -> None:
    html = "<p>x</p>" + opening + "".join(body) + ">tail"
    if _most_attributes(html, limit) is not None:
        assert _suspect(html, limit), html
