"""Runs a Query against the event history (and the live state for 'now'): read-only SQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.adapters.history import EventHistory
from agent.ask.installation import Installation
from agent.ask.query import Query, TimeRange
from agent.ask.timerange import resolve
from agent.core.events import CameraState, Event
from agent.core.kinds import COMING_KINDS, LEAVING_KINDS, EventKind

MAX_LISTED = 5

LiveState = Callable[[], Mapping[str, CameraState]]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sighting(_Frozen):
    """One stored event, as the answer may tell it."""

    at: AwareDatetime = Field(description="When it started (local time).")
    camera: str
    kind: EventKind
    objects: dict[str, int] = Field(description="Label -> how many.")
    zones: list[str] = Field(default_factory=list)
    event: Event | None = Field(None, description="The stored event, for listings.")


class Facts(_Frozen):
    """Everything the history says about a query; the answer may state nothing else."""

    range: TimeRange
    history_start: AwareDatetime | None = Field(description="Oldest stored event, if any.")
    coverage: str = Field(description="full, partial (starts before the history), none, empty.")
    count: int | None = Field(
        0, description="Matching events; None when not counted (first or last seen)."
    )
    objects: int = Field(0, description="Objects in them, summed per event and label.")
    first: Sighting | None = None
    last: Sighting | None = None
    per_label: dict[str, int] = Field(default_factory=dict, description="Events per label.")
    per_kind: dict[str, int] = Field(default_factory=dict, description="Events per kind.")
    listed: list[Sighting] = Field(default_factory=list, description="Latest events, newest last.")
    duration_seconds: float | None = Field(None, description="Time between comings and goings.")
    visits: int = Field(0, description="Coming-and-going pairs the duration sums.")
    still_there: bool = Field(False, description="The last coming had no going yet.")
    past_the_end: bool = Field(
        False, description="The last visit went on after the period; counted up to its end."
    )
    present: dict[str, int] | None = Field(
        None, description="Live counts per label (None = no live state here)."
    )
    present_at: AwareDatetime | None = None


def default_kinds(query: Query) -> list[EventKind]:
    if query.kinds:
        return list(query.kinds)
    if query.what == "count":
        return list(COMING_KINDS)
    return []


def execute(
    query: Query,
    history: EventHistory,
    installation: Installation,
    now: datetime,
    live: LiveState | None = None,
) -> Facts:
    """The facts the query asks for; never writes, never sends anything."""
    period = resolve(query.time, now, query.language, installation.night)
    oldest = history.oldest()
    start = oldest.astimezone(now.tzinfo) if oldest is not None else None
    if start is None:
        coverage = "empty"
    elif period.end <= start:
        coverage = "none"
    elif period.start is not None and period.start < start and query.time.name != "all":
        coverage = "partial"
    else:
        coverage = "full"
    base = Facts(range=period, history_start=start, coverage=coverage)
    if query.unseen and not query.labels:
        return base  # only things the detector cannot see: nothing to look up
    if query.what == "present_now":
        return _present(query, history, installation, now, live, base)
    if coverage in ("empty", "none"):
        return base
    where, params = _where(query, period, default_kinds(query))
    if query.what == "duration":
        return _duration(query, history, where, params, period, now, base)
    if query.what in ("first_seen", "last_seen"):  # one indexed lookup, nothing counted
        order = "ASC" if query.what == "first_seen" else "DESC"
        found = _sighting_at(history, query, where, params, order, now)
        return base.model_copy(update={"count": None, "first" if order == "ASC" else "last": found})
    stats = history.query(
        "SELECT COUNT(DISTINCT event_id), MIN(started_ts), MAX(started_ts) FROM event_objects "
        + where,
        params,
    )[0]
    count = int(stats[0])
    if not count:
        return base
    per_label = dict(
        history.query(
            f"SELECT label, COUNT(DISTINCT event_id) FROM event_objects {where} GROUP BY label "
            "ORDER BY 2 DESC, 1",
            params,
        )
    )
    per_kind = dict(
        history.query(
            f"SELECT kind, COUNT(DISTINCT event_id) FROM event_objects {where} GROUP BY kind "
            "ORDER BY 2 DESC, 1",
            params,
        )
    )
    objects = history.query(
        f"SELECT SUM(c) FROM (SELECT MAX(count) AS c FROM event_objects {where} "
        "GROUP BY event_id, label)",
        params,
    )[0][0]
    first = _sighting_at(history, query, where, params, "ASC", now)
    last = _sighting_at(history, query, where, params, "DESC", now)
    listed: list[Sighting] = []
    if query.what in ("what_happened", "summary"):
        listed = _latest(history, query, where, params, now)
    return base.model_copy(
        update={
            "count": count,
            "objects": int(objects or 0),
            "first": first,
            "last": last,
            "per_label": per_label,
            "per_kind": per_kind,
            "listed": listed,
        }
    )


def _where(
    query: Query, period: TimeRange, kinds: list[EventKind]
) -> tuple[str, tuple[object, ...]]:
    clauses = ["started_ts < ?"]
    params: list[object] = [period.end.timestamp()]
    if period.start is not None:
        clauses.append("started_ts >= ?")
        params.append(period.start.timestamp())
    for column, values in (
        ("label", query.labels),
        ("zone", query.zones),
        ("camera", query.cameras),
        ("kind", kinds),
    ):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params += values
    return "WHERE " + " AND ".join(clauses), tuple(params)


def _local(ts: float, now: datetime) -> datetime:
    return datetime.fromtimestamp(ts, UTC).astimezone(now.tzinfo)


def _sighting_at(
    history: EventHistory,
    query: Query,
    where: str,
    params: tuple[object, ...],
    order: str,
    now: datetime,
) -> Sighting | None:
    rows = history.query(
        f"SELECT event_id FROM event_objects {where} ORDER BY started_ts {order}, event_id "
        f"{order} LIMIT 1",
        params,
    )
    return _sightings(history, query, [rows[0][0]], now)[0] if rows else None


def _latest(
    history: EventHistory, query: Query, where: str, params: tuple[object, ...], now: datetime
) -> list[Sighting]:
    rows = history.query(
        f"SELECT DISTINCT event_id, started_ts FROM event_objects {where} "
        f"ORDER BY started_ts DESC, event_id DESC LIMIT {MAX_LISTED}",
        params,
    )
    return list(reversed(_sightings(history, query, [r[0] for r in rows], now)))


def _sightings(
    history: EventHistory, query: Query, ids: list[str], now: datetime
) -> list[Sighting]:
    """The matching objects of these events (only the asked labels and zones)."""
    found: list[Sighting] = []
    for event_id in ids:
        rows = [
            r
            for r in history.query(
                "SELECT label, zone, count, camera, kind, started_ts FROM event_objects "
                "WHERE event_id = ?",
                (event_id,),
            )
            if (not query.labels or r[0] in query.labels)
            and (not query.zones or r[1] in query.zones)
        ]
        objects: dict[str, int] = {}
        zones: list[str] = []
        for label, zone, count, _camera, _kind, _ts in rows:
            objects[label] = max(objects.get(label, 0), int(count))
            if zone and zone not in zones:
                zones.append(zone)
        _, _, _, camera, kind, ts = rows[0]
        found.append(
            Sighting(
                at=_local(ts, now),
                camera=camera,
                kind=kind,
                objects=objects,
                zones=zones,
                event=history.get(event_id),
            )
        )
    return found


def _duration(
    query: Query,
    history: EventHistory,
    where: str,
    params: tuple[object, ...],
    period: TimeRange,
    now: datetime,
    base: Facts,
) -> Facts:
    """Time from each coming to the next going, summed over the period."""
    kinds = (*COMING_KINDS, *LEAVING_KINDS)
    where += f" AND kind IN ({','.join('?' * len(kinds))})"
    rows = history.query(
        f"SELECT DISTINCT event_id, started_ts, kind FROM event_objects {where} "
        "ORDER BY started_ts, event_id",
        (*params, *kinds),
    )
    total, visits, opened = 0.0, 0, None
    first_id: str | None = None  # the first coming that opened a visit
    for event_id, ts, kind in rows:
        if kind in COMING_KINDS and opened is None:
            opened = ts
            first_id = first_id or event_id
        elif kind in LEAVING_KINDS and opened is not None:
            total += ts - opened
            visits += 1
            opened = None
    still = opened is not None
    clipped = False
    if still:
        total += min(period.end, now).timestamp() - opened  # type: ignore[operator]
        visits += 1
        # A visit that ended after the period (in at 21:00 yesterday, out at 05:12 today)
        # counts up to the period's end, and is not 'still there'.
        after = TimeRange(start=period.end, end=now + timedelta(seconds=1), label="")
        later_where, later_params = _where(query, after, list(LEAVING_KINDS))
        clipped = bool(
            history.query(f"SELECT 1 FROM event_objects {later_where} LIMIT 1", later_params)
        )
        still = not clipped
    if not rows:
        return base
    first = _sightings(history, query, [first_id or rows[0][0]], now)[0]
    last = _sightings(history, query, [rows[-1][0]], now)[0]
    return base.model_copy(
        update={
            "count": len(rows),
            "duration_seconds": total if visits else None,
            "visits": visits,
            "still_there": still,
            "past_the_end": clipped,
            "first": first,
            "last": last,
        }
    )


def _present(
    query: Query,
    history: EventHistory,
    installation: Installation,
    now: datetime,
    live: LiveState | None,
    base: Facts,
) -> Facts:
    states = live() if live is not None else None
    if not states:
        # No live view from here: the latest stored sighting is the most that can be said.
        everything = query.model_copy(update={"what": "last_seen", "kinds": []})
        period = resolve(everything.time.model_copy(update={"name": "all"}), now, "en")
        where, params = _where(everything, period, [])
        last = _sighting_at(history, everything, where, params, "DESC", now)
        return base.model_copy(update={"last": last})
    present: dict[str, int] = {}
    updated: datetime | None = None
    for camera, state in states.items():
        if query.cameras and camera not in query.cameras:
            continue
        if query.zones:
            counts: dict[str, int] = {}
            for zone in query.zones:
                for label, n in state.zones.get(zone, {}).items():
                    counts[label] = counts.get(label, 0) + n
        else:
            counts = dict(state.counts)
        for label, n in counts.items():
            if n and (not query.labels or label in query.labels):
                present[label] = present.get(label, 0) + n
        updated = state.updated_at if updated is None else max(updated, state.updated_at)
    return base.model_copy(
        update={
            "present": present,
            "present_at": updated.astimezone(now.tzinfo) if updated else None,
        }
    )
