"""Session records and cookies on their own: the in-memory store's bounds, the record format,
signing with rotating keys."""

from __future__ import annotations

import pytest

from orchestrator.asgi import MemorySessionStore, SessionStateTooLargeError, SessionStore
from orchestrator.asgi._keys import Signer, secret_keys
from orchestrator.asgi._sessions import SessionState


async def test_memory_store_is_bounded_in_bytes_least_recently_used_first() -> None:
    store = MemorySessionStore(max_bytes=300, max_record_bytes=200)
    assert isinstance(store, SessionStore)
    for sid in ("a", "b", "c"):
        await store.save(sid, b"x" * 99)  # 100 bytes each with the id
    assert store.bytes_used == 300 and len(store) == 3
    assert await store.load("a") == b"x" * 99  # a is now the most recently used
    await store.save("d", b"y" * 99)
    assert "b" not in store and "a" in store and "c" in store and "d" in store
    assert store.bytes_used == 300


async def test_memory_store_refuses_an_oversized_record() -> None:
    store = MemorySessionStore(max_record_bytes=50)
    with pytest.raises(SessionStateTooLargeError, match="over the limit of 50 bytes"):
        await store.save("big", b"z" * 100)
    assert len(store) == 0 and store.bytes_used == 0


async def test_memory_store_expires_idle_records_and_load_refreshes_them() -> None:
    now = [0.0]
    store = MemorySessionStore(ttl=60.0, clock=lambda: now[0])
    await store.save("a", b"1")
    await store.save("b", b"2")
    now[0] = 50.0
    assert await store.load("a") == b"1"
    now[0] = 100.0
    assert store.expire() == 1  # b idle 100 s; a only 50 s since its load
    assert "a" in store and "b" not in store
    now[0] = 200.0
    assert await store.load("a") is None
    assert store.bytes_used == 0


def test_memory_store_rejects_nonsense_bounds() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        MemorySessionStore(max_bytes=0)
    with pytest.raises(ValueError, match="ttl"):
        MemorySessionStore(ttl=0.0)


def test_session_state_round_trips_as_compact_json() -> None:
    state = SessionState(global_state={"user": "zoë", "cart": [1, 2]})
    data = state.encode()
    assert data == '{"g":{"user":"zoë","cart":[1,2]}}'.encode()
    assert SessionState.decode(data) == state
    with pytest.raises(TypeError):
        SessionState(global_state={"when": object()}).encode()


def test_the_first_key_signs_and_every_key_verifies() -> None:
    old = Signer([b"old"])
    rotated = Signer([b"new", b"old"])
    cookie = old.sign("sid-1")
    assert rotated.verify(cookie) == "sid-1"  # issued before the rotation, still good
    assert rotated.sign("sid-1") != cookie  # new cookies use the new key
    assert Signer([b"new"]).verify(cookie) is None  # the old key retired
    for bad in (None, "", "sid-1", "sid-1.", ".abc", "caf\xe9.x", "s." + "A" * 400):
        assert rotated.verify(bad) is None


def test_secret_keys_come_from_the_argument_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MFE_SECRET_KEY", "k2, k1")
    assert secret_keys(None) == (b"k2", b"k1")
    assert secret_keys("given") == (b"given",)
    assert secret_keys([b"a", "b"]) == (b"a", b"b")
    monkeypatch.delenv("MFE_SECRET_KEY")
    assert secret_keys(None) == ()
    assert Signer(()).ephemeral
    with pytest.raises(ValueError, match="empty"):
        secret_keys([""])
