"""Digests: what the stored events of a period add up to, worded for people and checked facts."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.core.events import Event, new_event_id
from agent.core.grounding import Grounding
from agent.core.kinds import COMING_KINDS, EventKind, Language
from agent.core.settings import ZoneConfig
from agent.core.text import en, uk

SIGHTING_KINDS: frozenset[str] = frozenset(COMING_KINDS)
_KIND_ORDER: tuple[EventKind, ...] = (
    "arrival",
    "zone_enter",
    "departure",
    "zone_exit",
    "dwell",
    "count_change",
)


class EventLog(Protocol):
    """Where the digest reads events from (the history, in the service)."""

    def between(self, start: datetime, end: datetime) -> list[Event]: ...


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DigestZone(_Frozen):
    """How sentences name a zone that appears in the facts."""

    title: str = Field(description="The zone's title, e.g. 'front door' (its name if untitled).")
    preposition: str = Field(description="English preposition before the title: 'in', 'at'.")


class DigestFacts(_Frozen):
    """What the events of one period add up to; every number here is a count of stored events
    or of the objects in them, so a sentence built from it can be checked against it."""

    period_start: AwareDatetime = Field(description="Start of the period (included).")
    period_end: AwareDatetime = Field(description="End of the period (excluded).")
    total_events: int = Field(ge=0, description="Events that started in the period.")
    events_by_kind: dict[EventKind, int] = Field(
        description="Events per kind; kinds without events are left out."
    )
    sightings: dict[str, int] = Field(
        description="Per label, objects that arrived or entered a zone: the sum of the object "
        "counts of arrival and zone_enter events (one animal in both kinds of event counts "
        "twice). Most first."
    )
    sightings_by_zone: dict[str, dict[str, int]] = Field(
        description="Per label and zone name, the part of `sightings` whose objects were in "
        "that zone (an object in two zones counts in each). Most first."
    )
    zones: dict[str, DigestZone] = Field(
        description="How to name each zone in `sightings_by_zone`, by zone name."
    )
    most_at_once: dict[str, int] = Field(
        default_factory=dict,
        description="Per label, the most objects in one event of any kind: the largest number "
        "seen at one moment, unlike `sightings`, which add up over the period. Most first.",
    )
    alerts: int = Field(ge=0, description="Events with severity 'alert'.")
    busiest_hour: str | None = Field(
        description="Start of the local clock hour (HH:00) in which most events started; "
        "the earliest on a tie; None without events."
    )
    busiest_hour_events: int = Field(ge=0, description="Events that started in that hour.")
    first_sighting: dict[str, str] = Field(
        description="Per label in `sightings`, local start time (HH:MM) of its first sighting."
    )
    last_sighting: dict[str, str] = Field(
        description="Per label in `sightings`, local start time (HH:MM) of its last sighting."
    )


class Digest(_Frozen):
    """A periodic summary of all cameras' events, published on <base>/digest."""

    schema_version: Literal[1] = Field(1, description="Version of this schema.")
    id: str = Field(description="Unique, time-sortable id (ULID) from the period's end.")
    name: str = Field(description="The digest's name from the configuration, e.g. 'hourly'.")
    period_start: AwareDatetime = Field(description="Start of the period covered (ISO 8601).")
    period_end: AwareDatetime = Field(description="End of the period covered (ISO 8601).")
    facts: DigestFacts = Field(description="The counts the title and summary are built from.")
    title: str = Field(max_length=255, description="A short headline.")
    summary: str = Field(description="A few plain-language sentences.")
    summary_source: str = Field(
        description="Who wrote the summary: 'template', or a model such as 'ollama:qwen2.5:0.5b'."
    )
    language: Language = Field(description="Language of title and summary.")


def digest_facts(
    events: list[Event],
    start: datetime,
    end: datetime,
    zones_by_camera: dict[str, dict[str, ZoneConfig]] | None = None,
) -> DigestFacts:
    """The facts of the events that started in [start, end); others are ignored."""
    inside = sorted(
        (e for e in events if start <= e.started_at < end), key=lambda e: (e.started_at, e.id)
    )
    kinds = Counter(e.kind for e in inside)
    hours = Counter(_local(e.started_at).replace(minute=0, second=0, microsecond=0) for e in inside)
    sightings: Counter[str] = Counter()
    by_zone: dict[str, Counter[str]] = defaultdict(Counter)
    zones: dict[str, DigestZone] = {}
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    at_once: Counter[str] = Counter()
    for e in inside:
        for o in e.objects:
            at_once[o.label] = max(at_once[o.label], o.count)
        if e.kind not in SIGHTING_KINDS:
            continue
        clock = _clock(e.started_at)
        for o in e.objects:
            sightings[o.label] += o.count
            first.setdefault(o.label, clock)
            last[o.label] = clock
            for z in o.zones:
                by_zone[o.label][z] += o.count
                zones.setdefault(z, _zone(z, (zones_by_camera or {}).get(e.camera, {})))
    ordered = _most_first(sightings)
    busiest = min(hours.items(), key=lambda kv: (-kv[1], kv[0])) if hours else None
    return DigestFacts(
        period_start=_local(start),
        period_end=_local(end),
        total_events=len(inside),
        events_by_kind={k: kinds[k] for k in _KIND_ORDER if kinds[k]},
        sightings=ordered,
        sightings_by_zone={
            label: _most_first(by_zone[label]) for label in ordered if label in by_zone
        },
        zones=dict(sorted(zones.items())),
        most_at_once=_most_first(at_once),
        alerts=sum(e.severity == "alert" for e in inside),
        busiest_hour=busiest[0].strftime("%H:00") if busiest else None,
        busiest_hour_events=busiest[1] if busiest else 0,
        first_sighting=first,
        last_sighting=last,
    )


def build_digest(
    history: EventLog,
    name: str,
    window_hours: float,
    now: datetime,
    language: Language,
    zones_by_camera: dict[str, dict[str, ZoneConfig]] | None = None,
) -> Digest:
    """The digest of the `window_hours` before `now` (aware), with template wording."""
    start = now - timedelta(hours=window_hours)
    facts = digest_facts(history.between(start, now), start, now, zones_by_camera)
    title, summary = digest_text(facts, name, language)
    return Digest(
        id=new_event_id(now),
        name=name,
        period_start=facts.period_start,
        period_end=facts.period_end,
        facts=facts,
        title=title,
        summary=summary,
        summary_source="template",
        language=language,
    )


def digest_grounding(
    facts: DigestFacts, language: Language, zones: dict[str, list[str]] | None = None
) -> Grounding:
    """What a model's digest sentence may say; `zones` maps every configured zone to its words.

    A number before an object word ('2 cows') must be a count seen at one moment; sightings
    add up over the period and may only be told as sightings or times ('cows, 3 sightings').
    """
    labels = {label: [n] for label, n in facts.most_at_once.items()}
    for label in facts.sightings:  # digests stored before most_at_once was recorded
        labels.setdefault(label, [1])
    sightings = {
        label: sorted({n, *facts.sightings_by_zone.get(label, {}).values()})
        for label, n in facts.sightings.items()
    }
    numbers = {facts.total_events, facts.alerts, *facts.events_by_kind.values()}
    if facts.busiest_hour is not None:
        numbers.add(facts.busiest_hour_events)
    span = _span(facts)
    if span is not None:  # the wording says 'in the last 2 days'
        numbers.add(span[0])
    times = {_clock(facts.period_start), _clock(facts.period_end)}
    times |= {*facts.first_sighting.values(), *facts.last_sighting.values()}
    if facts.busiest_hour is not None:
        times.add(facts.busiest_hour)
    known = zones or {}
    return Grounding(
        language=language,
        labels=labels,
        sightings=sightings,
        numbers=sorted(numbers),
        times=sorted(times),
        direction="none",
        zones={n: known.get(n) or _words(n, z) for n, z in facts.zones.items()},
        other_zones={n: w for n, w in known.items() if n not in facts.zones},
        require_all_labels=False,
        max_sentences=1,
        max_words=80,
        busiest=(facts.busiest_hour, facts.busiest_hour_events)
        if facts.busiest_hour is not None
        else None,
    )


def digest_text(facts: DigestFacts, name: str, language: Language) -> tuple[str, str]:
    """(title, summary) built from the facts alone, in English or Ukrainian."""
    if language == "uk":
        return _Ukrainian(facts).text(name)
    return _English(facts).text(name)


class _English:
    _KINDS = {
        "departure": "departure",
        "zone_exit": "zone exit",
        "dwell": "long stay",
        "count_change": "count change",
    }

    def __init__(self, facts: DigestFacts) -> None:
        self.f = facts

    def text(self, name: str) -> tuple[str, str]:
        f = self.f
        head = name.replace("_", " ").capitalize() + " digest"
        span = _span(f)
        if f.total_events == 0:
            when = (
                f"between {_clock(f.period_start)} and {_clock(f.period_end)}"
                if span is None
                else f"in the last {self._span(span)}"
            )
            return f"{head}: nothing seen", f"Nothing was seen {when}."
        title = f"{head}: {_count(f.total_events, 'event')}"
        if f.alerts:
            title += f", {_count(f.alerts, 'alert')}"
        clauses = []
        if f.sightings:
            clauses.append(", ".join(self._sighting(label, n) for label, n in f.sightings.items()))
        others = [
            _count(n, self._KINDS[k]) for k, n in f.events_by_kind.items() if k in self._KINDS
        ]
        if others:
            clauses.append(", ".join(others))
        if f.busiest_hour is not None and f.total_events > 1:
            events = _count(f.busiest_hour_events, "event")
            clauses.append(f"busiest at {f.busiest_hour} with {events}")
        if f.alerts:
            clauses.append(_count(f.alerts, "alert"))
        lead = (
            f"Since {_clock(f.period_start)}" if span is None else f"In the last {self._span(span)}"
        )
        return title, f"{lead}: " + "; ".join(clauses) + "."

    def _sighting(self, label: str, n: int) -> str:
        if n == 1:
            text = f"{en.noun_phrase(label, 1)} arrived"
        else:  # a count over the period, never 'n cows', which would say they came at once
            one = self.f.most_at_once.get(label, 1) == 1
            text = f"{n} sightings of {en.noun_phrase(label, 1) if one else en.plural(label)}"
        per_zone = self.f.sightings_by_zone.get(label, {})
        if len(per_zone) == 1 and n in per_zone.values():
            return f"{text} {self._place(next(iter(per_zone)))}"
        if per_zone:
            text += " (" + ", ".join(f"{c} {self._place(z)}" for z, c in per_zone.items()) + ")"
        return text

    def _place(self, zone: str) -> str:
        z = self.f.zones.get(zone)
        return f"{z.preposition} the {z.title}" if z else f"in the {zone}"

    @staticmethod
    def _span(span: tuple[int, str]) -> str:
        n, unit = span
        return _count(n, "day" if unit == "days" else "hour")


class _Ukrainian:
    _EVENTS = ("подія", "події", "подій")
    _ALERTS = ("тривога", "тривоги", "тривог")
    _TIMES = ("раз", "рази", "разів")
    _DAYS = ("день", "дні", "днів")
    _HOURS = ("годину", "години", "годин")  # after 'за': accusative
    _KINDS: dict[str, tuple[str, str, str]] = {
        "departure": ("зникнення", "зникнення", "зникнень"),
        "zone_exit": ("вихід із зони", "виходи із зон", "виходів із зон"),
        "dwell": ("тривале перебування", "тривалі перебування", "тривалих перебувань"),
        "count_change": ("зміна кількості", "зміни кількості", "змін кількості"),
    }
    # 'appeared' by the noun's gender (m, f, n) and for plural forms
    _APPEARED = {"m": "з'явився", "f": "з'явилася", "n": "з'явилося"}

    def __init__(self, facts: DigestFacts) -> None:
        self.f = facts

    def text(self, name: str) -> tuple[str, str]:
        f = self.f
        head = f"Дайджест «{name}»"
        span = _span(f)
        if f.total_events == 0:
            if span is None:
                when = f"Між {_clock(f.period_start)} і {_clock(f.period_end)}"
            else:
                when = f"За {self._span(span)}"
            return f"{head}: нічого не помічено", f"{when} нічого не помічено."
        title = f"{head}: {_uk_count(f.total_events, self._EVENTS)}"
        if f.alerts:
            title += f", {_uk_count(f.alerts, self._ALERTS)}"
        clauses = []
        if f.sightings:
            clauses.append(", ".join(self._sighting(label, n) for label, n in f.sightings.items()))
        others = [
            _uk_count(n, self._KINDS[k]) for k, n in f.events_by_kind.items() if k in self._KINDS
        ]
        if others:
            clauses.append(", ".join(others))
        if f.busiest_hour is not None and f.total_events > 1:
            events = _uk_count(f.busiest_hour_events, self._EVENTS)
            clauses.append(f"найжвавіше о {f.busiest_hour} — {events}")
        if f.alerts:
            clauses.append(_uk_count(f.alerts, self._ALERTS))
        lead = f"З {_clock(f.period_start)}" if span is None else f"За {self._span(span)}"
        return title, f"{lead}: " + "; ".join(clauses) + "."

    def _sighting(self, label: str, n: int) -> str:
        noun = uk.noun(label)
        if n == 1:
            text = f"{noun.one} {self._APPEARED[noun.gender]}"
        else:  # a count over the period: 'корова — 3 рази', never '3 корови'
            text = f"{noun.one} — {_uk_count(n, self._TIMES)}"
        per_zone = self.f.sightings_by_zone.get(label, {})
        if len(per_zone) == 1 and n in per_zone.values():
            return f"{text} {self._place(next(iter(per_zone)))}"
        if per_zone:
            text += " (" + ", ".join(f"{c} {self._place(z)}" for z, c in per_zone.items()) + ")"
        return text

    def _place(self, zone: str) -> str:
        z = self.f.zones.get(zone)
        return f"у зоні «{z.title if z else zone}»"

    def _span(self, span: tuple[int, str]) -> str:
        n, unit = span
        return _uk_count(n, self._DAYS if unit == "days" else self._HOURS)


def _span(facts: DigestFacts) -> tuple[int, str] | None:
    """For periods of a day or more, (n, 'days'|'hours'); shorter ones are told by the clock."""
    hours = (facts.period_end - facts.period_start).total_seconds() / 3600
    if hours < 24:
        return None
    if hours % 24 == 0 and hours > 24:
        return int(hours // 24), "days"
    return round(hours), "hours"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun if n == 1 else en.plural(noun)}"


def _uk_count(n: int, forms: tuple[str, str, str]) -> str:
    return f"{n} {forms[('one', 'few', 'many').index(uk.plural_form(n))]}"


def _most_first(counts: Counter[str]) -> dict[str, int]:
    """Counts ordered by size, then by name, so texts and payloads are stable."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _zone(name: str, zones: dict[str, ZoneConfig]) -> DigestZone:
    z = zones.get(name)
    if z is None:
        return DigestZone(title=name.replace("_", " "), preposition="in")
    return DigestZone(title=z.display, preposition=z.preposition)


def _words(name: str, zone: DigestZone) -> list[str]:
    return list(dict.fromkeys([name, zone.title]))


def _local(at: datetime) -> datetime:
    """The same instant on the local clock, like event templates use."""
    return at.astimezone()


def _clock(at: datetime) -> str:
    return _local(at).strftime("%H:%M")
