"""The durable outbox: messages that must reach the broker are on disk before they are sent
and leave it only when the broker has acknowledged them (QoS 1).

paho keeps its queue in memory only, so an agent restart or a long outage would lose or
pile up events. Here an event, a worded update or a digest is written to SQLite (WAL) first;
a relay thread sends the oldest unsent rows while the broker is connected, a bounded
number at a time, and deletes each row on its PUBACK. Rows left by a previous run are sent
again after a restart (at least once; consumers de-duplicate by event id).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Lower rank = dropped first when the outbox is full; alerts are never dropped.
_RANK = {"info": 0, "warning": 1, "alert": 2}


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message waiting for the broker."""

    seq: int
    topic: str
    payload: bytes
    severity: str
    created: float


class Outbox:
    """SQLite rows ordered by `seq`; falls back to memory while the disk cannot be written."""

    def __init__(
        self,
        path: Path,
        max_messages: int,
        max_age_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._max_messages = max_messages
        self._max_age = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: dict[int, OutboxRow] = {}  # used while the disk fails
        self._next_memory_seq = -1
        self.dropped = 0
        self.disk_ok = True
        self._retry_disk_at = 0.0
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        try:
            self._db = self._open()
        except (OSError, sqlite3.Error) as e:
            self._disk_failed(sqlite3.OperationalError(str(e)), clock())

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of the agent
        db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "topic TEXT NOT NULL, payload BLOB NOT NULL, severity TEXT NOT NULL, "
            "created REAL NOT NULL)"
        )
        return db

    def add(self, topic: str, payload: bytes, severity: str = "info") -> int:
        """Store a message; returns its sequence number (negative while in memory)."""
        now = self._clock()
        with self._lock:
            if not self.disk_ok and now >= self._retry_disk_at:
                self._try_disk_again()
            if self.disk_ok:
                try:
                    cur = self._db.execute(
                        "INSERT INTO outbox (topic, payload, severity, created) "
                        "VALUES (?, ?, ?, ?)",
                        (topic, payload, severity, now),
                    )
                    seq = int(cur.lastrowid or 0)
                    self._enforce_bounds(now)
                    return seq
                except sqlite3.Error as e:
                    self._disk_failed(e, now)
            seq = self._next_memory_seq
            self._next_memory_seq -= 1
            self._memory[seq] = OutboxRow(seq, topic, payload, severity, now)
            self._enforce_memory_bound()
            return seq

    def unsent(self, after: int, exclude: set[int], limit: int) -> list[OutboxRow]:
        """The oldest rows not in `exclude`: memory rows, and disk rows after `after`."""
        with self._lock:
            rows = [r for r in self._memory.values() if r.seq not in exclude]
            if self.disk_ok and len(rows) < limit:
                try:
                    cur = self._db.execute(
                        "SELECT seq, topic, payload, severity, created FROM outbox "
                        "WHERE seq > ? ORDER BY seq LIMIT ?",
                        (after, limit + len(exclude)),
                    )
                    rows += [
                        OutboxRow(int(s), str(t), bytes(p), str(v), float(c))
                        for s, t, p, v, c in cur.fetchall()
                        if int(s) not in exclude
                    ]
                except sqlite3.Error as e:
                    self._disk_failed(e, self._clock())
            rows.sort(key=lambda r: (r.created, abs(r.seq)))
            return rows[:limit]

    def delete(self, seq: int) -> None:
        """The broker has the message: forget it."""
        with self._lock:
            if seq < 0:
                self._memory.pop(seq, None)
                return
            try:
                self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            except sqlite3.Error as e:
                self._disk_failed(e, self._clock())

    def depth(self) -> int:
        """Messages not yet acknowledged by the broker."""
        with self._lock:
            n = len(self._memory)
            with contextlib.suppress(sqlite3.Error):
                n += int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
            return n

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _enforce_bounds(self, now: float) -> None:
        # Age first, then count; within each, info before warning, alerts never.
        limit_age = now - self._max_age
        for severity in ("info", "warning"):
            cur = self._db.execute(
                "DELETE FROM outbox WHERE created < ? AND severity = ?", (limit_age, severity)
            )
            self._count_dropped(cur.rowcount)
        over = int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        over -= self._max_messages
        for severity in ("info", "warning"):
            if over <= 0:
                return
            cur = self._db.execute(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE severity = ? "
                "ORDER BY seq LIMIT ?)",
                (severity, over),
            )
            self._count_dropped(cur.rowcount)
            over -= max(0, cur.rowcount)

    def _enforce_memory_bound(self) -> None:
        over = len(self._memory) - self._max_messages
        if over <= 0:
            return
        victims = sorted(
            (r for r in self._memory.values() if r.severity != "alert"),
            key=lambda r: (_RANK.get(r.severity, 0), -r.seq),
        )[:over]
        for r in victims:
            del self._memory[r.seq]
        self._count_dropped(len(victims))

    def _count_dropped(self, n: int) -> None:
        if n <= 0:
            return
        first = self.dropped == 0
        self.dropped += n
        if first or self.dropped % 1000 < n:
            log.warning(
                "outbox full or too old: dropped %d undelivered message(s) so far "
                "(oldest info first, alerts kept); is the broker reachable?",
                self.dropped,
            )

    def _disk_failed(self, error: sqlite3.Error, now: float) -> None:
        if self.disk_ok:
            log.error(
                "outbox %s cannot be written (%s): keeping messages in memory until it can; "
                "free space or fix storage.path",
                self.path,
                error,
            )
        self.disk_ok = False
        self._retry_disk_at = now + 30.0

    def _try_disk_again(self) -> None:
        try:
            if self._db.execute("PRAGMA database_list").fetchone()[2] == "":
                self._db = self._open()  # it never opened: the folder may exist now
            self._db.execute("BEGIN IMMEDIATE")
            for r in sorted(self._memory.values(), key=lambda r: -r.seq):
                self._db.execute(
                    "INSERT INTO outbox (topic, payload, severity, created) VALUES (?, ?, ?, ?)",
                    (r.topic, r.payload, r.severity, r.created),
                )
            self._db.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            self._retry_disk_at = self._clock() + 30.0
            return
        self._memory.clear()
        self.disk_ok = True
        log.info("outbox %s is writable again; messages are on disk", self.path)
