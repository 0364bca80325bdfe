"""The event history: every event in a local SQLite file, for digests and later questions."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.config.schema import StorageConfig
from agent.core.events import CameraState, Event, EventUpdate
from eva_errors import UserError

DB_NAME = "events.db"
_PURGE_EVERY_SECONDS = 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    started_ts REAL NOT NULL,
    ended_ts REAL NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    summary_source TEXT NOT NULL,
    language TEXT NOT NULL,
    event_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_started_ts ON events (started_ts);
CREATE INDEX IF NOT EXISTS events_camera_started_ts ON events (camera, started_ts);
CREATE TABLE IF NOT EXISTS event_objects (
    event_id TEXT NOT NULL,
    started_ts REAL NOT NULL,
    camera TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    zone TEXT NOT NULL,
    count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS event_objects_label_ts ON event_objects (label, started_ts);
CREATE INDEX IF NOT EXISTS event_objects_zone_ts ON event_objects (zone, started_ts);
CREATE INDEX IF NOT EXISTS event_objects_ts ON event_objects (started_ts);
CREATE INDEX IF NOT EXISTS event_objects_event ON event_objects (event_id);
"""
# One row per object and zone ('' = no zone), so questions filter by label and zone through
# indexes instead of decoding every event's JSON. Filled from `events` for older files.
_OBJECT_ROWS = """
INSERT INTO event_objects (event_id, started_ts, camera, kind, label, zone, count)
SELECT e.id, e.started_ts, e.camera, e.kind, json_extract(o.value, '$.label'),
       COALESCE(z.value, ''), json_extract(o.value, '$.count')
FROM events e, json_each(e.event_json, '$.objects') o
LEFT JOIN json_each(o.value, '$.zones') z
"""


class HistoryError(UserError):
    """The history file cannot be opened or written; the message names the path and a fix."""


class EventHistory:
    """Events stored in SQLite (WAL), safe to use from camera, wording and digest threads.

    One connection is shared under a lock; JSON is encoded and decoded outside it, so
    the lock only covers the SQL itself. It is also a camera Sink: `event` stores,
    `update` stores a model's later wording, `state` is ignored.
    """

    def __init__(self, path: Path, retention_days: float | None = None) -> None:
        self.path = path
        self._retention = timedelta(days=retention_days) if retention_days else None
        self._next_purge = 0.0  # monotonic time of the next retention purge
        self._lock = threading.Lock()
        try:
            # Autocommit (isolation_level=None): each statement is its own transaction.
            self._db = sqlite3.connect(
                path, timeout=10.0, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as e:
            raise _error(path, e) from e
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a crash of the agent; a power cut may lose the last events.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._fill_object_rows()
        except sqlite3.Error as e:
            self._db.close()
            raise _error(path, e) from e

    # Sink protocol -----------------------------------------------------------------------

    def event(self, event: Event) -> None:
        """Store an event from a camera, and now and then drop those past retention."""
        self.add(event)
        if self._retention is not None and time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + _PURGE_EVERY_SECONDS
            self.purge(datetime.now(UTC) - self._retention)

    def update(self, update: EventUpdate) -> None:
        """A model's wording of a stored event replaces its template summary."""
        self.set_summary(update.id, update.summary, update.summary_source)

    def state(self, state: CameraState) -> None:
        """Camera state is not history; it is retained on MQTT instead."""

    # Storage -----------------------------------------------------------------------------

    def add(self, event: Event) -> None:
        """Store an event; adding the same id again changes nothing."""
        self.add_many([event])

    def add_many(self, events: list[Event]) -> None:
        """Store events in one transaction (an import, a benchmark); known ids are skipped."""
        rows = [_row(e) for e in events]
        try:
            with self._lock:
                self._db.execute("BEGIN")
                try:
                    for event, row in zip(events, rows, strict=True):
                        cursor = self._db.execute(
                            "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row
                        )
                        if cursor.rowcount:
                            self._db.executemany(
                                "INSERT INTO event_objects VALUES (?,?,?,?,?,?,?)",
                                _object_rows(event),
                            )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as e:
            raise _error(self.path, e) from e

    def set_summary(self, event_id: str, summary: str, source: str) -> bool:
        """Replace an event's summary (a model's wording arrived); False if the id is unknown."""
        sql = "UPDATE events SET summary = ?, summary_source = ? WHERE id = ?"
        return self._write(sql, (summary, source, event_id)) > 0

    def get(self, event_id: str) -> Event | None:
        """The event with this id, with its latest summary."""
        rows = self._read(
            "SELECT event_json, summary, summary_source FROM events WHERE id = ?", (event_id,)
        )
        return _decode(rows[0]) if rows else None

    def between(self, start: datetime, end: datetime, camera: str | None = None) -> list[Event]:
        """Events that started in [start, end), oldest first, optionally of one camera."""
        sql = "SELECT event_json, summary, summary_source FROM events "
        sql += "WHERE started_ts >= ? AND started_ts < ?"
        params: tuple[object, ...] = (start.timestamp(), end.timestamp())
        if camera is not None:
            sql += " AND camera = ?"
            params += (camera,)
        rows = self._read(sql + " ORDER BY started_ts, id", params)
        return [_decode(r) for r in rows]

    def purge(self, older_than: datetime) -> int:
        """Delete events that started before `older_than`; returns how many went."""
        cutoff = (older_than.timestamp(),)
        self._write("DELETE FROM event_objects WHERE started_ts < ?", cutoff)
        return self._write("DELETE FROM events WHERE started_ts < ?", cutoff)

    def oldest(self) -> datetime | None:
        """When the oldest stored event started: how far back the history goes."""
        ts = self._read("SELECT MIN(started_ts) FROM events", ())[0][0]
        return None if ts is None else datetime.fromtimestamp(ts, UTC)

    def query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """Rows of a read-only SELECT, for questions (agent.ask.executor builds the SQL)."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ValueError("history.query runs SELECT statements only")
        return self._read(sql, params)

    def _fill_object_rows(self) -> None:
        """Object rows for events stored before the table existed (one statement, once)."""
        has_rows = self._db.execute("SELECT 1 FROM event_objects LIMIT 1").fetchone()
        has_events = self._db.execute("SELECT 1 FROM events LIMIT 1").fetchone()
        if has_events and not has_rows:
            self._db.execute(_OBJECT_ROWS)

    def count(self) -> int:
        """How many events are stored."""
        count: int = self._read("SELECT COUNT(*) FROM events", ())[0][0]
        return count

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[object, ...]) -> int:
        try:
            with self._lock:
                return self._db.execute(sql, params).rowcount
        except sqlite3.Error as e:
            raise _error(self.path, e) from e

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise _error(self.path, e) from e


def open_history(config: StorageConfig) -> EventHistory:
    """The history in `<storage.path>/events.db`, creating the folder if needed."""
    folder = Path(config.path).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise HistoryError(
            f"cannot create the history folder {folder}: {e.strerror or e}; "
            "fix: set storage.path to a folder the agent's user can write"
        ) from e
    return EventHistory(folder / DB_NAME, retention_days=config.retention_days)


def _row(event: Event) -> tuple[object, ...]:
    return (
        event.id,
        event.camera,
        event.rule,
        event.kind,
        event.severity,
        event.started_at.isoformat(),
        event.ended_at.isoformat(),
        event.started_at.timestamp(),
        event.ended_at.timestamp(),
        event.title,
        event.summary,
        event.summary_source,
        event.language,
        event.model_dump_json(),
    )


def _object_rows(event: Event) -> list[tuple[object, ...]]:
    """One row per object and zone ('' when it is in none)."""
    ts = event.started_at.timestamp()
    return [
        (event.id, ts, event.camera, event.kind, o.label, zone, o.count)
        for o in event.objects
        for zone in (o.zones or [""])
    ]


def _decode(row: tuple[Any, ...]) -> Event:
    """The stored JSON with the summary columns, which `set_summary` may have changed."""
    event_json, summary, source = row
    event = Event.model_validate_json(event_json)
    return event.model_copy(update={"summary": summary, "summary_source": source})


def _error(path: Path, e: sqlite3.Error) -> HistoryError:
    if isinstance(e, sqlite3.DatabaseError) and "not a database" in str(e):
        fix = "move the damaged file aside; the agent starts a new history"
    elif isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
        fix = "stop the other program holding the file"
    else:
        fix = "set storage.path to a folder the agent's user can write (and check free space)"
    return HistoryError(f"event history {path}: {e}; fix: {fix}")
