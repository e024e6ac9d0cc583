"""The parts of live deployments that need no server: freshness, manifests, back-off, the
in-memory HTTP store, Podium's health timers and the manifest watcher's rules."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from email.utils import formatdate

import pytest
from hishel import Entry, Headers, Request, Response

from orchestrator._lru import LRUCache
from orchestrator.errors import OrchestratorError
from orchestrator.html_entry import EntryLoader
from orchestrator.html_entry._http_cache import HEURISTIC_CAP, MemoryStorage
from orchestrator.html_entry._live import HealthTimer, PageRecord
from orchestrator.html_entry._watch import ManifestWatcher
from orchestrator.html_entry.live import Health, LiveOptions, Manifest, ManifestError, freshness


def test_freshness_follows_cache_control_expires_and_the_heuristic() -> None:
    now = 1_700_000_000.0
    date = formatdate(now, usegmt=True)
    assert freshness({"cache-control": "max-age=30"}).lifetime == 30
    assert freshness({"cache-control": "public, s-maxage=5, max-age=30"}).lifetime == 5
    assert freshness({"cache-control": "max-age=30", "age": "10"}).lifetime == 20
    assert freshness({"cache-control": "no-cache, max-age=30"}).lifetime == 0
    assert not freshness({"cache-control": "no-store"}).storable
    expires = formatdate(now + 100, usegmt=True)
    assert freshness({"date": date, "expires": expires}).lifetime == 100
    assert freshness({"date": date, "expires": "0"}).lifetime == 0  # invalid: expired
    modified = formatdate(now - 200, usegmt=True)
    assert freshness({"date": date, "last-modified": modified}).lifetime == 20  # a tenth
    old = formatdate(now - 10**6, usegmt=True)
    assert freshness({"date": date, "last-modified": old}).lifetime == HEURISTIC_CAP
    assert freshness({}).lifetime == HEURISTIC_CAP


def test_manifest_parse_takes_genesis_shape_and_names_what_is_wrong() -> None:
    manifest = Manifest.parse("u", b'{"c": "ab", "s": "cd", "d": 1, "t": 5}')
    assert manifest == Manifest("ab", "cd", 1, 5)
    assert manifest.mark == "cd"
    assert Manifest("", "", 0, 7).mark == "7"  # a dev build changes by time
    assert Manifest.parse("u", manifest.as_json().encode()) == manifest
    cases = {
        b"not json": "not JSON",
        b"[1]": "not a JSON object",
        b'{"c": "", "s": ""}': "lacks d, t",
        b'{"c": 1, "s": "", "d": 0, "t": 1}': "must be strings",
        b'{"c": "", "s": "", "d": 2, "t": 1}': "'d' must be 0 or 1",
        b'{"c": "", "s": "", "d": 0, "t": -1}': "'t' must be",
    }
    for body, reason in cases.items():
        with pytest.raises(ManifestError, match=reason) as caught:
            Manifest.parse("http://a.test/manifest.json", body, app_name="catalog")
        assert isinstance(caught.value, OrchestratorError)
        assert caught.value.app_name == "catalog"
        assert "application 'catalog'" in str(caught.value)


def test_backoff_is_exponential_and_capped() -> None:
    options = LiveOptions(backoff_base=0.5, backoff_cap=30.0)
    assert [options.backoff(n) for n in range(8)] == [0, 0.5, 1, 2, 4, 8, 16, 30]
    assert options.backoff(10_000) == 30.0
    with pytest.raises(ValueError, match="retries"):
        LiveOptions(retries=-1)
    with pytest.raises(ValueError, match="long_poll"):
        LiveOptions(long_poll=0)


async def _body(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def _read(entry: Entry) -> bytes:
    stream = entry.response.stream
    assert stream is not None and not isinstance(stream, list)
    return b"".join([chunk async for chunk in stream])  # type: ignore[union-attr]


async def test_memory_storage_keeps_read_bodies_within_its_bound() -> None:
    storage = MemoryStorage(max_bytes=10, max_stream_size=8)
    request = Request("GET", "http://a.test/x")

    async def store(key: str, chunks: list[bytes]) -> bytes:
        response = Response(200, Headers({"etag": ['"1"']}), stream=_body(chunks))
        return await _read(await storage.create_entry(request, response, key))

    assert await store("a", [b"abc", b"de"]) == b"abcde"  # passed on as it is read
    assert [await _read(e) for e in await storage.get_entries("a")] == [b"abcde"]
    assert await store("big", [b"123456789"]) == b"123456789"  # over max_stream_size
    assert await storage.get_entries("big") == []
    await store("b", [b"12345"])
    await store("c", [b"123"])  # 5 + 5 + 3 > 10: the least recently used ("a") goes
    assert await storage.get_entries("a") == []
    assert storage.size == 8 and len(storage) == 2
    (entry,) = await storage.get_entries("b")
    await storage.update_headers(entry.id, Headers({"etag": ['"2"']}))
    (updated,) = await storage.get_entries("b")
    assert updated.response.headers.get("etag") == '"2"'
    await storage.remove_entry(entry.id)
    await storage.update_headers(uuid.uuid4(), Headers({}))  # unknown: nothing happens
    assert await storage.get_entries("b") == []
    await storage.close()
    assert len(storage) == 0 and storage.size == 0


async def test_health_timer_walks_podiums_states() -> None:
    changes: list[tuple[Health, Health]] = []
    stable, unhealthy = asyncio.Event(), asyncio.Event()

    def changed(old: Health, new: Health) -> None:
        changes.append((old, new))
        if new is Health.STABLE:
            stable.set()
        elif new is Health.UNHEALTHY:
            unhealthy.set()

    timer = HealthTimer(resolve_threshold=0.02, resolve_max=0.1, on_change=changed)
    timer.fetching()
    timer.fresh()
    assert timer.state is Health.UNSTABLE
    async with asyncio.timeout(2):
        await stable.wait()
    timer.failed()  # an update that did not load: unstable, no way to stable by itself
    assert timer.state is Health.UNSTABLE
    async with asyncio.timeout(2):
        await unhealthy.wait()
    assert timer.state is Health.UNHEALTHY
    timer.fetching()
    assert timer.state is Health.UNHEALTHY  # stays so until a version settles
    assert changes == [
        (Health.INSTANTIATED, Health.INITIALIZING),
        (Health.INITIALIZING, Health.UNSTABLE),
        (Health.UNSTABLE, Health.STABLE),
        (Health.STABLE, Health.UNSTABLE),
        (Health.UNSTABLE, Health.UNHEALTHY),
    ]
    timer.close()


async def test_watcher_ignores_bad_and_backward_manifests(caplog: pytest.LogCaptureFixture) -> None:
    """Bad input is logged with the app's name and ignored: the running version serves on."""
    answers = [
        b'{"c": "", "s": "", "d": 0, "t": 10}',
        b"not json",
        b'{"c": "", "s": ""}',
        b'{"c": "", "s": "", "d": 0, "t": 5}',  # backwards
    ]
    done = asyncio.Event()
    seen: list[int] = []

    async def poll(entry: str, url: str, known_t: int, limit: float) -> bytes:
        seen.append(known_t)
        if not answers:
            done.set()
            await asyncio.Event().wait()
        assert "n=" in url and f"t={known_t}" in url
        return answers.pop(0)

    options = LiveOptions(poll_interval=0, backoff_base=0.001, backoff_cap=0.001)
    async with EntryLoader(fetch=lambda url: _page(), live=options) as loader:
        await loader.import_entry("http://a.test/index.html")
        watcher = ManifestWatcher(loader.pages, poll, options)
        updates: list[str] = []
        loader.entry_updated.connect(lambda sender, url, old, new: updates.append(new), weak=False)
        with caplog.at_level(logging.WARNING, logger="orchestrator.html_entry"):
            watcher.add("http://a.test/index.html", "http://a.test/manifest.json", "catalog")
            async with asyncio.timeout(2):
                await done.wait()
        await watcher.aclose()
    record = loader.pages.peek("http://a.test/index.html")
    assert isinstance(record, PageRecord)
    assert record.manifest == Manifest("", "", 0, 10)  # the first one; the others ignored
    assert updates == []
    assert seen == [0, 10, 10, 10, 10]
    text = caplog.text
    assert "not JSON" in text and "lacks d, t" in text and "went backwards" in text
    assert text.count("catalog") >= 3


async def _page() -> str:
    return "<html><body><p>static</p></body></html>"


async def test_per_url_state_is_bounded_by_cache_size() -> None:
    # a composer asked for ever new URLs (a query string per build, say) keeps the recent ones
    async def fetch(url: str) -> str:
        return f"<html><body><p>{url}</p><script src='a.js'></script></body></html>"

    async with EntryLoader(fetch=fetch, cache_size=16) as loader:
        urls = [f"http://apps.test/a/index.html?v={i}" for i in range(200)]
        for url in urls:
            await loader.import_entry(url)
        pages = loader.pages
        assert len(pages.records) == len(pages._health) == len(pages._good) == 16
        assert len(loader._entries) == len(loader._served) == 16
        # the most recent URL is still known, an old one is not (it would be fetched again)
        assert pages.peek(urls[-1]) is not None
        assert pages.peek(urls[0]) is None
        again = await loader.import_entry(urls[-1])
        assert again is await loader.import_entry(urls[-1])


def test_an_lru_cache_reports_what_it_evicts() -> None:
    closed: list[str] = []
    cache: LRUCache[str, str] = LRUCache(2, on_evict=lambda key, value: closed.append(key))
    for key in "abc":
        cache[key] = key
    assert closed == ["a"]
    assert list(cache) == ["b", "c"]


def test_an_lru_cache_bounded_in_weight_keeps_the_newest_items() -> None:
    cache: LRUCache[str, str] = LRUCache(10, max_weight=10, weigh=lambda key, value: len(value))
    for key, value in (("a", "xxxx"), ("b", "xxxx"), ("c", "xxxx")):
        cache[key] = value
    assert list(cache) == ["b", "c"] and cache.weight == 8
    cache["b"] = "x"  # set again: weighed again, not twice
    assert cache.weight == 5
    cache["huge"] = "x" * 50  # heavier than the bound: kept alone until the next one
    assert list(cache) == ["huge"] and cache.weight == 50
    cache["d"] = "xx"
    assert list(cache) == ["d"] and cache.weight == 2
    del cache["d"]
    assert cache.weight == 0
    with pytest.raises(ValueError, match="go together"):
        LRUCache(4, max_weight=10)


async def test_parsed_entries_are_bounded_in_bytes() -> None:
    # a parsed tree takes ~14x its page in memory: 512 slots of 500 KB pages were 3.5 GB
    page = "<html><body>" + "<p class='x'>filler text</p>" * 2_000 + "</body></html>"

    async def fetch(url: str) -> str:
        return page.replace("filler", url.rsplit("=", 1)[-1], 1)

    budget = 4 * 16 * len(page)  # room for about four of them
    async with EntryLoader(fetch=fetch, max_parsed_bytes=budget) as loader:
        urls = [f"http://apps.test/a/index.html?v={i}" for i in range(12)]
        first = [await loader.import_entry(url) for url in urls]
        # newest first: a re-parse of an evicted one would push out the others
        kept = [i for i in reversed(range(12)) if await loader.import_entry(urls[i]) is first[i]]
        assert sorted(kept) == [8, 9, 10, 11]  # the oldest went first; four fit the budget
        assert loader._entries.weight <= budget and loader._served.weight <= budget


async def test_a_superseded_version_is_freed_once_nobody_holds_it() -> None:
    import gc
    import weakref

    import httpx

    body = {"text": "<html><body><p>v1</p><style>p{color:red}</style></body></html>"}

    async def fetch(url: str) -> httpx.Response:
        headers = {"content-type": "text/html", "cache-control": "no-cache"}
        return httpx.Response(200, headers=headers, text=body["text"])

    url = "http://apps.test/a/index.html"
    async with EntryLoader(fetch=fetch) as loader:
        old = await loader.import_entry(url)
        loader.wrapper_cache[(old, "app-1", None, ())] = old.template_fragment()[0]
        gone = weakref.ref(old)
        body["text"] = body["text"].replace("v1", "v2")
        new = await loader.import_entry(url)
        assert new is not old and "v2" in new.template
        del old
        gc.collect()
        assert gone() is None  # no cache kept the old tree (nor a wrapper built from it)
        assert await loader.import_entry(url) is new


async def test_a_page_heavier_than_the_byte_bound_is_not_parsed_again_when_unchanged() -> None:
    import httpx

    page = "<html><body>" + "<p>text</p>" * 1_000 + "</body></html>"
    fetched: list[str] = []

    async def fetch(url: str) -> httpx.Response:
        fetched.append(url)
        headers = {"content-type": "text/html", "cache-control": "no-cache"}
        return httpx.Response(200, headers=headers, text=page)

    async with EntryLoader(fetch=fetch, max_parsed_bytes=len(page)) as loader:  # < its weight
        url = "http://apps.test/a/index.html"
        first = await loader.import_entry(url)
        assert await loader.import_entry(url) is first  # asked again; the same body: no parse
        assert len(fetched) == 2
