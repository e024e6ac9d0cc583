"""Property tests: whatever mix of tags a page has, extraction keeps order, counts and text."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.html_entry import EntryLoader

_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
_tag = st.one_of(
    st.tuples(st.just("script"), _name, st.booleans()),
    st.tuples(st.just("inline"), _name, st.booleans()),
    st.tuples(st.just("style"), _name, st.booleans()),
    st.tuples(st.just("markup"), _name, st.just(False)),
)


def build(tags: list[tuple[str, str, bool]]) -> str:
    parts = []
    for kind, name, ignored in tags:
        flag = " ignore" if ignored else ""
        if kind == "script":
            parts.append(f'<script src="js/{name}.js"{flag}></script>')
        elif kind == "inline":
            parts.append(f"<script{flag}>window['{name}'] = 1</script>")
        elif kind == "style":
            parts.append(f'<link rel="stylesheet" href="css/{name}.css"{flag}>')
        else:
            parts.append(f'<div class="{name}">{name} &amp; <!-- gone --> text</div>')
    return "<html><head></head><body>" + "".join(parts) + "</body></html>"


@settings(max_examples=60, deadline=None)
@given(tags=st.lists(_tag, max_size=12))
def test_extraction_keeps_order_and_counts(tags: list[tuple[str, str, bool]]) -> None:
    page = build(tags)

    async def fetch(url: str) -> str:
        return page

    async def run() -> None:
        async with EntryLoader(fetch=fetch) as loader:
            entry = await loader.import_entry("http://h.test/app/index.html")
        kept = [(k, n) for k, n, ignored in tags if not ignored]
        expected_scripts = [
            ("src", f"http://h.test/app/js/{n}.js")
            if k == "script"
            else ("code", f"window['{n}'] = 1")
            for k, n in kept
            if k in ("script", "inline")
        ]
        got = [("src", s.src) if s.src else ("code", s.content) for s in entry.scripts]
        assert got == expected_scripts
        assert [s.href for s in entry.styles] == [
            f"http://h.test/app/css/{n}.css" for k, n in kept if k == "style"
        ]
        assert entry.entry_script == (entry.scripts[-1] if entry.scripts else None)
        assert "<script" not in entry.template and "<link" not in entry.template
        assert "gone" not in entry.template
        assert entry.template.count("replaced by import-html-entry") == sum(
            1 for k, _, _ in tags if k != "markup"
        )
        for k, n, _ in tags:
            if k == "markup":
                assert f'<div class="{n}">{n} &amp;  text</div>' in entry.template

    asyncio.run(run())
