"""Wording in the background: template first, verified model text as an update, never blocking."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pytest
from support.ollama_fake import FakeOllama, unused_url

from agent.bench.llm import bench_events
from agent.config.schema import CameraConfig, OllamaLlmConfig
from agent.core.events import Event, EventUpdate
from agent.core.settings import RuleConfig, ZoneConfig
from agent.llm.ollama_backend import OllamaModel
from agent.llm.summarizer import Summarizer
from agent.llm.wording import WordingQueue

CAMERA = CameraConfig(
    name="bench",
    zones=[
        ZoneConfig(name="gate", preposition="at"),
        ZoneConfig(name="barn"),
        ZoneConfig(name="yard"),
    ],
    rules=[RuleConfig(name=k, kind=k) for k in ("arrival", "departure", "zone_enter")],
)


def arrival(label: str = "person", count: int = 1) -> Event:
    """An English arrival event of the bench camera, at the gate."""
    for e in bench_events(200, ("en",)):
        if e.kind == "arrival" and len(e.objects) == 1:
            o = e.objects[0]
            if o.label == label and o.count == count and o.zones == ["gate"]:
                return e
    raise AssertionError(f"no bench event with {count} {label} at the gate")


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama(models=["qwen2.5:0.5b"]) as server:
        yield server


def ollama(url: str, **kw: object) -> OllamaModel:
    return OllamaModel(OllamaLlmConfig(type="ollama", host=url, **kw))  # type: ignore[arg-type]


def queue(
    model: OllamaModel,
    updates: list[EventUpdate],
    clock: Clock | None = None,
    deadline: float = 5.0,
    max_pending: int = 8,
) -> WordingQueue:
    return WordingQueue(
        Summarizer(model, "farm", 48),
        [CAMERA],
        updates.append,
        deadline_seconds=deadline,
        max_pending=max_pending,
        retry_after_seconds=30,
        **({"clock": clock} if clock else {}),
    )


def summary(text: str) -> str:
    return json.dumps({"summary": text})


def test_a_grounded_answer_becomes_an_update_of_the_same_event(fake: FakeOllama) -> None:
    event = arrival("cow", 2)
    fake.answer(summary(f"Two cows arrived at the gate at {event.started_at:%H:%M}."))
    updates: list[EventUpdate] = []
    q = queue(ollama(fake.url), updates)
    q.event(event)
    assert q.wait_idle(5)
    q.close()
    assert [u.id for u in updates] == [event.id]
    u = updates[0]
    assert u.type == "summary_update"
    assert u.summary_source == "ollama:qwen2.5:0.5b"
    assert u.summary.startswith("Two cows arrived")
    assert u.attempts == 1
    assert q.counters.model_first_try == 1
    # Facts only in the prompt, the summary schema as the format.
    request = fake.chat_requests[0]
    assert request["format"]["properties"]["summary"]["type"] == "string"
    assert "two cows" in request["messages"][-1]["content"]  # counts as words
    assert request["options"]["num_predict"] == 48


def two_labels() -> Event:
    """An English arrival of five dogs and a person in the yard."""
    for e in bench_events(200, ("en",)):
        labels = [(o.label, o.count, o.zones) for o in e.objects]
        if e.kind == "arrival" and labels == [("dog", 5, ["yard"]), ("person", 1, ["yard"])]:
            return e
    raise AssertionError("no bench event with five dogs and a person in the yard")


def test_a_multi_object_event_is_worded_one_sentence_per_object_when_the_whole_fails(
    fake: FakeOllama,
) -> None:
    event = two_labels()
    at = f"{event.started_at:%H:%M}"
    facts_seen: list[str] = []

    def drops_the_person_unless_asked_alone(request: dict[str, object]) -> str:
        messages = request["messages"]
        assert isinstance(messages, list)
        facts = messages[-1]["content"]
        facts_seen.append(facts)
        if "dogs" in facts:  # the person is dropped from the whole sentence
            return summary(f"Five dogs appeared in the yard at {at}.")
        return summary(f"A person appeared in the yard at {at}.")

    fake.responder = drops_the_person_unless_asked_alone
    updates: list[EventUpdate] = []
    q = queue(ollama(fake.url), updates)
    q.event(event)
    assert q.wait_idle(5)
    q.close()
    assert facts_seen == [
        f"Facts: at {at}; appeared; five dogs and a person in the yard",
        f"Facts: at {at}; appeared; five dogs in the yard",
        f"Facts: at {at}; appeared; a person in the yard",
    ]
    assert [u.summary for u in updates] == [
        f"Five dogs appeared in the yard at {at}; a person appeared in the yard at {at}."
    ]
    assert updates[0].attempts == 2 and q.counters.model_retry == 1


def test_a_clause_that_fails_leaves_the_template(fake: FakeOllama) -> None:
    event = two_labels()
    fake.answer(summary(f"Five dogs and a cat appeared in the yard at {event.started_at:%H:%M}."))
    updates: list[EventUpdate] = []
    q = queue(ollama(fake.url), updates)
    q.event(event)
    assert q.wait_idle(5)
    q.close()
    assert updates == [] and q.counters.template_rejected == 1
    assert len(fake.chat_requests) == 2  # the whole sentence, then the first clause only


def test_ukrainian_answers_get_a_pattern_without_russian_letters_and_more_tokens(
    fake: FakeOllama,
) -> None:
    event = next(e for e in bench_events(20) if e.language == "uk")
    fake.answer(summary("Щось."))
    q = queue(ollama(fake.url), [])
    q.event(event)
    assert q.wait_idle(5)
    q.close()
    request = fake.chat_requests[0]
    pattern = request["format"]["properties"]["summary"]["pattern"]
    assert "ыэъё" in pattern and "=_" in pattern
    assert request["options"]["num_predict"] == 96


def test_a_wrong_answer_is_retried_with_the_error_then_falls_back(fake: FakeOllama) -> None:
    event = arrival("cow", 2)
    fake.answer(summary("A dog appeared at the gate."))
    updates: list[EventUpdate] = []
    q = queue(ollama(fake.url), updates)
    q.event(event)
    assert q.wait_idle(5)
    q.close()
    assert updates == []  # the event keeps its template text
    assert q.counters.template_rejected == 1
    assert len(fake.chat_requests) == 2
    retry = fake.chat_requests[1]["messages"][-1]["content"]
    assert "dog" in retry and retry.startswith("Wrong:")


def test_garbage_and_invalid_json_never_reach_the_update(fake: FakeOllama) -> None:
    fake.answer_garbage()
    updates: list[EventUpdate] = []
    q = queue(ollama(fake.url), updates)
    q.event(arrival())
    fake_second = '{"summary": 12}'
    assert q.wait_idle(5)
    fake.answer(fake_second)
    q.event(arrival("cow", 2))
    assert q.wait_idle(5)
    q.close()
    assert updates == []
    assert q.counters.template_rejected == 2


def test_a_model_slower_than_the_deadline_leaves_the_template(fake: FakeOllama) -> None:
    fake.answer(summary("A person arrived at the gate."), delay=2.0)
    updates: list[EventUpdate] = []
    q = queue(ollama(fake.url), updates, deadline=0.5)
    q.event(arrival())
    assert q.wait_idle(5)
    q.close()
    assert updates == []
    assert q.counters.template_deadline == 1


def test_down_busy_or_missing_model_backs_off_logs_once_and_recovers(
    fake: FakeOllama, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    updates: list[EventUpdate] = []
    fake.models = []  # 404: the model is not pulled
    q = queue(ollama(fake.url), updates, clock=clock)
    with caplog.at_level(logging.WARNING, logger="agent.llm.wording"):
        q.event(arrival())
        assert q.wait_idle(5)
        for _ in range(5):  # while backing off, the model is not asked again
            q.event(arrival("cow", 2))
            assert q.wait_idle(5)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "ollama pull qwen2.5:0.5b" in warnings[0]
    assert len(fake.chat_requests) == 1
    assert q.counters.template_model_down == 6

    fake.models = ["qwen2.5:0.5b"]
    fake.busy()  # 503 after the back-off: still down
    clock.now += 31
    q.event(arrival())
    assert q.wait_idle(5)
    assert q.counters.template_model_down == 7 and updates == []

    event = arrival("cow", 2)
    fake.answer(summary(f"Two cows arrived at the gate at {event.started_at:%H:%M}."))
    clock.now += 31
    with caplog.at_level(logging.INFO, logger="agent.llm.wording"):
        q.event(event)
        assert q.wait_idle(5)
    q.close()
    assert [u.id for u in updates] == [event.id]
    assert any("back" in r.getMessage() for r in caplog.records)


def test_connection_refused_never_blocks_the_caller() -> None:
    updates: list[EventUpdate] = []
    q = queue(ollama(unused_url()), updates)
    done = threading.Event()

    def burst() -> None:
        for e in bench_events(60, ("en",)):
            q.event(e)
        done.set()

    threading.Thread(target=burst).start()
    assert done.wait(2), "queueing events must never wait for the model"
    assert q.wait_idle(10)
    q.close()
    assert updates == []
    c = q.counters
    assert c.model_first_try == c.model_retry == 0
    assert sum(c.as_dict().values()) == 60  # every event is accounted for


def test_pending_events_of_one_camera_are_merged_and_the_backlog_is_bounded(
    fake: FakeOllama,
) -> None:
    fake.answer(summary("A person arrived at the gate."), delay=0.5)
    updates: list[EventUpdate] = []
    q = queue(ollama(fake.url), updates, max_pending=2)
    events = bench_events(30, ("en",))
    q.event(events[0])  # in flight for 0.5 s once the server has it
    for _ in range(200):
        if fake.chat_requests:
            break
        threading.Event().wait(0.01)
    for e in events[1:5]:
        q.event(e)  # same camera: each replaces the one before
    others = [e.model_copy(update={"camera": f"cam{i}"}) for i in range(3)]
    for e in others:
        q.event(e)  # three more cameras, but only two may wait
    assert q.pending <= 3
    assert q.wait_idle(10)
    q.close()
    c = q.counters
    assert c.template_superseded == 3
    assert c.template_backlog == 2
    assert sum(c.as_dict().values()) == 8
