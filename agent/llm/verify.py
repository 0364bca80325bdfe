"""The grounding verifier: a model's sentence may only say what the facts say.

`verify` returns short English problems that go back to the model in a retry prompt;
an empty list means the sentence can be published. `event_grounding` builds the facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from agent.core.events import Event
from agent.core.grounding import Direction, Grounding
from agent.core.kinds import EventKind, Language
from agent.core.settings import ZoneConfig
from agent.core.text import vocabulary as lx
from agent.core.text.en import plural
from agent.core.text.phrases import Phrases
from agent.llm.fluency import fluency

MAX_CHARS = 300
BOUNDARY = "§"  # stands for a clock time or zone name; a number never binds across it

_APOSTROPHES = str.maketrans(dict.fromkeys("’ʼ‘′", "'"))
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)*|[^\w\s]")
_AMPM = re.compile(r"\b([ap])\.\s?m\.", re.IGNORECASE)
_CLOCK = re.compile(r"(?<!\d)(?<!\d:)(\d{1,2}):(\d{2})(?::\d{2})?(?:\s*([ap])m\b)?(?!\d|:\d)")
_HOUR = re.compile(r"\b(\d{1,2})\s*([ap])m\b")
_OPEN_QUOTES, _CLOSE_QUOTES = frozenset("«“„"), frozenset("»”")
_MARKUP = re.compile(r"[{}\[\]*#`]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_RUSSIAN = re.compile(r"[ыэъё]")  # small models slip into Russian; Ukrainian has none of these
_LATIN = re.compile(r"[a-z]")
_NOT_A_NUMBER_ONE = frozenset({"no", "any", "every", "each", "which", "that", "this"})

_DIRECTIONS: dict[EventKind, Direction] = {
    "arrival": "in",
    "zone_enter": "in",
    "departure": "out",
    "zone_exit": "out",
    "dwell": "stay",
    "count_change": "change",
}


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    sense: lx.Sense
    word: str  # as written, for messages


def verify(text: str, facts: Grounding) -> list[str]:
    """Problems of `text` against `facts`, as short English sentences; empty = grounded.

    Besides the facts, the text must be fluent: one plain sentence (`facts.max_sentences`),
    no echoed data fields, no word loops, at most `facts.max_words` words.
    """
    problems = _shape(text)
    if not text.strip():
        return problems
    problems += fluency(text, facts.max_sentences, facts.max_words)
    norm = _AMPM.sub(r"\1m", text.translate(_APOSTROPHES)).lower()
    problems += _busiest(norm, facts)
    norm = _mask_times(norm, facts.times, problems)
    tokens = _compounds(_TOKEN.findall(norm), facts.language)
    tokens = _mask_zones(tokens, facts, problems)
    problems += _places(tokens, facts)
    problems += _script(tokens, facts.language)
    mentions = _mentions(tokens, facts)
    problems += _objects(mentions, facts)
    problems += _numbers(tokens, mentions, facts)
    problems += _direction(tokens, facts)
    return list(dict.fromkeys(problems))


def event_grounding(
    event: Event, zones: dict[str, ZoneConfig], dwell_seconds: float = 0
) -> Grounding:
    """The facts of an event; `zones` are the camera's zones by name."""
    counts: dict[str, set[int]] = {}
    totals: dict[str, int] = {}
    numbers: set[int] = set()
    for o in event.objects:
        counts.setdefault(o.label, set()).add(o.count)
        totals[o.label] = totals.get(o.label, 0) + o.count
        if event.kind == "count_change":
            before = o.previous_count or 0
            counts[o.label].add(before)
            numbers.add(abs(o.count - before))  # 'increased by 2'
    for label, total in totals.items():
        counts[label].add(total)
    if event.kind == "dwell":
        numbers |= _durations(dwell_seconds)
    names = list(dict.fromkeys(z for o in event.objects for z in o.zones))
    return Grounding(
        language=event.language,
        labels={label: sorted(c) for label, c in counts.items()},
        numbers=sorted(numbers),
        times=sorted({_clock(event.started_at), _clock(event.ended_at)}),
        direction=_DIRECTIONS[event.kind],
        zones={n: _zone_words(n, zones.get(n)) for n in names},
        other_zones={n: _zone_words(n, z) for n, z in zones.items() if n not in names},
        # a sentence per place group; more objects need more words, nothing needs 40
        max_sentences=1,
        max_words=24 + 12 * (len(event.objects) - 1),
    )


def _clock(at: datetime) -> str:
    return at.strftime("%H:%M")


def _durations(seconds: float) -> set[int]:
    """Numbers a dwell time may be told with: seconds, minutes (as the templates round them)."""
    minutes = seconds / 60
    found = {round(seconds), int(seconds), round(minutes), int(minutes), max(1, round(minutes))}
    if seconds >= 3600:
        found |= {round(seconds / 3600), int(seconds / 3600)}
    return found


def _zone_words(name: str, zone: ZoneConfig | None) -> list[str]:
    words = [name, name.replace("_", " ").replace("-", " ")]
    if zone is not None:
        words += [zone.title or "", zone.display]
    return [w for w in dict.fromkeys(words) if w]


# --- shape and script -------------------------------------------------------------------


def _shape(text: str) -> list[str]:
    if not text.strip():
        return ["it is empty"]
    problems = []
    if len(text) > MAX_CHARS:
        problems.append(f"it is longer than {MAX_CHARS} characters")
    if "\n" in text or "\r" in text:
        problems.append("it has a line break; write one line")
    if _MARKUP.search(text):
        problems.append("it has markdown or JSON characters; write plain text")
    return problems


def _script(tokens: list[str], language: Language) -> list[str]:
    """English has no Cyrillic words; Ukrainian has Latin ones only in quotes or zone names."""
    if language == "en":
        cyrillic = [t for t in tokens if _CYRILLIC.search(t)]
        if cyrillic:
            return [f"it has Cyrillic words ('{cyrillic[0]}'), but it must be in English"]
        return []
    if not any(_CYRILLIC.search(t) for t in tokens):
        return ["it is not in Ukrainian"]
    russian = [t for t in tokens if _RUSSIAN.search(t)]
    if russian:
        return [f"it has Russian words ('{russian[0]}'), but it must be in Ukrainian"]
    depth, straight = 0, False
    for t in tokens:
        if t in _OPEN_QUOTES:
            depth += 1
        elif t in _CLOSE_QUOTES:
            depth = max(0, depth - 1)
        elif t == '"':
            straight = not straight
        elif _LATIN.search(t) and not depth and not straight:
            return [f"it has Latin words ('{t}'), but it must be in Ukrainian"]
    return []


# --- clock times and zones --------------------------------------------------------------


_BUSIEST = re.compile(r"\b(busiest|busier|peak|most active|найжвавіш\w*|найактивніш\w*)")


def _busiest(norm: str, facts: Grounding) -> list[str]:
    """'Busiest' must name the hour and how many events it had: 'busiest at 07:00 with 4'."""
    if not _BUSIEST.search(norm):
        return []
    if facts.busiest is None:
        return ["it says when it was busiest, but the facts name no busiest hour"]
    hour, events = facts.busiest
    numbers = {int(n) for n in re.findall(r"(?<![\d:])\d+(?![\d:])", norm)}
    if hour not in norm or events not in numbers:
        return [f"it says 'busiest' without the hour and its count ({hour}, {events} events)"]
    return []


def _mask_times(norm: str, times: list[str], problems: list[str]) -> str:
    """Checks every clock time against the facts and replaces it with BOUNDARY."""

    def check(written: str, hour: int, minute: int | None, half: str | None) -> str:
        if half == "a" and hour == 12:
            hour = 0
        elif half == "p" and hour < 12:
            hour += 12
        ok = any(
            t == f"{hour:02d}:{minute:02d}" if minute is not None else t[:2] == f"{hour:02d}"
            for t in times
        )
        if not ok:
            told = (
                f"the time is {times[0]}"
                if len(times) == 1
                else f"the times are {' and '.join(times)}"
                if times
                else "the facts give no time"
            )
            problems.append(f"it states the time {written.strip()}, but {told}")
        return f" {BOUNDARY} "

    norm = _CLOCK.sub(lambda m: check(m[0], int(m[1]), int(m[2]), m[3]), norm)
    return _HOUR.sub(lambda m: check(m[0], int(m[1]), None, m[2]), norm)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text.translate(_APOSTROPHES).lower().replace("_", " ")))


def _same_word(token: str, word: str, uk: bool) -> bool:
    """Equal, or in Ukrainian the same stem with a case ending: стайня ~ стайні."""
    if token == word:
        return True
    if not uk or not _CYRILLIC.search(word):
        return False
    stem = lx.uk_stem(word)
    return (
        len(stem) >= lx.UK_MIN_STEM
        and token.startswith(stem)
        and token[len(stem) :] in lx.UK_ENDINGS
    )


def _mask_zones(tokens: list[str], facts: Grounding, problems: list[str]) -> list[str]:
    """Zone names become BOUNDARY; names of zones outside the facts are problems."""
    candidates = [
        (words, name, allowed)
        for allowed, table in ((True, facts.zones), (False, facts.other_zones))
        for name, titles in table.items()
        for words in {_words(w.replace("-", " ")) for w in (name, *titles)}
        if words
    ]
    candidates.sort(key=lambda c: (-len(c[0]), not c[2]))  # longest first, facts' zones on ties
    uk = facts.language == "uk"
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for words, name, allowed in candidates:
            n = len(words)
            if len(tokens) - i >= n and all(
                _same_word(t, w, uk) for t, w in zip(tokens[i : i + n], words, strict=True)
            ):
                if not allowed:
                    problems.append(f"it names the zone '{name}', which is not in the facts")
                out.append(BOUNDARY)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _places(tokens: list[str], facts: Grounding) -> list[str]:
    """Place words left after masking the zones ('front door', 'stable') name places the
    facts do not have: small models copy them from examples or make them up."""
    uk = facts.language == "uk"
    place_of = lx.uk_place if uk else lx.en_place
    zone_tokens = {t for words in facts.zones.values() for w in words for t in _words(w)}
    allowed = {place_of(t) for t in zone_tokens} | zone_tokens
    problems = []
    for t in tokens:
        place = place_of(t)
        if place is not None and place not in allowed:
            where = ", ".join(f"'{n}'" for n in facts.zones)
            told = f"the zones in the facts are {where}" if where else "the facts name no place"
            problems.append(f"it names the place '{t}', but {told}")
    return problems


# --- objects ------------------------------------------------------------------------------


def _mentions(tokens: list[str], facts: Grounding) -> list[_Mention]:
    """Object words (longest phrase first), English possessives and Ukrainian case forms."""
    uk = facts.language == "uk"
    vocab: lx.Vocab = dict(lx.EN_VOCAB)
    if uk:
        vocab.update(lx.UK_VOCAB)
    for label in facts.labels:  # labels of custom detectors the vocabulary lacks
        for form, many in lx.spec_forms(label.replace("_", " ")):
            key = tuple(form.split())
            if key not in vocab or label not in vocab[key].labels:
                vocab[key] = lx.Sense(frozenset({label}), label, many)
    found: list[_Mention] = []
    i = 0
    while i < len(tokens):
        mention = _mention_at(tokens, i, vocab, uk)
        if mention is not None:
            found.append(mention)
        i = mention.end if mention else i + 1
    return found


def _mention_at(tokens: list[str], i: int, vocab: lx.Vocab, uk: bool) -> _Mention | None:
    for n in (3, 2, 1):
        key = tuple(tokens[i : i + n])
        if len(key) < n:
            continue
        if key[-1].endswith("'s"):  # the cow's
            key = (*key[:-1], key[-1][:-2])
        if key in vocab:
            return _Mention(i, i + n, vocab[key], " ".join(tokens[i : i + n]))
    token = tokens[i]
    if uk and _CYRILLIC.search(token):
        for cut in range(len(token), len(token) - 4, -1):
            stem, ending = token[:cut], token[cut:]
            if len(stem) >= lx.UK_MIN_STEM and ending in lx.UK_ENDINGS and stem in lx.UK_STEMS:
                return _Mention(i, i + 1, lx.UK_STEMS[stem], token)
    return None


def _article(label: str) -> str:
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label}"


def _objects(mentions: list[_Mention], facts: Grounding) -> list[str]:
    problems = []
    covered: set[str] = set()
    for m in mentions:
        known = m.sense.labels & facts.labels.keys()
        covered |= known
        if known:
            continue
        name = m.sense.name
        if m.sense.hypernym:
            problems.append(f"it says '{m.word}', but no {name} is in the facts")
        else:
            said = "" if m.word in (name, plural(name)) else f" ('{m.word}')"
            problems.append(f"it names {_article(name)}{said}, but no {name} is in the facts")
    if facts.require_all_labels:
        for label, counts in facts.labels.items():
            if label not in covered:
                name = plural(label) if max(counts, default=1) > 1 else label
                problems.append(f"it does not mention the {name}")
    return problems


# --- numbers ------------------------------------------------------------------------------


def _allowed(sense: lx.Sense, facts: Grounding) -> set[int]:
    """Counts a number before this word may have; for a hypernym, sums over its labels."""
    sums = {0}
    for label in sorted(sense.labels & facts.labels.keys()):
        sums = {s + c for s in sums for c in facts.labels[label]}
    return sums if sense.labels & facts.labels.keys() else set()


def _sightings(sense: lx.Sense, facts: Grounding) -> set[int]:
    """Counts over the period of the labels a word names (digests)."""
    return {n for label in sense.labels & facts.sightings.keys() for n in facts.sightings[label]}


def _compounds(tokens: list[str], language: Language) -> list[str]:
    """'twenty-one' and 'двадцять одна' become '21', so they count as one number."""
    tens, units = (lx.UK_TENS, lx.UK_NUMBERS) if language == "uk" else (lx.EN_TENS, lx.EN_NUMBERS)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        j = i + 2 if tokens[i + 1 : i + 2] == ["-"] else i + 1
        if tokens[i] in tens and j < len(tokens) and 1 <= units.get(tokens[j], 0) <= 9:
            out.append(str(tens[tokens[i]] + units[tokens[j]]))
            i = j + 1
        else:
            out.append(tokens[i])
            i += 1
    return out


def _number(tokens: list[str], i: int, language: Language) -> tuple[int | None, bool]:
    """(value, counts only before an object word) of token i; (None, False) if not a number."""
    t = tokens[i]
    if t.isdigit():
        return int(t), False
    if language == "uk":
        if t in lx.UK_BOUND_NUMBERS:
            return lx.UK_BOUND_NUMBERS[t], True
        return lx.UK_NUMBERS.get(t), False
    if t in lx.EN_BOUND_NUMBERS:
        return lx.EN_BOUND_NUMBERS[t], True
    if t == "one" and i and tokens[i - 1] in _NOT_A_NUMBER_ONE:  # 'no one'
        return None, False
    return lx.EN_NUMBERS.get(t), False


def _bound(
    tokens: list[str], i: int, starts: dict[int, _Mention], stop: frozenset[str], skip: int
) -> _Mention | None:
    """The object word after token i, across at most `skip` adjectives ('2 brown cows')."""
    for j in range(i + 1, min(len(tokens), i + 2 + skip)):
        if j in starts:
            return starts[j]
        t = tokens[j]
        if not t[0].isalpha() or t in stop or t in lx.EN_NUMBERS or t in lx.UK_NUMBERS:
            return None
    return None


def _there_are(allowed: set[int]) -> str:
    values = [str(n) for n in sorted(allowed)]
    if values == ["1"]:
        return "there is 1"
    return "there are " + (" or ".join(values) if len(values) < 3 else ", ".join(values))


def _numbers(tokens: list[str], mentions: list[_Mention], facts: Grounding) -> list[str]:
    uk = facts.language == "uk"
    stop = lx.UK_STOP if uk else lx.EN_STOP
    vague_words = lx.UK_VAGUE if uk else lx.EN_VAGUE
    starts = {m.start: m for m in mentions}
    sighted = set().union(*facts.sightings.values())
    anywhere = set(facts.numbers).union(*facts.labels.values()) | sighted
    tally = lx.UK_TALLY if uk else lx.EN_TALLY
    problems: list[str] = []
    said: dict[frozenset[str], list[int]] = {}  # numbers told per sense, to sum 'a man and a woman'
    pairs: list[tuple[int, _Mention]] = []
    counted: set[int] = set()  # mentions with a number or quantifier before them
    for i, t in enumerate(tokens):
        if t in vague_words:
            m = _bound(tokens, i, starts, stop - {"of", "the"}, 3)
            if m is not None:
                counted.add(m.start)
                if max(_allowed(m.sense, facts), default=2) <= 1:
                    problems.append(f"it says '{t}' {m.word}, but there is only one {m.sense.name}")
            continue
        if re.fullmatch(r"\d+\.\d+", t):
            problems.append(f"it says {t}, which is not in the facts")
            continue
        value, bound_only = _number(tokens, i, facts.language)
        if value is None:
            continue
        if tokens[i + 1 : i + 2] and tokens[i + 1] in tally:  # '3 sightings', '3 рази'
            if value not in anywhere:
                problems.append(f"it says {value} {tokens[i + 1]}, which is not in the facts")
            continue
        # 'a brown cow', but not 'a bit later cows'; numbers reach across two adjectives.
        m = _bound(tokens, i, starts, stop, 1 if t in ("a", "an") else 2)
        if m is not None and tokens[m.end : m.end + 1] and tokens[m.end] in tally:
            if value not in anywhere:  # '3 cow sightings'
                problems.append(
                    f"it says {value} {m.word} {tokens[m.end]}, which is not in the facts"
                )
            continue
        if m is not None:
            counted.add(m.start)
            said.setdefault(m.sense.labels, []).append(value)
            pairs.append((value, m))
        elif not bound_only and value not in anywhere:
            problems.append(f"it says {value}, which is not in the facts")
    for value, m in pairs:
        allowed = _allowed(m.sense, facts)
        if allowed and value not in allowed and sum(said[m.sense.labels]) not in allowed:
            if value in _sightings(m.sense, facts):
                most = max(allowed)
                name = m.sense.name if most == 1 else plural(m.sense.name)
                problems.append(
                    f"it says {value} {m.word}, but {value} is the number of sightings over "
                    f"the period; at most {most} {name} seen at once"
                )
            else:
                problems.append(f"it says {value} {m.word}, but {_there_are(allowed)}")
    if not uk:  # 'cows left' about one cow; Ukrainian agreement is left to number + noun
        for m in mentions:
            if (
                m.sense.plural
                and m.start not in counted
                and _allowed(m.sense, facts) == {1}
                and max(_sightings(m.sense, facts), default=1) <= 1
            ):
                problems.append(f"it says '{m.word}', but there is only one {m.sense.name}")
    return problems


# --- direction ----------------------------------------------------------------------------


def _find(tokens: list[str], phrases: Phrases) -> str | None:
    """The first phrase of `phrases` in the tokens; 'on the left' is no departure, nor is
    'was left' (left behind, which says it stayed)."""
    for i in range(len(tokens)):
        for n in (4, 3, 2, 1):
            key = tuple(tokens[i : i + n])
            if len(key) == n and key in phrases:
                if key == ("left",) and (
                    (i and tokens[i - 1] in ("the", "to", "on", "far", "was", "were", "been", "is"))
                    or tokens[i + 1 : i + 2] in (["side"], ["corner"], ["edge"], ["of"])
                ):
                    continue
                return " ".join(key)
    return None


def _from_to(tokens: list[str], language: Language) -> bool:
    """'from 2 to 3' / 'з 2 до 3', with up to two words between the numbers and 'to'."""
    starts, ends = lx.UK_FROM_TO if language == "uk" else lx.EN_FROM_TO
    for i, t in enumerate(tokens[:-3]):
        if t in starts and _number(tokens, i + 1, language)[0] is not None:
            for j in range(i + 2, min(len(tokens) - 1, i + 5)):
                if tokens[j] in ends and _number(tokens, j + 1, language)[0] is not None:
                    return True
    return False


def _direction(tokens: list[str], facts: Grounding) -> list[str]:
    uk = facts.language == "uk"
    came = lx.UK_IN if uk else lx.EN_IN
    came_verbs = lx.UK_COME_VERBS if uk else lx.EN_COME_VERBS
    went = lx.UK_OUT if uk else lx.EN_OUT
    stayed = lx.UK_STAY if uk else lx.EN_STAY
    changed = lx.UK_CHANGE if uk else lx.EN_CHANGE
    problems = []
    if facts.direction == "in":
        if (word := _find(tokens, went)) is not None:
            problems.append(f"it says '{word}', but the objects arrived")
        if _find(tokens, came) is None:
            problems.append("it does not say that the objects arrived")
    elif facts.direction == "out":
        if (word := _find(tokens, came_verbs)) is not None:
            problems.append(f"it says '{word}', but the objects left")
        if _find(tokens, went) is None:
            problems.append("it does not say that the objects left")
    elif facts.direction == "stay":
        if (word := _find(tokens, went)) is not None:
            problems.append(f"it says '{word}', but the objects stayed")
        if _find(tokens, stayed) is None:
            problems.append("it does not say that the objects stayed")
    elif (
        facts.direction == "change"
        and _find(tokens, changed) is None
        and not _from_to(tokens, facts.language)
    ):
        problems.append("it does not say that the number changed")
    return problems
