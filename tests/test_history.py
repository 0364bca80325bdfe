"""The SQLite event history: storing, querying, rewording, purging, and clear failures."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.events import make_event as support_event
from support.events import obj
from support.scenes import T0

from agent.adapters.history import EventHistory, HistoryError, open_history
from agent.config.schema import StorageConfig
from agent.core.events import CameraState, Event, EventUpdate

BASE = datetime.fromtimestamp(T0, UTC)


def make_event(minutes: float, camera: str = "barn", label: str = "cow", count: int = 1) -> Event:
    at = BASE + timedelta(minutes=minutes)
    return support_event(
        "arrival",
        [obj(label, count, ["gate"])],
        camera=camera,
        rule="arrivals",
        started_at=at,
        at=at + timedelta(seconds=5),
    )


@pytest.fixture
def history(tmp_path: Path) -> Iterator[EventHistory]:
    h = EventHistory(tmp_path / "events.db")
    yield h
    h.close()


def test_add_get_round_trip(history: EventHistory) -> None:
    e = make_event(0)
    history.add(e)
    assert history.get(e.id) == e
    assert history.get("nope") is None
    assert history.count() == 1


def test_add_is_idempotent_on_id(history: EventHistory) -> None:
    e = make_event(0)
    history.add(e)
    history.add(e.model_copy(update={"summary": "other"}))
    assert history.count() == 1
    assert history.get(e.id) == e


def test_between_is_half_open_ordered_and_filters_camera(history: EventHistory) -> None:
    events = [make_event(m, camera="barn" if m % 2 else "yard") for m in (30, 10, 0, 20, 40)]
    for e in events:
        history.add(e)
    got = history.between(BASE + timedelta(minutes=10), BASE + timedelta(minutes=40))
    assert [e.started_at for e in got] == [BASE + timedelta(minutes=m) for m in (10, 20, 30)]
    yard = history.between(BASE, BASE + timedelta(hours=1), camera="yard")
    assert {e.camera for e in yard} == {"yard"} and len(yard) == 5
    assert history.between(BASE, BASE + timedelta(hours=1), camera="none") == []


def test_set_summary_shows_in_get_and_between(history: EventHistory) -> None:
    e = make_event(0)
    history.add(e)
    assert history.set_summary(e.id, "Two cows came in.", "ollama:qwen2.5:0.5b")
    assert not history.set_summary("unknown", "x", "y")
    stored = history.get(e.id)
    assert stored is not None
    assert (stored.summary, stored.summary_source) == ("Two cows came in.", "ollama:qwen2.5:0.5b")
    assert history.between(BASE, BASE + timedelta(minutes=1))[0].summary == "Two cows came in."


def test_sink_methods(history: EventHistory) -> None:
    e = make_event(0)
    history.event(e)
    history.state(CameraState(camera="barn", updated_at=BASE, counts={}, zones={}))
    history.update(
        EventUpdate(
            id=e.id,
            camera="barn",
            summary="A cow came.",
            summary_source="m",
            language="en",
            worded_at=BASE,
            model_seconds=1.0,
            attempts=1,
        )
    )
    stored = history.get(e.id)
    assert stored is not None and stored.summary == "A cow came."
    assert history.count() == 1


def test_purge(history: EventHistory) -> None:
    for m in (0, 10, 20, 30):
        history.add(make_event(m))
    assert history.purge(BASE + timedelta(minutes=20)) == 2
    assert history.count() == 2
    assert history.purge(BASE) == 0


def test_event_applies_retention(tmp_path: Path) -> None:
    h = EventHistory(tmp_path / "events.db", retention_days=1)
    try:
        old = make_event(0).model_copy(
            update={"started_at": datetime.now(UTC) - timedelta(days=2), "id": "old"}
        )
        h.add(old)
        h.event(make_event(0).model_copy(update={"started_at": datetime.now(UTC)}))
        assert h.get("old") is None and h.count() == 1
    finally:
        h.close()


def test_reopen_keeps_events_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    h = EventHistory(path)
    events = [make_event(m) for m in range(3)]
    for e in events:
        h.add(e)
    h.set_summary(events[0].id, "reworded", "model")
    h.close()
    h = EventHistory(path)
    try:
        assert h.count() == 3
        got = h.between(BASE, BASE + timedelta(hours=1))
        assert [e.id for e in got] == [e.id for e in events]
        assert got[0].summary == "reworded"
    finally:
        h.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_add_concurrently(history: EventHistory) -> None:
    def work(thread: int) -> None:
        for i in range(50):
            history.add(make_event(i, camera=f"cam{thread}"))
            history.between(BASE, BASE + timedelta(hours=2))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert history.count() == 400
    assert len(history.between(BASE, BASE + timedelta(hours=2), camera="cam3")) == 50


def test_open_history_expands_home_and_creates_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    h = open_history(StorageConfig(path="~/data/eva"))
    try:
        assert h.path == tmp_path / "data" / "eva" / "events.db"
        assert h.path.exists()
    finally:
        h.close()


def test_folder_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="fix:") as info:
        open_history(StorageConfig(path=str(blocker / "sub")))
    assert str(blocker / "sub") in str(info.value)
    with pytest.raises(HistoryError, match="fix:") as info:
        EventHistory(blocker / "events.db")
    assert str(blocker / "events.db") in str(info.value)


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(HistoryError, match="move the damaged file aside") as info:
        EventHistory(path)
    assert str(path) in str(info.value)
