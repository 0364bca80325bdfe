"""The answer: a template sentence built only from the facts, in English or Ukrainian."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.ask.executor import Facts, Sighting
from agent.ask.installation import Installation
from agent.ask.morphology import uk_many
from agent.ask.parser import Refusal
from agent.ask.query import Query, ReadBy
from agent.ask.unseen import UNSEEN
from agent.core.events import EventObject
from agent.core.kinds import COMING_KINDS, LEAVING_KINDS, Language
from agent.core.settings import ZoneConfig
from agent.core.text import describe
from agent.core.text import en as en_words
from agent.core.text import uk as uk_words
from agent.core.text import vocabulary as lx

MAX_SEEN_LISTED = 12


class Answer(BaseModel):
    """What the agent says back; `facts` hold every number and time the text states."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(1, description="Version of this schema.")
    question: str = Field(description="The question as asked (bounded in length).")
    text: str = Field(description="The answer, one or two sentences.")
    answered: bool = Field(description="False when the question could not be answered.")
    understood: str | None = Field(
        None, description="What was looked up, e.g. 'people at the gate, yesterday'."
    )
    read_by: ReadBy = Field(description="Who read the question: parser, model or none.")
    worded_by: str = Field(
        "template", description="Who wrote the text: 'template', or the model that reworded it."
    )
    language: Language = Field(description="Language of the answer.")
    query: dict[str, Any] | None = Field(None, description="The typed query that ran.")
    facts: dict[str, Any] | None = Field(None, description="The facts the answer comes from.")
    at: AwareDatetime = Field(description="When the answer was given.")


# --- refusals ---------------------------------------------------------------------------

_REFUSALS: dict[str, dict[Language, str]] = {
    "empty": {
        "en": "Ask a question, e.g. 'how many people came today?'.",
        "uk": "Поставте запитання, наприклад «скільки людей приходило сьогодні?».",
    },
    "future": {
        "en": "I can only tell what the cameras already saw, not what will happen.",
        "uk": "Я можу сказати лише про те, що камери вже бачили, а не про майбутнє.",
    },
    "not_understood": {
        "en": "I cannot answer that: I only answer questions about what the cameras saw, "
        "e.g. 'how many people came to the gate today?' or 'when were cows last seen?'.",
        "uk": "Я не можу на це відповісти: я відповідаю лише на запитання про те, що бачили "
        "камери, наприклад «скільки людей приходило сьогодні?» або «коли востаннє бачили "
        "корів?».",
    },
    "instruction": {
        "en": "I only answer questions about what the cameras saw; I do not take "
        "instructions or commands.",
        "uk": "Я лише відповідаю на запитання про те, що бачили камери; вказівок і команд "
        "я не виконую.",
    },
    "too_long": {
        "en": "The question is too long: at most {limit} characters.",
        "uk": "Запитання задовге: щонайбільше {limit} символів.",
    },
    "too_many": {
        "en": "Too many questions at once; ask again in a minute.",
        "uk": "Забагато запитань одразу; спитайте ще раз за хвилину.",
    },
    "not_text": {
        "en": "The question must be plain text.",
        "uk": "Запитання має бути звичайним текстом.",
    },
    "no_watches": {
        "en": "Standing questions ('tell me when…') need the running agent: ask over MQTT or "
        "Home Assistant.",
        "uk": "Запитання на потім («скажи, коли…») потребують запущеного агента: спитайте через "
        "MQTT або Home Assistant.",
    },
    "too_many_watches": {
        "en": "{limit} standing questions are already waiting; cancel one first.",
        "uk": "Запитань на потім уже стільки, скільки можна ({limit}); спершу скасуйте одне.",
    },
    "watch_no_camera": {
        "en": "No camera in the fleet could see that, so there is nothing to watch.",
        "uk": "Жодна камера тут цього не побачить, тож стежити нема за чим.",
    },
    "watch_several_agents": {
        "en": "Cameras of several agents could see that ({cameras}); a standing question "
        "runs on one of them: say which camera or zone to watch.",
        "uk": "Це можуть побачити камери кількох агентів ({cameras}); запитання на потім "
        "чекає на одному з них: скажіть, за якою камерою чи зоною стежити.",
    },
    "watch_owner_offline": {
        "en": "Camera {cameras} belongs to agent {agent}, which is offline; the standing "
        "question is not set.",
        "uk": "Камера {cameras} належить агентові {agent}, який зараз не в мережі; "
        "запитання на потім не встановлено.",
    },
    "watch_not_taken": {
        "en": "Agent {agent} did not take the standing question: {why}",
        "uk": "Агент {agent} не прийняв запитання на потім: {why}",
    },
    "watch_no_reply": {
        "en": "Agent {agent} did not answer within {seconds} s; the standing question is "
        "not confirmed.",
        "uk": "Агент {agent} не відповів за {seconds} с; запитання на потім не підтверджено.",
    },
    "past_watch": {
        "en": "A standing question waits for what comes next; to ask about the past, ask "
        "without 'tell me when'.",
        "uk": "Запитання на потім чекає на те, що буде далі; про минуле питайте без «скажи, коли».",
    },
    "no_history": {
        "en": "The event history is not available, so I cannot answer.",
        "uk": "Історія подій недоступна, тож я не можу відповісти.",
    },
}


def refusal_text(reason: str, language: Language, **values: object) -> str:
    return _REFUSALS[reason][language].format(**values)


def refused(
    question: str, reason: str, language: Language, at: datetime, **values: object
) -> Answer:
    return Answer(
        question=question,
        text=refusal_text(reason, language, **values),
        answered=False,
        read_by="none",
        language=language,
        at=at,
    )


def from_refusal(question: str, refusal: Refusal, at: datetime) -> Answer:
    return refused(question, refusal.reason, refusal.language, at)


# --- naming what was understood ---------------------------------------------------------


def _subject(query: Query, en: bool) -> str:
    if not query.labels:
        if query.what in ("what_happened", "summary"):
            return "events" if en else "події"
        return "anything" if en else "будь-що"
    if en:
        return en_words.join([en_words.plural(label) for label in query.labels])
    return uk_words.join([_uk_plural(label) for label in query.labels])


def _uk_plural(label: str) -> str:
    return "люди" if label == "person" else uk_words.noun(label).few


def _place(query: Query, inst: Installation, en: bool) -> str:
    parts = []
    for name in query.zones:
        zone = inst.zones.get(name) or ZoneConfig(name=name)
        parts.append(f"{zone.preposition} the {zone.display}" if en else f"у зоні «{zone.display}»")
    if query.cameras:
        cams = ", ".join(query.cameras)
        parts.append(f"on camera {cams}" if en else f"на камері {cams}")
    return (" " + " ".join(parts)) if parts else ""


def _kinds_word(query: Query, en: bool) -> str:
    kinds = set(query.kinds)
    if kinds and kinds <= set(COMING_KINDS):
        return " coming" if en else " (прихід)"
    if kinds and kinds <= set(LEAVING_KINDS):
        return " leaving" if en else " (вихід)"
    if kinds == {"dwell"}:
        return " staying" if en else " (перебування)"
    return ""


def watched(query: Query, inst: Installation) -> str:
    """What a standing question waits for: 'cows leaving on camera barn'."""
    en = query.language == "en"
    kinds = _kinds_word(query, en) or (" coming" if en else " (прихід)")
    return f"{_subject(query, en)}{kinds}{_place(query, inst, en)}"


def watch_confirmation(understood: str, until: datetime, now: datetime, en: bool) -> str:
    """'I will tell you when I see cows leaving on camera barn, until 06:00.'"""
    at = f"{until:%H:%M}" if until.date() == now.date() else f"{until:%d.%m} {until:%H:%M}"
    if en:
        return f"I will tell you when I see {understood}, until {at}."
    return f"Повідомлю, щойно побачу: {understood}, до {at}."


def understood(query: Query, facts: Facts, inst: Installation) -> str:
    """'people at the front door, this afternoon (12:00–17:00)'."""
    en = query.language == "en"
    when = ("now" if en else "зараз") if query.what == "present_now" else facts.range.label
    return f"{_subject(query, en)}{_kinds_word(query, en)}{_place(query, inst, en)}, {when}"


# --- answers ----------------------------------------------------------------------------


def compose(query: Query, facts: Facts, inst: Installation, now: datetime) -> str:
    """The answer's text, from the facts alone."""
    en = query.language == "en"
    head = _capital(understood(query, facts, inst))
    notes = _unseen_note(query, inst, en) if query.unseen else ""
    if query.unseen and not query.labels:
        return notes.strip()
    if facts.coverage == "empty" and query.what != "present_now":
        return notes + ("No events are stored yet." if en else "Подій ще не збережено.")
    if facts.coverage == "none" and query.what != "present_now":
        start = _date_time(facts.history_start, now, en)
        return notes + (
            f"{head}: the history goes back only to {start}."
            if en
            else f"{head}: історія сягає лише до {start}."
        )
    body = _body(query, facts, inst, now, en)
    if body is None:
        body = (
            f"No record of {understood(query, facts, inst)}."
            if en
            else (f"Немає записів: {understood(query, facts, inst)}.")
        )
    else:
        body = f"{head}: {body}"
    if facts.coverage == "partial":
        start = _date_time(facts.history_start, now, en)
        body += f" (The history begins {start}.)" if en else f" (Історія починається {start}.)"
    return notes + body


def _body(query: Query, facts: Facts, inst: Installation, now: datetime, en: bool) -> str | None:
    what = query.what
    if what == "present_now":
        return _present(query, facts, inst, now, en)
    if what == "first_seen":
        return _seen(facts.first, query, inst, now, en, "first" if en else "уперше")
    if what == "last_seen":
        return _seen(facts.last, query, inst, now, en, "last" if en else "востаннє")
    if not facts.count:
        return None
    if what == "count":
        n = facts.count
        times = (f"{n} time" if n == 1 else f"{n} times") if en else f"{n} {_uk_times(n)}"
        if n == 1:
            return f"{times}, {_when(facts.first, now, en)}." if facts.first else f"{times}."
        first, last = _when(facts.first, now, en), _when(facts.last, now, en)
        return (
            f"{times}; first {first}, last {last}."
            if en
            else f"{times}; уперше {first}, востаннє {last}."
        )
    if what == "duration":
        if facts.duration_seconds is None:
            return (
                f"seen {facts.count} times, but no coming and going to measure."
                if en
                else f"бачили {facts.count} {_uk_times(facts.count)}, але немає приходу й "
                "виходу, щоб виміряти час."
            )
        spent = _span(facts.duration_seconds, en)
        visits = facts.visits
        if en:
            text = f"{spent} in all over {visits} visit{'s' if visits != 1 else ''}"
            text += f", from {_clock(facts.first, now)} to {_clock(facts.last, now)}"
            if facts.past_the_end:
                return text + "; the last visit went on after the period, counted to its end."
            return text + ("; still there at the last record." if facts.still_there else ".")
        text = f"загалом {spent} за {visits} {_uk_visits(visits)}"
        text += f", від {_clock(facts.first, now)} до {_clock(facts.last, now)}"
        if facts.past_the_end:
            return text + "; останній візит тривав і після періоду, пораховано до його кінця."
        return text + ("; досі там за останнім записом." if facts.still_there else ".")
    # what_happened / summary
    n = facts.count
    count = (f"{n} event{'s' if n != 1 else ''}") if en else f"{n} {_uk_events(n)}"
    labels = ", ".join(
        f"{label if en else _uk_plural(label)} {c}" for label, c in facts.per_label.items()
    )
    if what == "summary":
        kinds = ", ".join(f"{_kind_word(k, en)} {c}" for k, c in facts.per_kind.items())
        first, last = _when(facts.first, now, en), _when(facts.last, now, en)
        if en:
            return f"{count} ({labels}; {kinds}); first {first}, last {last}."
        return f"{count} ({labels}; {kinds}); перша {first}, остання {last}."
    told = " ".join(_told(s, inst, query, en, now) for s in facts.listed[-3:])
    more = ""
    if n > 3:
        more = f" The latest 3 of {n}:" if en else f" Останні 3 з {n}:"
    return f"{count} ({labels}).{more} {told}".rstrip()


def _present(query: Query, facts: Facts, inst: Installation, now: datetime, en: bool) -> str:
    if facts.present is None:
        seen = _seen(facts.last, query, inst, now, en, "last" if en else "востаннє")
        if en:
            return "the live view is not available here" + (
                f"; {seen}" if seen else "; no record of them at all."
            )
        return "поточний стан тут недоступний" + (f"; {seen}" if seen else "; записів немає.")
    at = facts.present_at.strftime("%H:%M") if facts.present_at else now.strftime("%H:%M")
    if not facts.present:
        return f"none (as of {at})." if en else f"немає (станом на {at})."
    if en:
        items = en_words.join([en_words.noun_phrase(k, v) for k, v in facts.present.items()])
        return f"{items} (as of {at})."
    items = uk_words.join([uk_words.noun_phrase(k, v) for k, v in facts.present.items()])
    return f"{items} (станом на {at})."


def _seen(
    sighting: Sighting | None, query: Query, inst: Installation, now: datetime, en: bool, word: str
) -> str | None:
    if sighting is None:
        return None
    return f"{word} {_when(sighting, now, en)}: {_told(sighting, inst, query, en, now)}"


def _told(s: Sighting, inst: Installation, query: Query, en: bool, now: datetime) -> str:
    """The template sentence of one sighting, limited to the asked objects and zones."""
    objects = [
        EventObject(label=label, count=count, zones=list(s.zones), max_score=1.0)
        for label, count in s.objects.items()
    ]
    dwell = inst.dwell.get(s.camera, 60.0)
    _, sentence = describe(s.kind, objects, inst.zones, query.language, dwell, s.at)
    if s.at.date() != now.date():
        sentence = sentence.rstrip(".") + (f" ({s.at:%d.%m})." if en else f" ({s.at:%d.%m}).")
    return sentence


def _when(s: Sighting | None, now: datetime, en: bool) -> str:
    if s is None:
        return ""
    clock = s.at.strftime("%H:%M")
    if s.at.date() == now.date():
        return f"at {clock}" if en else f"о {clock}"
    return f"on {s.at:%d.%m} at {clock}" if en else f"{s.at:%d.%m} о {clock}"


def _clock(s: Sighting | None, now: datetime) -> str:
    if s is None:
        return ""
    return f"{s.at:%H:%M}" if s.at.date() == now.date() else f"{s.at:%d.%m} {s.at:%H:%M}"


def _date_time(at: datetime | None, now: datetime, en: bool) -> str:
    if at is None:
        return ""
    return f"{at:%d.%m.%Y} {at:%H:%M}" if en else f"{at:%d.%m.%Y} о {at:%H:%M}"


def _span(seconds: float, en: bool) -> str:
    """'40 s' under a minute, '1 min 15 s' under ten minutes, else hours and minutes."""
    h, m, s = ("h", "min", "s") if en else ("год", "хв", "с")
    whole = round(seconds)
    if whole < 60:
        return f"{whole} {s}"
    if whole < 600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} {m} {rest} {s}" if rest else f"{minutes} {m}"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} {h} {minutes} {m}" if hours else f"{minutes} {m}"


def _kind_word(kind: str, en: bool) -> str:
    en_names = {
        "arrival": "arrivals",
        "departure": "departures",
        "zone_enter": "zone entries",
        "zone_exit": "zone exits",
        "dwell": "stays",
        "count_change": "count changes",
    }
    uk_names = {
        "arrival": "появи",
        "departure": "зникнення",
        "zone_enter": "входи в зони",
        "zone_exit": "виходи із зон",
        "dwell": "перебування",
        "count_change": "зміни кількості",
    }
    return (en_names if en else uk_names)[kind]


def _uk_form(n: int, forms: tuple[str, str, str]) -> str:
    return forms[("one", "few", "many").index(uk_words.plural_form(n))]


def _uk_times(n: int) -> str:
    return _uk_form(n, ("раз", "рази", "разів"))


def _uk_visits(n: int) -> str:
    return _uk_form(n, ("візит", "візити", "візитів"))


def _uk_events(n: int) -> str:
    return _uk_form(n, ("подія", "події", "подій"))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _uk_name(name: str) -> str:
    """The Ukrainian genitive plural of an unseen thing: 'їжаків', 'лисиць'."""
    row = next((u for u in UNSEEN if u.name == name), None)
    if row is not None:
        return uk_many(row.uk[0])
    paradigms = lx.uk_nouns().get(name)
    if paradigms and len(paradigms[0]) > 2:
        return paradigms[0][2]
    return f"«{name}»"


def _unseen_note(query: Query, inst: Installation, en: bool) -> str:
    """'The detector cannot see foxes; of animals it can see: bird, cat, dog.'"""
    names = query.unseen
    related: list[str] = []
    animals = lx.EN_HYPERNYMS["animal"][1]
    for _head, (_specs, group) in lx.EN_HYPERNYMS.items():
        if any(n in group for n in names):
            related += [label for label in inst.labels if label in group]
    if any(u.name in names and u.animal for u in UNSEEN):
        related += [label for label in inst.labels if label in animals]
    seen = list(dict.fromkeys(related)) or list(inst.labels)
    listed = ", ".join(seen[:MAX_SEEN_LISTED]) + (", …" if len(seen) > MAX_SEEN_LISTED else "")
    if en:
        what = en_words.join([en_words.plural(n) for n in names])
        return f"The detector here cannot see {what}; it can see: {listed}. "
    what = uk_words.join([_uk_name(n) for n in names])
    return f"Детектор тут не розпізнає {what}; він розпізнає: {listed}. "
