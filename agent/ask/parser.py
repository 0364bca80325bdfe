"""The deterministic reader: a question becomes a Query, or a refusal that says why.

Every word must be understood: words of time, of what is asked, objects, zones, cameras or
harmless fillers. A word left over (an unknown animal, an instruction such as 'ignore' or
'pause') makes the parser refuse rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from agent.ask import morphology as morph
from agent.ask.installation import Installation
from agent.ask.lexicon import Lexicon
from agent.ask.query import DayPart, Query, RangeName, TimeSpec, What
from agent.ask.unseen import unseen_by_lemmas
from agent.ask.words import LEXICONS, WATCH
from agent.core.kinds import COMING_KINDS, LEAVING_KINDS, EventKind, Language
from agent.core.text import vocabulary as lx
from agent.core.text.phrases import Phrase, Phrases, language_of, tokens

_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_MAX_NGRAM = 4
_NAMED_CLOCK = {"noon": 720, "midday": 720, "midnight": 0, "полудня": 720, "опівдня": 720}

RefusalReason = Literal["not_understood", "instruction", "future", "empty"]
# More unknown words than this and the question is not handed to a model either.
MAX_UNKNOWN_FOR_MODEL = 3


@dataclass(frozen=True)
class Known:
    """What the understood words of a refused question say; a second reader must agree."""

    what: What | None
    time: TimeSpec | None
    labels: tuple[str, ...]
    zones: tuple[str, ...]
    cameras: tuple[str, ...]
    kinds: tuple[EventKind, ...]

    def agrees(self, query: Query) -> bool:
        """Whether `query` keeps every meaning the understood words carry."""
        return (
            (self.what is None or query.what == self.what)
            and (self.time is None or query.time == self.time)
            and (not self.labels or set(query.labels) == set(self.labels))
            and (not self.zones or set(query.zones) == set(self.zones))
            and (not self.cameras or set(query.cameras) == set(self.cameras))
            and (not self.kinds or set(query.kinds) == set(self.kinds))
        )


@dataclass(frozen=True)
class Refusal:
    """Why a question could not be read; `words` are the ones not understood."""

    reason: RefusalReason
    language: Language
    words: tuple[str, ...] = ()
    known: Known | None = None

    @property
    def for_model(self) -> bool:
        """Whether a language model may try: a question with a few unknown words only, whose
        understood words a reading can be checked against."""
        return (
            self.reason == "not_understood"
            and 0 < len(self.words) <= MAX_UNKNOWN_FOR_MODEL
            and self.known is not None
        )


@dataclass
class _Found:
    labels: list[str] = field(default_factory=list)
    unseen: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)
    kinds: list[EventKind] = field(default_factory=list)
    what: What | None = None
    present: bool = False
    yes_no: bool = False
    time: TimeSpec | None = None
    time_conflict: bool = False
    unreadable: bool = False  # words understood that the query cannot express
    future: bool = False
    any_label: bool = False


class _Tokens:
    """The question's tokens, their lemmas, and which of them are understood."""

    def __init__(self, items: list[str], language: Language = "en") -> None:
        self.items = items
        self.language = language
        self.used = [False] * len(items)
        self.lemmas = [morph.lemmas(t, language) for t in items]
        self.canon = [morph.lemma(t, language) for t in items]

    def find(
        self, wanted: Phrases, start: int = 0, by_lemma: bool = False
    ) -> tuple[int, int] | None:
        """The first unused phrase of `wanted` at or after `start`, longest first; with
        `by_lemma` also a phrase whose words' lemmas are the tokens' ('вигнали' ~ 'вигнав')."""
        lemma_wanted = _lemma_phrases(wanted, self.language) if by_lemma else frozenset()
        for i in range(start, len(self.items)):
            for n in range(min(_MAX_NGRAM, len(self.items) - i), 0, -1):
                if any(self.used[i : i + n]):
                    continue
                if tuple(self.items[i : i + n]) in wanted or (
                    by_lemma and tuple(self.canon[i : i + n]) in lemma_wanted
                ):
                    return i, i + n
        return None

    def take(self, wanted: Phrases, by_lemma: bool = False) -> bool:
        """Mark every occurrence of `wanted` as understood; whether there was one."""
        found = False
        while (span := self.find(wanted, by_lemma=by_lemma)) is not None:
            self.mark(*span)
            found = True
        return found

    def mark(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.used[i] = True

    def is_phrase(self, i: int, wanted: Phrases) -> int:
        """Length of the phrase of `wanted` at i (0 = none)."""
        for n in range(min(_MAX_NGRAM, len(self.items) - i), 0, -1):
            if tuple(self.items[i : i + n]) in wanted:
                return n
        return 0

    def leftover(self) -> list[str]:
        return [t for t, u in zip(self.items, self.used, strict=True) if not u]


@lru_cache(maxsize=256)
def _lemma_phrases(wanted: Phrases, language: Language) -> Phrases:
    return frozenset(tuple(morph.lemma(w, language) for w in phrase) for phrase in wanted)


def parse(
    question: str,
    installation: Installation,
    default_language: Language = "en",
    standing: bool = False,
) -> Query | Refusal:
    """Read a question; a Query only when every word was understood. `standing`: the words
    after 'tell me when', where the future is what is asked ('коли собака вийде')."""
    language = language_of(question, default_language)
    lex = LEXICONS[language]
    toks = _Tokens(tokens(question), language)
    if not toks.items:
        return Refusal("empty", language)
    if not standing and language == "uk" and any(morph.future_verb(t) for t in toks.items):
        return Refusal("future", language)  # 'корови повернуться ввечері?'
    found = _Found()
    if standing:
        toks.take(lex.future)  # 'will', 'буде': the future is what a watch waits for
    _read_time(toks, lex, found)
    if found.future:
        return Refusal("future", language)
    _read_user_words(toks, installation, found, language)
    _read_places(toks, installation, found, lex)
    _read_objects(toks, installation, found, language)
    _read_asking(toks, lex, found)
    toks.take(lex.filler)
    left = [w for w in toks.leftover() if not w.isdigit()]
    if left or any(w.isdigit() for w in toks.leftover()):
        unknown = tuple(dict.fromkeys(toks.leftover()))
        if any((w,) in lex.command_words for w in toks.items):
            return Refusal("instruction", language, unknown)
        if found.unseen and not found.labels:
            return _only_unseen(found, language)  # 'did a drone fly over the yard'
        known: Known | None = Known(
            what=found.what,
            time=found.time,
            labels=tuple(dict.fromkeys(found.labels)),
            zones=tuple(dict.fromkeys(found.zones)),
            cameras=tuple(dict.fromkeys(found.cameras)),
            kinds=tuple(dict.fromkeys(found.kinds)),
        )
        if found.time_conflict or found.unreadable or found.unseen:
            known = None  # nothing a second reader could make right
        return Refusal("not_understood", language, unknown, known)
    if found.unseen and not found.labels:
        return _only_unseen(found, language)
    if found.unreadable or found.time_conflict:
        return Refusal("not_understood", language)
    what = found.what
    if found.present and (what in (None, "count", "last_seen") and found.time is None):
        what = "present_now"
    named = found.labels or found.unseen or found.zones or found.any_label
    if what is None and named and found.time is not None:
        found.yes_no = True  # 'anyone at the front door monday morning'
    if what is None:
        if not found.yes_no:
            return Refusal("not_understood", language)
        what = "count"
    if what == "count" and not found.kinds and found.time is None and found.present:
        what = "present_now"
    default_all = what in ("first_seen", "last_seen")
    # A standing question with no period waits its default hours: 'all' marks 'none named'.
    time = found.time or TimeSpec(name="all" if default_all or standing else "today")
    return Query(
        what=what,
        language=language,
        labels=list(dict.fromkeys(found.labels)),
        zones=list(dict.fromkeys(found.zones)),
        cameras=list(dict.fromkeys(found.cameras)),
        kinds=list(dict.fromkeys(found.kinds)),
        time=time,
        unseen=list(dict.fromkeys(found.unseen)),
    )


def _only_unseen(found: _Found, language: Language) -> Query:
    """A question about things the detector cannot see: the answer says only that."""
    return Query(
        what="count",
        language=language,
        time=TimeSpec(name="all"),
        unseen=list(dict.fromkeys(found.unseen)),
    )


def standing_question(question: str, default_language: Language = "en") -> str | None:
    """The words after 'tell me when' / 'скажи, коли', or None for an ordinary question."""
    language = language_of(question, default_language)
    items = [t for t in tokens(question) if t not in (",", "!", ".", "?")]
    watch = WATCH.of(language)
    for n in range(min(8, len(items)), 0, -1):  # 'let me know as soon as' has 6 words
        if tuple(items[:n]) in watch:
            return " ".join(items[n:])
    return None


@dataclass(frozen=True)
class Named:
    """What a question names of this installation, by the lexicon's words alone."""

    labels: tuple[str, ...]
    zones: tuple[str, ...]
    cameras: tuple[str, ...]
    anything: bool  # 'anything', 'something', 'events': no label on purpose


def mentioned(
    question: str, installation: Installation, default_language: Language = "en"
) -> Named:
    """Labels, zones and cameras the question's words name (hypernyms expanded)."""
    language = language_of(question, default_language)
    lex = LEXICONS[language]
    toks = _Tokens(tokens(question), language)
    found = _Found()
    _read_user_words(toks, installation, found, language)
    _read_places(toks, installation, found, lex)
    _read_objects(toks, installation, found, language)
    return Named(tuple(found.labels), tuple(found.zones), tuple(found.cameras), found.any_label)


# --- time -------------------------------------------------------------------------------


def _read_time(toks: _Tokens, lex: Lexicon, found: _Found) -> None:
    """Every period word of the question, combined into one period, or a conflict.

    'yesterday evening' and 'Monday morning' narrow the day to its part; two periods that do
    not combine ('yesterday' and 'the last 3 hours') make the question unreadable: a period
    word is never dropped."""
    if toks.take(lex.future):
        found.future = True
        return
    specs = [s for r in (_between, _since, _ago, _last_n, _weekday) if (s := r(toks, lex))]
    named = [name for wanted, name in lex.named if toks.take(wanted)]
    found.time, found.time_conflict = _combine(specs, named)


_PARTS: dict[RangeName, DayPart] = {
    "this_morning": "morning",
    "this_afternoon": "afternoon",
    "this_evening": "evening",
    "last_night": "night",
}
_TODAY_PARTS: dict[DayPart, RangeName] = {part: name for name, part in _PARTS.items()}


def _combine(specs: list[TimeSpec], named: list[RangeName]) -> tuple[TimeSpec | None, bool]:
    """(the period, whether the words conflict)."""
    words = [n for n in dict.fromkeys(named) if n != "all" or len(named) == 1]
    parts = [_PARTS[n] for n in words if n in _PARTS]
    days = [n for n in words if n in ("today", "yesterday")]
    week = "this_week" in words
    if len(specs) > 1 or len(parts) > 1 or len(days) > 1:
        return None, True
    if "all" in words:
        return (None, True) if specs else (TimeSpec(name="all"), False)
    if specs:
        spec = specs[0]
        if spec.name in ("weekday", "days_ago"):
            if days:
                return None, True
            return spec.model_copy(update={"part": parts[0] if parts else None}), False
        if spec.name in ("since", "between"):
            if parts or week:
                return None, True
            return spec.model_copy(update={"days_back": 1 if days == ["yesterday"] else 0}), False
        return (None, True) if (days or parts or week) else (spec, False)  # last N hours/days
    if week:
        return (None, True) if (days or parts) else (TimeSpec(name="this_week"), False)
    if not days:
        return (TimeSpec(name=_TODAY_PARTS[parts[0]]), False) if parts else (None, False)
    if parts and days == ["today"]:
        return TimeSpec(name=_TODAY_PARTS[parts[0]]), False
    return TimeSpec(name=days[0], part=parts[0] if parts else None), False


def _clock_at(toks: _Tokens, i: int, lex: Lexicon) -> tuple[int, int] | None:
    """(minute of the day, tokens used) of a clock time at i: '14:00', '2 pm', '9 o'clock'."""
    if i >= len(toks.items) or toks.used[i]:
        return None
    word = toks.items[i]
    m = _CLOCK.match(word)
    if m:
        hour, minute = int(m[1]), int(m[2])
        n = 1
    elif word.isdigit() and int(word) <= 24:
        hour, minute, n = int(word), 0, 1
    elif word in _NAMED_CLOCK:
        return _NAMED_CLOCK[word], 1
    else:
        return None
    half = i + n
    if (k := toks.is_phrase(half, lex.pm)) and hour <= 12:
        hour, n = (hour % 12) + 12, n + k
    elif (k := toks.is_phrase(half, lex.am)) and hour <= 12:
        hour, n = hour % 12, n + k
    elif k := toks.is_phrase(half, lex.oclock) or toks.is_phrase(half, lex.hour_words):
        n += k
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute, n


def _between(toks: _Tokens, lex: Lexicon) -> TimeSpec | None:
    for i in range(len(toks.items)):
        if toks.used[i] or not (k := toks.is_phrase(i, lex.between_start)):
            continue
        first = _clock_at(toks, i + k, lex)
        if first is None:
            continue
        j = i + k + first[1]
        if not (k2 := toks.is_phrase(j, lex.between_join)):
            continue
        last = _clock_at(toks, j + k2, lex)
        if last is None:
            continue
        toks.mark(i, j + k2 + last[1])
        return TimeSpec(name="between", start_minute=first[0], end_minute=last[0])
    return None


def _since(toks: _Tokens, lex: Lexicon) -> TimeSpec | None:
    for i in range(len(toks.items)):
        if toks.used[i] or not (k := toks.is_phrase(i, lex.since)):
            continue
        clock = _clock_at(toks, i + k, lex)
        if clock is None:
            continue
        toks.mark(i, i + k + clock[1])
        return TimeSpec(name="since", start_minute=clock[0])
    return None


def _number(toks: _Tokens, i: int, lex: Lexicon) -> int | None:
    if i < 0 or i >= len(toks.items) or toks.used[i]:
        return None
    word = toks.items[i]
    if word.isdigit():
        return int(word)
    return lex.numbers.get(word)


def _unit_days(toks: _Tokens, i: int, lex: Lexicon) -> tuple[str, int, int] | None:
    """('hours'|'days', days per unit, tokens used) of a unit word at i."""
    for wanted, unit, days in (
        (lex.hour_units, "hours", 0),
        (lex.day_units, "days", 1),
        (lex.week_units, "days", 7),
        (lex.month_units, "days", 30),
        (lex.year_units, "days", 365),
    ):
        if k := toks.is_phrase(i, wanted):
            return unit, days, k
    return None


def _last_n(toks: _Tokens, lex: Lexicon) -> TimeSpec | None:
    """'in the last 3 hours', 'past day', 'за останні дві години', 'за тиждень'."""
    for i in range(len(toks.items)):
        if toks.used[i] or not (k := toks.is_phrase(i, lex.last)):
            continue
        j = i + k
        while j < len(toks.items) and toks.is_phrase(j, lex.last):  # 'за останні'
            j += toks.is_phrase(j, lex.last)
        n = _number(toks, j, lex)
        if n is not None:
            j += 1
        unit = _unit_days(toks, j, lex) if j < len(toks.items) else None
        if unit is None or (n is not None and n <= 0):
            continue
        name, per, used = unit
        amount = n or 1
        toks.mark(i, j + used)
        if name == "hours":
            return TimeSpec(name="last_hours", hours=min(amount, 24 * 366))
        return TimeSpec(name="last_days", days=min(amount * per, 366))
    return None


def _ago(toks: _Tokens, lex: Lexicon) -> TimeSpec | None:
    """'3 days ago', '2 тижні тому': from that day until now."""
    for i in range(len(toks.items)):
        unit = _unit_days(toks, i, lex)
        if unit is None or unit[0] != "days":
            continue
        n = _number(toks, i - 1, lex) or (1 if i == 0 or toks.items[i - 1] in ("a", "an") else 0)
        if not n or not toks.is_phrase(i + unit[2], lex.ago):
            continue
        start = i - 1 if _number(toks, i - 1, lex) is not None or i > 0 else i
        toks.mark(start, i + unit[2] + 1)
        return TimeSpec(name="days_ago", days=min(n * unit[1], 366))
    return None


def _weekday(toks: _Tokens, lex: Lexicon) -> TimeSpec | None:
    for i, word in enumerate(toks.items):
        if not toks.used[i] and word in lex.weekdays:
            toks.mark(i, i + 1)
            if i > 0 and toks.items[i - 1] in ("on", "у", "в", "last", "минулого", "минулої"):
                toks.mark(i - 1, i)
            return TimeSpec(name="weekday", weekday=lex.weekdays[word])
    return None


# --- names of this installation ---------------------------------------------------------


def _forms(text: str) -> Phrase:
    return tuple(tokens(text.replace("_", " ")))


def _stem_match(token: str, word: str) -> bool:
    """The same Ukrainian noun in another case: 'хліву' ~ 'хлів', 'курнику' ~ 'курник'."""
    if token == word:
        return True
    stem = lx.uk_stem(word)
    if len(stem) < lx.UK_MIN_STEM or not token.startswith(stem[:-1] if len(stem) > 4 else stem):
        return False
    base = stem if token.startswith(stem) else stem[:-1]
    return token[len(base) :] in lx.UK_ENDINGS or token[len(stem) :] in lx.UK_ENDINGS


def _find_name(toks: _Tokens, words: Phrase, uk: bool) -> tuple[int, int] | None:
    n = len(words)
    for i in range(len(toks.items) - n + 1):
        if any(toks.used[i : i + n]):
            continue
        span = toks.items[i : i + n]
        language: Language = "uk" if uk else "en"
        if all(
            (_stem_match(t, w) if uk else t == w)
            or bool(toks.lemmas[i + k] & morph.lemmas(w, language))
            for k, (t, w) in enumerate(zip(span, words, strict=True))
        ):
            return i, i + n
        # English: a plural or possessive of the last word ('gates', "barn's")
        if (
            not uk
            and span[:-1] == list(words[:-1])
            and span[-1]
            in (
                words[-1] + "s",
                words[-1] + "es",
                words[-1] + "'s",
            )
        ):
            return i, i + n
    return None


def _read_user_words(toks: _Tokens, inst: Installation, found: _Found, language: Language) -> None:
    entries = sorted(inst.vocabulary.items(), key=lambda kv: -len(_forms(kv[0])))
    for word, entry in entries:
        forms = _forms(word)
        if not forms:
            continue
        while (span := _find_name(toks, forms, language == "uk")) is not None:
            toks.mark(*span)
            for label in entry.labels:
                (found.labels if label in inst.labels else found.unseen).append(label)
            found.zones += [z for z in entry.zones if z in inst.zones]
            found.cameras += [c for c in entry.cameras if c in inst.cameras]


def _read_places(toks: _Tokens, inst: Installation, found: _Found, lex: Lexicon) -> None:
    uk = lex.language == "uk"
    # 'the barn camera' / 'камера barn' names a camera even where a zone has that name
    for camera in inst.cameras:
        forms = _forms(camera)
        while (span := _find_name(toks, forms, uk)) is not None:
            before, after = span[0] - 1, span[1]
            near = [
                (s, s + k)
                for s in (after, before)
                if 0 <= s < len(toks.items) and (k := toks.is_phrase(s, lex.camera_words))
            ]
            if not near and camera in inst.zones:
                break
            toks.mark(*span)
            for s, e in near[:1]:
                toks.mark(s, e)
            found.cameras.append(camera)
    names: list[tuple[Phrase, str]] = []
    for name, zone in inst.zones.items():
        for text in dict.fromkeys((name, zone.title or "", zone.display)):
            if text:
                names.append((_forms(text), name))
    for forms, name in sorted(names, key=lambda fn: -len(fn[0])):
        while (span := _find_name(toks, forms, uk)) is not None:
            toks.mark(*span)
            found.zones.append(name)
    if found.zones or found.cameras:
        toks.take(lex.zone_words)
        toks.take(lex.camera_words)


def _read_objects(toks: _Tokens, inst: Installation, found: _Found, language: Language) -> None:
    lex = LEXICONS[language]
    if toks.take(lex.any_person):
        _add_labels(frozenset({"person"}), "person", False, inst, found)
    if toks.take(lex.anything):
        found.any_label = True
    vocab = lx.EN_VOCAB if language == "en" else lx.UK_VOCAB
    for i in range(len(toks.items)):
        for n in range(min(_MAX_NGRAM, len(toks.items) - i), 0, -1):
            if any(toks.used[i : i + n]):
                continue
            thing = unseen_by_lemmas(tuple(toks.canon[i : i + n]), language)
            if thing is not None:  # before the vocabulary: COCO's 'mouse' is a computer mouse
                toks.mark(i, i + n)
                if thing.name in inst.labels and not thing.coco_homonym:
                    found.labels.append(thing.name)
                else:
                    found.unseen.append(thing.name)
                break
            sense = vocab.get(tuple(toks.items[i : i + n]))
            if sense is None and n == 1 and language == "uk":
                sense = _uk_stem_sense(toks.items[i]) or _uk_lemma_sense(toks.lemmas[i])
            if sense is not None:
                toks.mark(i, i + n)
                _add_labels(sense.labels, sense.name, sense.hypernym, inst, found)
                break


@lru_cache(maxsize=1)
def _uk_senses_by_lemma() -> dict[str, lx.Sense]:
    """The Ukrainian object words by lemma: any case of 'кінь', 'гість', 'машина'."""
    table: dict[str, lx.Sense] = {}
    for phrase, sense in lx.UK_VOCAB.items():
        if len(phrase) == 1:
            table.setdefault(morph.lemma(phrase[0], "uk"), sense)
    return table


def _uk_lemma_sense(lemmas: frozenset[str]) -> lx.Sense | None:
    table = _uk_senses_by_lemma()
    return next((table[lemma] for lemma in sorted(lemmas) if lemma in table), None)


def _uk_stem_sense(word: str) -> lx.Sense | None:
    for cut in range(len(word), max(lx.UK_MIN_STEM, len(word) - 3) - 1, -1):
        sense = lx.UK_STEMS.get(word[:cut])
        if sense is not None and word[cut:] in lx.UK_ENDINGS:
            return sense
    return None


def _add_labels(
    labels: frozenset[str], name: str, hypernym: bool, inst: Installation, found: _Found
) -> None:
    seen = [label for label in inst.labels if label in labels]
    if seen:
        found.labels += seen
    else:
        found.unseen.append(name)


# --- what is asked ----------------------------------------------------------------------


def _read_asking(toks: _Tokens, lex: Lexicon, found: _Found) -> None:
    for wanted, what in lex.what:
        if toks.take(wanted) and found.what is None:
            found.what = what
    directions: set[str] = set()
    for wanted, kinds, direction in (
        # passages first: 'came and went' is one phrase, not a coming and a stray 'went'
        (lex.passage, (*COMING_KINDS, *LEAVING_KINDS), "pass"),
        (lex.arrive, COMING_KINDS, "in"),
        (lex.leave, LEAVING_KINDS, "out"),
        (lex.stay, ("dwell",), "stay"),
    ):
        if toks.take(wanted, by_lemma=lex.language == "uk"):
            found.kinds += kinds
            directions.add(direction)
    if (
        found.what is None
        and directions & {"in", "out"}
        and toks.items
        and (toks.items[0],) in lex.present_tense
    ):
        # 'is the car gone?', 'are the cows out?', 'is the dog back?' ask about now, not
        # about a coming or a leaving
        found.unreadable = True
    if found.what == "duration":
        # A stay is measured from a coming to the next going, whatever the verb ('stay',
        # 'hang around', 'пробув'); a leaving asks for the time away, which is not measured.
        found.kinds = []
        if directions & {"out", "pass"}:
            found.unreadable = True
    found.present = toks.take(lex.present)
    found.yes_no = toks.take(lex.yes_no)
    tense = toks.take(lex.present_tense)
    if found.what == "count" and tense and found.time is None and not found.kinds:
        found.present = True  # 'how many cows are in the barn?'
    if found.what is None and toks.items[0] in lex.open_words:
        found.what = "what_happened"  # 'who came to the front door today?'
    if found.what is None and found.kinds:
        found.yes_no = True  # 'hens out of the coop yet today', 'кури вийшли?'
