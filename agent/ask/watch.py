"""Standing questions ('watches'): 'tell me when the cows leave the barn'.

A watch is a typed query turned into a temporary rule with an expiry. It is kept in a small
JSON file (so it survives a restart), bounded in number, and fires from the core's own
events: the camera worker hands every event to the watch sink in the frame it was made,
the first matching event fires the watch once, and the watch ends. Its notice goes to MQTT
only, never into the history, so counts do not double.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from ulid import ULID

from agent.ask.query import Query
from agent.core.events import CameraState, Event, EventUpdate
from agent.core.kinds import COMING_KINDS, EventKind, Language
from eva_errors import EvaError

log = logging.getLogger(__name__)

WATCHES_FILE = "watches.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Watch(_Frozen):
    """One standing question, as a rule: what to wait for, where, until when."""

    id: str = Field(description="Unique id (ULID), for listing and cancelling.")
    question: str = Field(description="The question as asked.")
    understood: str = Field(description="What is waited for, in words.")
    language: Language
    labels: list[str] = Field(default_factory=list, description="Labels; empty = any.")
    zones: list[str] = Field(default_factory=list, description="Zones; empty = anywhere.")
    cameras: list[str] = Field(default_factory=list, description="Cameras; empty = all.")
    kinds: list[EventKind] = Field(description="Event kinds that meet it.")
    created_at: AwareDatetime
    expires_at: AwareDatetime

    def meets(self, event: Event) -> bool:
        if event.kind not in self.kinds:
            return False
        if self.cameras and event.camera not in self.cameras:
            return False
        return any(
            (not self.labels or o.label in self.labels)
            and (not self.zones or set(o.zones) & set(self.zones))
            for o in event.objects
        )


class WatchNotice(_Frozen):
    """Published on <base>/watch when a watch fires (not retained, not a sighting)."""

    schema_version: Literal[1] = 1
    watch: Watch
    event_id: str = Field(description="The event that met it (already published and stored).")
    camera: str
    at: AwareDatetime = Field(description="When the event started.")
    text: str = Field(description="The watch's answer: 'You asked: …; <the event's sentence>'.")


class WatchNotTaken(EvaError):
    """A standing question that could not be set: `reason` names the refusal text
    (agent.ask.answer), `values` fill it in."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


class WatchTaker(Protocol):
    """Where the Asker sets a standing question: this agent's WatchBook, or in a fleet the
    agent that owns the camera (agent.service.fleet_watches)."""

    def place(
        self, query: Query, question: str, understood: str, expires_at: datetime
    ) -> tuple[Watch, str | None]:
        """The watch as set and the agent that keeps it (None: this process); raises
        WatchNotTaken saying why not."""
        ...


def new_watch(
    query: Query, question: str, understood: str, now: datetime, expires_at: datetime
) -> Watch:
    """A watch from a reading: coming by default, when the question names no direction."""
    return Watch(
        id=str(ULID()),
        question=question,
        understood=understood,
        language=query.language,
        labels=list(query.labels),
        zones=list(query.zones),
        cameras=list(query.cameras),
        kinds=list(query.kinds) or list(COMING_KINDS),
        created_at=now,
        expires_at=expires_at,
    )


class WatchBook:
    """The active watches: add, list, cancel, and fire on events; thread-safe."""

    def __init__(
        self,
        path: Path | None,
        limit: int,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        on_change: Callable[[list[Watch]], object] | None = None,
    ) -> None:
        self._on_change = on_change
        self._path = path
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._watches: dict[str, Watch] = {}
        self._load()

    @property
    def limit(self) -> int:
        return self._limit

    def add(
        self, query: Query, question: str, understood: str, expires_at: datetime
    ) -> Watch | None:
        """The new watch, or None when `limit` watches are already waiting."""
        return self.adopt(new_watch(query, question, understood, self._clock(), expires_at))

    def adopt(self, watch: Watch) -> Watch | None:
        """Keep a watch made elsewhere (a fleet hub hands it over); the same id twice keeps
        one (a redelivered request). None when `limit` watches are already waiting."""
        with self._lock:
            self._expire(self._clock())
            if watch.id in self._watches:
                return self._watches[watch.id]
            if len(self._watches) >= self._limit:
                return None
            self._watches[watch.id] = watch
            self._save()
        until = f"{watch.expires_at:%d.%m %H:%M}"
        log.info("watch %s: %s, until %s", watch.id, watch.understood, until)
        return watch

    def place(
        self, query: Query, question: str, understood: str, expires_at: datetime
    ) -> tuple[Watch, str | None]:
        """WatchTaker for a lone agent: kept here, or refused when the book is full."""
        watch = self.add(query, question, understood, expires_at)
        if watch is None:
            raise WatchNotTaken("too_many_watches", limit=self._limit)
        return watch, None

    def active(self) -> list[Watch]:
        with self._lock:
            self._expire(self._clock())
            return sorted(self._watches.values(), key=lambda w: w.id)

    def cancel(self, watch_id: str | None) -> list[Watch]:
        """Cancel one watch by id, or all of them (None); the ones cancelled."""
        with self._lock:
            if watch_id is None:
                gone = list(self._watches.values())
                self._watches.clear()
            else:
                gone = [w for w in (self._watches.pop(watch_id, None),) if w is not None]
            if gone:
                self._save()
        return gone

    def fire(self, event: Event) -> list[Watch]:
        """The watches this event meets, ended: each fires once."""
        with self._lock:
            if not self._watches:
                return []
            expired = self._expire(event.started_at)
            met = [w for w in self._watches.values() if w.meets(event)]
            for w in met:
                del self._watches[w.id]
            if met or expired:
                self._save()
        return met

    def _expire(self, now: datetime) -> bool:
        old = [i for i, w in self._watches.items() if w.expires_at <= now]
        for i in old:
            log.info("watch %s expired without firing", i)
            del self._watches[i]
        return bool(old)

    def _load(self) -> None:
        if self._path is None or not self._path.exists():
            return
        try:
            items = json.loads(self._path.read_text(encoding="utf-8"))
            watches = [Watch.model_validate(i) for i in items]
        except (OSError, ValueError, TypeError, ValidationError) as e:
            log.warning("watches in %s not read (%s); starting with none", self._path, e)
            return
        now = self._clock()
        self._watches = {w.id: w for w in watches[: self._limit] if w.expires_at > now}
        if self._watches:
            log.info("%d watch(es) kept from before the restart", len(self._watches))

    def publish(self) -> None:
        """Tell `on_change` the current list (at start, so a new subscriber sees it)."""
        with self._lock:
            self._expire(self._clock())
            self._save()

    def _save(self) -> None:
        if self._on_change is not None:
            try:
                self._on_change(sorted(self._watches.values(), key=lambda w: w.id))
            except Exception:
                log.exception("the list of watches was not published")
        if self._path is None:
            return
        data = [w.model_dump(mode="json") for w in self._watches.values()]
        tmp = self._path.with_suffix(".tmp")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self._path)
        except OSError as e:
            log.warning("watches not saved to %s: %s", self._path, e)


class WatchSink:
    """A camera sink: every event is checked against the watches in the frame it was made."""

    def __init__(self, book: WatchBook, notify: Callable[[WatchNotice], object]) -> None:
        self._book = book
        self._notify = notify

    def event(self, event: Event) -> None:
        for watch in self._book.fire(event):
            asked = "You asked" if watch.language == "en" else "Ви питали"
            notice = WatchNotice(
                watch=watch,
                event_id=event.id,
                camera=event.camera,
                at=event.started_at,
                text=f"{asked}: «{watch.question}». {event.summary}",
            )
            try:
                self._notify(notice)
            except Exception:
                log.exception("watch %s fired but its notice was not sent", watch.id)

    def update(self, update: EventUpdate) -> None:
        """A reworded event changes nothing a watch waits for."""

    def state(self, state: CameraState) -> None:
        """Watches fire on events, not on the running state."""


def expiry(period: str | None, now: datetime, night_end: int, default_hours: float) -> datetime:
    """When a watch stops waiting: 'tonight' at night_end, 'today' at midnight."""
    if period == "last_night":
        end = now.replace(hour=night_end, minute=0, second=0, microsecond=0)
        return end if end > now else end + timedelta(days=1)
    if period in ("today", "this_evening", "this_afternoon", "this_morning"):
        hours = {"this_morning": 12, "this_afternoon": 17}.get(period, 24)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return day + timedelta(hours=hours)
    return now + timedelta(hours=default_hours)
