"""Standing questions: read into a watch, confirmed in words, fired once by the core's own
event in its frame, kept over a restart, bounded, listed and cancelled over MQTT."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, Subscriber

from agent.adapters.history import DB_NAME, EventHistory
from agent.ask.installation import Installation
from agent.ask.parser import standing_question
from agent.ask.query import Query, TimeSpec
from agent.ask.service import Asker
from agent.ask.watch import WATCHES_FILE, Watch, WatchBook, WatchNotice, WatchSink, expiry
from agent.bench.ask.heldout_history import heldout_config
from agent.bench.ask.seeded import NOW
from agent.config.loader import load_config
from agent.config.schema import AskConfig, CameraConfig, TemplateLlmConfig
from agent.core.camera import CameraCore
from agent.core.events import Event, EventObject, new_event_id
from agent.core.kinds import EventKind
from agent.service.app import run_agent
from agent.service.commands import CommandResult

ROOT = Path(__file__).resolve().parents[1]


def _asker(tmp_path: Path, limit: int = 3) -> tuple[Asker, WatchBook]:
    config = heldout_config(tmp_path)
    book = WatchBook(tmp_path / WATCHES_FILE, limit, clock=lambda: NOW)
    history = EventHistory(tmp_path / "events.db")
    asker = Asker(
        history,
        Installation.from_config(config),
        AskConfig(max_per_minute=600),
        clock=lambda: NOW,
        watches=book,
    )
    return asker, book


def _event(camera: str, kind: EventKind, label: str, zones: list[str], at: datetime = NOW) -> Event:
    return Event(
        id=new_event_id(at),
        camera=camera,
        rule=kind,
        kind=kind,
        started_at=at,
        ended_at=at,
        objects=[EventObject(label=label, count=1, zones=zones, max_score=0.9)],
        severity="info",
        title="t",
        summary=f"A {label} {kind}.",
        summary_source="template",
        language="en",
    )


@pytest.mark.parametrize(
    ("question", "rest"),
    [
        ("Tell me when the cows leave the barn", "the cows leave the barn"),
        ("let me know if anyone comes to the gate tonight", "anyone comes to the gate tonight"),
        ("скажи, коли собака вийде з двору", "собака вийде з двору"),
        ("how many cows came today", None),
    ],
)
def test_a_standing_question_is_told_by_its_first_words(question: str, rest: str | None) -> None:
    assert standing_question(question) == rest


def test_watches_are_confirmed_in_words_with_their_end(tmp_path: Path) -> None:
    asker, book = _asker(tmp_path)
    answer = asker.ask("Tell me when the cows leave the barn")
    assert answer.answered
    assert (
        answer.text == "I will tell you when I see cows leaving on camera barn, until 04.12 02:00."
    )
    answer = asker.ask("let me know if anyone comes to the gate tonight")
    assert answer.text == "I will tell you when I see people coming at the gate, until 04.12 06:00."
    answer = asker.ask("скажи, коли собака вийде з двору")
    assert answer.text == "Повідомлю, щойно побачу: собаки (вихід) у зоні «yard», до 04.12 02:00."
    watches = book.active()
    assert [(w.labels, w.zones, w.cameras, w.kinds) for w in watches] == [
        (["cow"], [], ["barn"], ["departure", "zone_exit"]),
        (["person"], ["gate"], [], ["arrival", "zone_enter"]),
        (["dog"], ["yard"], [], ["departure", "zone_exit"]),
    ]
    full = asker.ask("tell me when a car comes")
    assert not full.answered and "3 standing questions are already waiting" in full.text


def test_a_watch_about_the_past_or_an_unseen_thing_is_not_kept(tmp_path: Path) -> None:
    asker, book = _asker(tmp_path)
    assert "waits for what comes next" in asker.ask("tell me when the cows left yesterday").text
    assert "cannot see hedgehogs" in asker.ask("tell me when a hedgehog comes").text
    assert not asker.ask("tell me when the weather changes").answered
    assert book.active() == []


def test_a_watch_fires_once_and_ends(tmp_path: Path) -> None:
    asker, book = _asker(tmp_path)
    asker.ask("Tell me when the cows leave the barn")
    notices: list[WatchNotice] = []
    sink = WatchSink(book, notices.append)
    sink.event(_event("barn", "arrival", "cow", []))  # a coming: not what it waits for
    sink.event(_event("house", "departure", "cow", []))  # another camera
    assert notices == []
    sink.event(_event("barn", "zone_exit", "cow", ["gate"]))
    sink.event(_event("barn", "departure", "cow", []))
    assert len(notices) == 1 and notices[0].camera == "barn"
    assert notices[0].text.startswith("You asked: «Tell me when the cows leave the barn». A cow")
    assert book.active() == []


def test_watches_survive_a_restart_and_expire(tmp_path: Path) -> None:
    asker, _ = _asker(tmp_path)
    asker.ask("let me know if anyone comes to the gate tonight")  # until 06:00 tomorrow
    asker.ask("Tell me when the cows leave the barn")  # 12 hours: until 02:00 tomorrow
    later = WatchBook(tmp_path / WATCHES_FILE, 3, clock=lambda: NOW + timedelta(hours=13))
    assert [w.understood for w in later.active()] == ["people coming at the gate"]
    assert later.fire(_event("barn", "arrival", "person", ["gate"], NOW + timedelta(hours=15)))
    assert later.active() == []
    again = WatchBook(tmp_path / WATCHES_FILE, 3, clock=lambda: NOW)
    assert again.active() == []  # fired: gone from the file too
    (tmp_path / WATCHES_FILE).write_text("not json")
    assert WatchBook(tmp_path / WATCHES_FILE, 3).active() == []  # a bad file loses nothing else


def test_expiry_of_named_periods() -> None:
    now = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert expiry("last_night", now, 6, 12) == datetime(2026, 12, 4, 6, tzinfo=UTC)
    assert expiry("today", now, 6, 12) == datetime(2026, 12, 4, tzinfo=UTC)
    assert expiry(None, now, 6, 12) == now + timedelta(hours=12)
    early = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert expiry("last_night", early, 6, 12) == datetime(2026, 12, 3, 6, tzinfo=UTC)


def test_a_watch_fires_in_the_frame_of_the_core_event() -> None:
    from support.scenes import T0, dets

    book = WatchBook(None, 5, clock=lambda: datetime.fromtimestamp(T0, UTC))
    query = Query(
        what="count", language="en", labels=["person"], kinds=[], time=TimeSpec(name="all")
    )
    book.add(query, "tell me when someone comes", "people coming", datetime(2100, 1, 1, tzinfo=UTC))
    notices: list[WatchNotice] = []
    sink = WatchSink(book, notices.append)
    core = CameraCore(CameraConfig(name="c"), "en")
    fired_at: list[int] = []
    for i in range(12):
        for event in core.step(dets(("person", (0.45, 0.7, 0.55, 0.9), 0.8)), T0 + i).events:
            sink.event(event)  # as the camera worker hands each event to its sinks
            if notices and not fired_at:
                fired_at.append(i)
                assert notices[0].event_id == event.id
    assert len(notices) == 1 and fired_at


@pytest.mark.broker
def test_watches_over_mqtt_fire_once_list_and_cancel(
    mosquitto_session: Mosquitto, mqtt_base: str, tmp_path: Path
) -> None:
    config = load_config(ROOT / "config" / "demo.yaml")
    storage = tmp_path / "store"
    camera = config.cameras[0]
    source = camera.source.model_copy(update={"loop": True, "realtime": False})
    config = config.model_copy(
        update={
            "llm": TemplateLlmConfig(),
            "storage": config.storage.model_copy(update={"path": str(storage)}),
            "cameras": [camera.model_copy(update={"source": source})],
            "mqtt": config.mqtt.model_copy(
                update={
                    "host": "127.0.0.1",
                    "port": mosquitto_session.port,
                    "base_topic": mqtt_base,
                    "client_id": f"eva-{mqtt_base}",
                }
            ),
        }
    )
    # A watch left from before a restart: the agent keeps it and it fires.
    now = datetime.now(UTC)
    kept = Watch(
        id="01KEPTFROMBEFORE0000000000",
        question="tell me when someone comes to the porch",
        understood="people coming on the porch",
        language="en",
        labels=["person"],
        zones=["porch"],
        kinds=["arrival", "zone_enter"],
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    storage.mkdir()
    (storage / WATCHES_FILE).write_text(json.dumps([kept.model_dump(mode="json")]))
    stop = threading.Event()
    agent = threading.Thread(target=run_agent, args=(config, stop), daemon=True)
    cmd = f"{mqtt_base}/cmd"
    try:
        with Subscriber("127.0.0.1", mosquitto_session.port, f"{mqtt_base}/#") as sub:
            agent.start()
            sub.wait_for(lambda ms: any(m.topic == f"{mqtt_base}/watch" for m in ms), timeout=60)
            question = {"question": "tell me when a motorcycle comes", "correlation_id": "w"}
            sub.publish(f"{cmd}/ask", json.dumps(question).encode())
            sub.publish(f"{cmd}/ask", json.dumps({"question": "tell me when a cup comes"}).encode())
            sub.wait_for(lambda ms: sum(m.topic == f"{cmd}/result" for m in ms) >= 2, timeout=30)
            sub.publish(f"{cmd}/watches", b'{"correlation_id": "list"}')
            sub.wait_for(
                lambda ms: sum(m.topic == f"{mqtt_base}/watch" for m in ms) >= 3, timeout=90
            )
            sub.publish(f"{cmd}/unwatch", b'{"correlation_id": "all"}')
            msgs = sub.wait_for(
                lambda ms: sum(m.topic == f"{cmd}/result" for m in ms) >= 4, timeout=30
            )
    finally:
        stop.set()
        agent.join(timeout=30)
    replies = [
        CommandResult.model_validate_json(m.payload) for m in msgs if m.topic == f"{cmd}/result"
    ]
    results = {r.correlation_id: r for r in replies}
    confirmed = results["w"].result
    assert confirmed is not None and confirmed["text"].startswith(
        "I will tell you when I see motorcycles coming, until "
    )
    listed = results["list"].result
    assert listed is not None
    assert {w["understood"] for w in listed["watches"]} >= {"motorcycles coming"}
    notices = [
        WatchNotice.model_validate_json(m.payload) for m in msgs if m.topic == f"{mqtt_base}/watch"
    ]
    assert [n.watch.id for n in notices][:1] == [kept.id]  # fired once, from the kept file
    assert len({n.watch.id for n in notices}) == len(notices)
    assert {n.watch.understood for n in notices} == {
        "people coming on the porch",
        "motorcycles coming",
        "cups coming",
    }
    assert all(not m.retain for m in msgs if m.topic == f"{mqtt_base}/watch")
    cancelled = results["all"].result
    assert cancelled is not None and cancelled["left"] == 0
    # Home Assistant's Watches sensor: the retained list, updated on every change.
    lists = [json.loads(m.payload) for m in msgs if m.topic == f"{mqtt_base}/watches"]
    assert lists[0]["count"] == 1 and lists[-1] == {"count": 0, "watches": []}
    assert any(item["count"] >= 1 for item in lists[1:])
    with Subscriber("127.0.0.1", mosquitto_session.port, f"{mqtt_base}/watches") as late:
        (retained,) = late.wait_for(lambda ms: len(ms) >= 1, timeout=10)
    assert retained.retain and json.loads(retained.payload)["count"] == 0
    # A notice is not a sighting: the history holds the events and nothing more.
    history = EventHistory(storage / DB_NAME)
    stored = history.count()
    history.close()
    published = sum(m.topic.endswith("/events") for m in msgs)
    assert stored >= published > 0
    assert (
        not (storage / WATCHES_FILE).exists()
        or json.loads((storage / WATCHES_FILE).read_text()) == []
    )


def test_without_the_running_agent_a_watch_is_refused(tmp_path: Path) -> None:
    config = heldout_config(tmp_path)
    history = EventHistory(tmp_path / "events.db")
    try:
        asker = Asker(history, Installation.from_config(config), AskConfig(), clock=lambda: NOW)
        answer = asker.ask("tell me when the cows leave the barn")
        assert not answer.answered and "need the running agent" in answer.text
    finally:
        history.close()
