"""Digests: facts from stored events over an injected clock, their wording, grounding, payload."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ulid import ULID

from agent.adapters.history import EventHistory
from agent.core.digest import (
    Digest,
    DigestFacts,
    build_digest,
    digest_facts,
    digest_grounding,
    digest_text,
)
from agent.core.events import Event, EventObject, new_event_id
from agent.core.kinds import EventKind, Language, Severity
from agent.core.settings import ZoneConfig
from agent.llm.prompt import digest_facts_line
from agent.llm.verify import verify

# 06:00 on the Kyiv clock (UTC+2 in January): clock strings must come out local, not UTC.
START = datetime(2027, 1, 15, 4, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def kyiv_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset to set the local time zone")
    monkeypatch.setenv("TZ", "Europe/Kyiv")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def ev(
    minutes: float,
    kind: EventKind,
    *objects: tuple[str, int, list[str]],
    severity: Severity = "info",
    camera: str = "barn",
) -> Event:
    at = START + timedelta(minutes=minutes)
    return Event(
        id=new_event_id(at),
        camera=camera,
        rule=kind,
        kind=kind,
        started_at=at,
        ended_at=at + timedelta(seconds=10),
        objects=[
            EventObject(
                label=label,
                count=n,
                previous_count=0 if kind == "count_change" else None,
                zones=zones,
                max_score=0.8,
            )
            for label, n, zones in objects
        ],
        severity=severity,
        title="t",
        summary="s",
        summary_source="template",
        language="en",
    )


ZONES = {
    "barn": {
        "gate": ZoneConfig(name="gate", title="gate", preposition="at"),
        "hen_house": ZoneConfig(name="hen_house", title="hen house", preposition="in"),
    }
}


def scene() -> list[Event]:
    """Two hours at a farm; the busy hour is 07:00 (Kyiv) with 4 events."""
    return [
        ev(-1, "arrival", ("cow", 5, [])),  # before the period: ignored
        ev(5, "arrival", ("cow", 2, ["gate"])),
        ev(61, "arrival", ("cow", 1, []), ("person", 1, [])),
        ev(70, "zone_enter", ("fox", 1, ["hen_house"]), severity="alert"),
        ev(75, "departure", ("cow", 3, [])),
        ev(80, "count_change", ("cow", 4, [])),
        ev(120, "arrival", ("dog", 1, [])),  # at the end: excluded
    ]


def facts() -> DigestFacts:
    return digest_facts(scene(), START, START + 2 * HOUR, ZONES)


def test_facts_counts() -> None:
    f = facts()
    assert f.total_events == 5
    assert f.events_by_kind == {"arrival": 2, "zone_enter": 1, "departure": 1, "count_change": 1}
    assert f.sightings == {"cow": 3, "fox": 1, "person": 1}
    assert list(f.sightings) == ["cow", "fox", "person"]  # most first, then by name
    assert f.sightings_by_zone == {"cow": {"gate": 2}, "fox": {"hen_house": 1}}
    assert f.zones["hen_house"].title == "hen house"
    assert f.zones["gate"].preposition == "at"
    assert f.most_at_once == {"cow": 4, "fox": 1, "person": 1}  # the count change had 4
    assert f.alerts == 1
    assert (f.busiest_hour, f.busiest_hour_events) == ("07:00", 4)
    assert f.first_sighting == {"cow": "06:05", "person": "07:01", "fox": "07:10"}
    assert f.last_sighting == {"cow": "07:01", "person": "07:01", "fox": "07:10"}
    assert f.period_start.strftime("%H:%M") == "06:00"
    assert f.period_start == START


def test_busiest_hour_tie_takes_the_earliest() -> None:
    events = [ev(10, "arrival", ("cow", 1, [])), ev(70, "arrival", ("cow", 1, []))]
    f = digest_facts(events, START, START + 2 * HOUR)
    assert (f.busiest_hour, f.busiest_hour_events) == ("06:00", 1)


def test_unknown_zone_is_named_by_its_name() -> None:
    f = digest_facts([ev(1, "zone_enter", ("cow", 2, ["back_field"]))], START, START + HOUR)
    assert f.zones["back_field"].title == "back field"
    assert (
        digest_text(f, "hourly", "en")[1] == "Since 06:00: 2 sightings of cows in the back field."
    )


def test_empty_period() -> None:
    f = digest_facts([], START, START + HOUR)
    assert f.total_events == 0 and f.sightings == {} and f.alerts == 0
    assert (f.busiest_hour, f.busiest_hour_events) == (None, 0)
    assert digest_text(f, "hourly", "en") == (
        "Hourly digest: nothing seen",
        "Nothing was seen between 06:00 and 07:00.",
    )
    assert digest_text(f, "hourly", "uk") == (
        "Дайджест «hourly»: нічого не помічено",
        "Між 06:00 і 07:00 нічого не помічено.",
    )


def test_long_empty_period_is_told_in_days() -> None:
    f = digest_facts([], START, START + 48 * HOUR)
    assert digest_text(f, "weekly", "en")[1] == "Nothing was seen in the last 2 days."
    assert digest_text(f, "weekly", "uk")[1] == "За 2 дні нічого не помічено."


def test_english_text() -> None:
    assert digest_text(facts(), "morning", "en") == (
        "Morning digest: 5 events, 1 alert",
        "Since 06:00: 3 sightings of cows (2 at the gate), a fox arrived in the hen house, "
        "a person arrived; 1 departure, 1 count change; busiest at 07:00 with 4 events; "
        "1 alert.",
    )


def test_ukrainian_text() -> None:
    assert digest_text(facts(), "morning", "uk") == (
        "Дайджест «morning»: 5 подій, 1 тривога",
        "З 06:00: корова — 3 рази (2 у зоні «gate»), об'єкт «fox» з'явився у зоні "
        "«hen house», людина з'явилася; 1 зникнення, 1 зміна кількості; "
        "найжвавіше о 07:00 — 4 події; 1 тривога.",
    )


def test_ukrainian_plural_forms() -> None:
    events = [ev(1, "arrival", ("cow", 21, []), severity="alert")]
    events += [ev(2 + i, "arrival", ("sheep", 1, []), severity="alert") for i in range(5)]
    title, summary = digest_text(digest_facts(events, START, START + HOUR), "hourly", "uk")
    assert title == "Дайджест «hourly»: 6 подій, 6 тривог"
    assert summary == (
        "З 06:00: корова — 21 раз, вівця — 5 разів; найжвавіше о 06:00 — 6 подій; 6 тривог."
    )


def test_single_event_has_no_busiest_clause() -> None:
    f = digest_facts([ev(1, "arrival", ("person", 1, []))], START, START + HOUR)
    assert digest_text(f, "hourly", "en") == (
        "Hourly digest: 1 event",
        "Since 06:00: a person arrived.",
    )


def test_grounding() -> None:
    zones = {"gate": ["gate"], "hen_house": ["hen_house", "hen house"], "yard": ["yard"]}
    g = digest_grounding(facts(), "en", zones)
    assert g.labels == {"cow": [4], "fox": [1], "person": [1]}  # seen at one moment
    assert g.sightings == {"cow": [2, 3], "fox": [1], "person": [1]}  # over the period
    assert g.numbers == [1, 2, 4, 5]
    assert g.times == ["06:00", "06:05", "07:00", "07:01", "07:10", "08:00"]
    assert g.direction == "none" and g.require_all_labels is False
    assert g.zones == {"gate": ["gate"], "hen_house": ["hen_house", "hen house"]}
    assert g.other_zones == {"yard": ["yard"]}


@pytest.mark.parametrize(
    ("language", "text", "ok"),
    [
        ("en", "Cows were seen 3 times, busiest at 07:00 with 4 events.", True),
        ("en", "Cows were seen 3 times; the morning was the busiest.", False),
        ("en", "Cows were seen 3 times, busiest hour 07:00.", False),  # no count
        ("uk", "Корів бачили 3 рази, найжвавіше о 07:00 — 4 події.", True),
        ("uk", "Корів бачили 3 рази, найжвавіше було вранці.", False),
    ],
)
def test_busiest_must_name_the_hour_and_its_count(language: Language, text: str, ok: bool) -> None:
    problems = verify(text, digest_grounding(facts(), language))
    busiest = [p for p in problems if "busiest" in p]
    assert (busiest == []) is ok, problems


def test_grounding_without_zone_words_uses_the_titles() -> None:
    g = digest_grounding(facts(), "uk")
    assert g.language == "uk"
    assert g.zones == {"gate": ["gate"], "hen_house": ["hen_house", "hen house"]}
    assert g.other_zones == {}


def test_build_digest_from_history_round_trips(tmp_path: Path) -> None:
    history = EventHistory(tmp_path / "events.db")
    try:
        for e in scene():
            history.add(e)
        now = START + 2 * HOUR
        digest = build_digest(history, "morning", 2, now, "en", ZONES)
    finally:
        history.close()
    assert digest.facts == facts()
    assert (digest.period_start, digest.period_end) == (START, now)
    assert digest.title == "Morning digest: 5 events, 1 alert"
    assert digest.summary_source == "template" and digest.language == "en"
    assert ULID.from_str(digest.id).datetime == now
    again = Digest.model_validate_json(digest.model_dump_json())
    assert again == digest


def test_every_payload_field_is_described() -> None:
    schema = Digest.model_json_schema()
    for model in (schema, schema["$defs"]["DigestFacts"], schema["$defs"]["DigestZone"]):
        missing = [n for n, p in model["properties"].items() if "description" not in p]
        assert missing == []


# --- a digest sentence may name only the facts' places, and tells sightings as sightings -----

BAD_DIGEST = "The busiest event was 29 people at the front door at 05:29."


def porch_day() -> DigestFacts:
    """29 sightings of one person on the porch over a day, from 05:29 (Kyiv)."""
    events = [ev(-31 + 30 * i, "arrival", ("person", 1, ["porch"])) for i in range(29)]
    return digest_facts(events, START - HOUR, START + 23 * HOUR, PORCH)


PORCH = {"barn": {"porch": ZoneConfig(name="porch", preposition="on")}}
PORCH_WORDS = {"porch": ["porch"], "driveway": ["driveway"]}  # configured; no front door


def test_the_front_door_digest_is_rejected() -> None:
    """The sentence a model wrote for 'Digest now'; the verifier used to pass it."""
    f = porch_day()
    assert (f.sightings, f.most_at_once, f.first_sighting) == (
        {"person": 29},
        {"person": 1},
        {"person": "05:29"},
    )
    problems = verify(BAD_DIGEST, digest_grounding(f, "en", PORCH_WORDS))
    assert "it names the place 'door', but the zones in the facts are 'porch'" in problems
    assert (
        "it says 29 people, but 29 is the number of sightings over the period; "
        "at most 1 person seen at once" in problems
    )


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "A person was seen 29 times on the porch, first at 05:29."),
        ("en", "There were 29 sightings of a person on the porch."),
        ("en", "Someone came to the porch 29 times today."),
        ("uk", "Людину помітили 29 разів у зоні «porch»."),
    ],
)
def test_sightings_told_as_sightings_pass(language: Language, text: str) -> None:
    assert verify(text, digest_grounding(porch_day(), language, PORCH_WORDS)) == []


@pytest.mark.parametrize(
    ("language", "text", "problem"),
    [
        ("en", "29 people came to the porch.", "29 is the number of sightings"),
        ("en", "Twenty-nine people visited the porch.", "29 is the number of sightings"),
        ("en", "A person was seen 30 times on the porch.", "it says 30 times, which is not"),
        ("en", "A person was seen 29 times at the gate.", "the place 'gate', but the zones"),
        ("en", "A person was seen 29 times on the driveway.", "the zone 'driveway'"),
        ("uk", "29 людей прийшли до зони «porch».", "29 is the number of sightings"),
        ("uk", "Людину помітили 29 разів біля дверей.", "the place 'дверей'"),
    ],
)
def test_digest_sentences_with_false_places_or_counts_are_rejected(
    language: Language, text: str, problem: str
) -> None:
    problems = verify(text, digest_grounding(porch_day(), language, PORCH_WORDS))
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("language", ["en", "uk"])
def test_template_digests_pass_the_verifier(language: Language) -> None:
    for f in (facts(), porch_day()):
        summary = digest_text(f, "daily", language)[1]
        assert verify(summary, digest_grounding(f, language)) == [], summary


def test_the_facts_for_a_model_keep_sightings_apart_from_counts_at_once() -> None:
    line = digest_facts_line(porch_day(), "en")
    assert "sightings over the period: person 29 times (29 on the porch)" in line
    assert "most seen at once: a person" in line
    uk_line = digest_facts_line(porch_day(), "uk")
    assert "помічено за період: людина 29 разів (29 у зоні «porch»)" in uk_line
    assert "найбільше одночасно: людина" in uk_line
