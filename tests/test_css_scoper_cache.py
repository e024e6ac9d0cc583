"""ScopedCSSCache: the same stylesheet for the same app is scoped once; the cache stays bounded."""

from __future__ import annotations

import pytest

from css_scoper import ScopedCSSCache, app_prefix, scope_css

A = app_prefix("a")
B = app_prefix("b")
CSS = ".x {color: red} body {margin: 0} .y {background: url(i.png)}"


def test_cached_result_equals_scope_css() -> None:
    cache = ScopedCSSCache()
    assert cache.scope(CSS, A) == scope_css(CSS, A)
    assert cache.scope(CSS, A, "http://h/s/") == scope_css(CSS, A, base_url="http://h/s/")


def test_second_call_is_a_hit_and_returns_the_same_object() -> None:
    cache = ScopedCSSCache()
    first = cache.scope(CSS, A)
    second = cache.scope("".join([CSS]), A)  # equal text, possibly another object
    assert second is first
    info = cache.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 1, 1)


def test_prefix_base_url_and_text_are_all_part_of_the_key() -> None:
    cache = ScopedCSSCache()
    outputs = {
        cache.scope(CSS, A),
        cache.scope(CSS, B),
        cache.scope(CSS, A, "http://h/s/"),
        cache.scope(CSS + " ", A),
    }
    assert len(outputs) == 4
    assert cache.cache_info().misses == 4
    assert len(cache) == 4


def test_least_recently_used_entry_is_evicted() -> None:
    cache = ScopedCSSCache(maxsize=2)
    cache.scope(".one {}", A)
    cache.scope(".two {}", A)
    cache.scope(".one {}", A)  # refresh .one
    cache.scope(".three {}", A)  # evicts .two
    cache.scope(".one {}", A)
    assert cache.cache_info().hits == 2
    cache.scope(".two {}", A)
    assert cache.cache_info().misses == 4


def test_bounded_by_characters_too() -> None:
    cache = ScopedCSSCache(maxsize=100, max_chars=200)
    for i in range(10):
        cache.scope(f".rule-{i} {{color: red}}", A)
    info = cache.cache_info()
    assert info.chars <= 200
    assert 0 < info.currsize < 10
    huge = ".a {b: c}" * 100
    assert cache.scope(huge, A) == scope_css(huge, A)  # too big to keep, still answered
    assert cache.cache_info().chars <= 200


def test_two_caches_share_nothing_and_clear_resets() -> None:
    one, two = ScopedCSSCache(), ScopedCSSCache()
    one.scope(CSS, A)
    two.scope(CSS, A)
    assert one.cache_info().misses == two.cache_info().misses == 1
    one.clear()
    assert (len(one), one.cache_info().hits, one.cache_info().misses) == (0, 0, 0)
    assert len(two) == 1


@pytest.mark.parametrize("kwargs", [{"maxsize": 0}, {"max_chars": 0}])
def test_bad_bounds_are_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        ScopedCSSCache(**kwargs)
