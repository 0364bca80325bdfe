"""The fleet history: every agent's events, as they arrive over MQTT, stored once each.

Events come late (an agent that was offline), twice (QoS 1 redelivery, an outbox resent
after a restart) and out of order; the history keeps each id once, at the event's own time.
A worded update that arrives before its event waits for it (a bounded number of them).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from agent.adapters.history import EventHistory, HistoryError
from agent.core.events import Event, EventUpdate

log = logging.getLogger(__name__)

#: Events written per transaction, at most.
BATCH = 1000
#: Updates kept while their event has not arrived; the oldest go first.
MAX_WAITING_UPDATES = 10_000
#: Messages waiting for the writer; beyond that paho's thread waits, and the broker holds them.
MAX_QUEUED = 100_000


@dataclass(frozen=True)
class RecorderCounts:
    """What the recorder has seen, for the hub's log and the fleet benchmark."""

    received: int
    stored: int
    duplicates: int
    unreadable: int
    updates: int
    updates_waiting: int


class FleetRecorder:
    """MQTT handlers for `<base>/+/events` and `<base>/+/events/update`, and one writer thread
    that stores them in batches (so a burst costs one transaction, not one per event)."""

    def __init__(
        self,
        history: EventHistory,
        on_stored: Callable[[list[Event], float], None] | None = None,
    ) -> None:
        """`on_stored(events, when)` hears of each batch once committed (benchmarks)."""
        self._history = history
        self._on_stored = on_stored
        self._queue: queue.Queue[Event | EventUpdate | None] = queue.Queue(MAX_QUEUED)
        self._lock = threading.Lock()  # guards the counters and _waiting
        self._idle = threading.Condition(self._lock)
        self._waiting: OrderedDict[str, EventUpdate] = OrderedDict()
        self._received = self._stored = self._duplicates = self._unreadable = 0
        self._updates = 0
        self._busy = 0  # items taken from the queue and not yet written
        self._thread = threading.Thread(target=self._run, name="fleet-history", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what has arrived, then stop the writer."""
        self._queue.put(None)
        self._thread.join(timeout)

    def on_event(self, topic: str, payload: bytes, retained: bool) -> None:
        try:
            event = Event.model_validate_json(payload)
        except ValidationError as e:
            self._unreadable_message(topic, e)
            return
        self._queue.put(event)

    def on_update(self, topic: str, payload: bytes, retained: bool) -> None:
        try:
            update = EventUpdate.model_validate_json(payload)
        except ValidationError as e:
            self._unreadable_message(topic, e)
            return
        self._queue.put(update)

    def counts(self) -> RecorderCounts:
        with self._lock:
            return RecorderCounts(
                received=self._received,
                stored=self._stored,
                duplicates=self._duplicates,
                unreadable=self._unreadable,
                updates=self._updates,
                updates_waiting=len(self._waiting),
            )

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything received so far is written; False on timeout."""
        with self._idle:
            return self._idle.wait_for(
                lambda: self._queue.unfinished_tasks == 0 and self._busy == 0, timeout
            )

    def _unreadable_message(self, topic: str, error: ValidationError) -> None:
        with self._lock:
            self._unreadable += 1
            first = self._unreadable == 1
        # Once, then at debug: a misbehaving publisher must not flood the hub's log.
        level = logging.WARNING if first else logging.DEBUG
        log.log(
            level,
            "fleet history: unreadable message on %s (%d problem(s))",
            topic,
            error.error_count(),
        )

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            with self._lock:
                self._busy = len(batch)
            stop = any(item is None for item in batch)
            try:
                self._write([item for item in batch if item is not None])
            except HistoryError as e:  # the file is damaged or full: say so, keep serving
                log.error("fleet history: %s", e)
            except Exception:
                log.exception("fleet history: writing failed")
            finally:
                for _ in batch:
                    self._queue.task_done()
                with self._idle:
                    self._busy = 0
                    self._idle.notify_all()
            if stop:
                return

    def _write(self, items: list[Event | EventUpdate]) -> None:
        events = [i for i in items if isinstance(i, Event)]
        updates = [i for i in items if isinstance(i, EventUpdate)]
        added = self._history.add_many(events) if events else 0
        if self._on_stored is not None and events:
            self._on_stored(events, time.time())
        with self._lock:
            self._received += len(events)
            self._stored += added
            self._duplicates += len(events) - added
            self._updates += len(updates)
            # Updates that were waiting for one of these events.
            ready = [self._waiting.pop(e.id) for e in events if e.id in self._waiting]
        for update in [*ready, *updates]:
            if not self._history.set_summary(update.id, update.summary, update.summary_source):
                with self._lock:
                    self._waiting[update.id] = update
                    while len(self._waiting) > MAX_WAITING_UPDATES:
                        self._waiting.popitem(last=False)
