"""Lemmas of question words from maintained analysers, not hand tables.

Ukrainian: pymorphy3 with its Ukrainian dictionary (pymorphy3-dicts-uk), so 'біля воріт'
finds the vocabulary word 'ворота', 'у дворі' finds 'двір' and 'вигнали' the verb 'вигнати'.
English: simplemma (plurals and verb forms: 'hens' -> 'hen', 'drove' -> 'drive').
Chosen over simplemma for Ukrainian by measurement (docs/BENCHMARKS.md): 45 of 46 case and
verb forms right against 40, loaded in 0.4 s against 7.6 s, 48 MB against 150 MB.
Both load on first use and answer from a cache after that.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from agent.core.kinds import Language

_lock = threading.Lock()  # one analyser load at a time, even when a warm-up runs
_CACHE = 16384
_analyser: list[Any] = []


def _uk() -> Any:
    if not _analyser:
        with _lock:
            if not _analyser:
                import pymorphy3

                _analyser.append(pymorphy3.MorphAnalyzer(lang="uk"))
    return _analyser[0]


@lru_cache(maxsize=_CACHE)
def _uk_parses(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, tag) of every reading of a Ukrainian word."""
    return tuple((p.normal_form, str(p.tag)) for p in _uk().parse(word))


@lru_cache(maxsize=_CACHE)
def lemmas(word: str, language: Language) -> frozenset[str]:
    """Every lemma the word may have, the word itself included."""
    if not word.isalpha() and "'" not in word and "-" not in word:
        return frozenset({word})
    if language == "uk":
        return frozenset({word, *(lemma for lemma, _ in _uk_parses(word))})
    return frozenset({word, _en_lemma(word)})


@lru_cache(maxsize=_CACHE)
def lemma(word: str, language: Language) -> str:
    """The word's most likely lemma (the analyser's first reading)."""
    if not word.isalpha() and "'" not in word and "-" not in word:
        return word
    if language == "uk":
        parses = _uk_parses(word)
        return parses[0][0] if parses else word
    return _en_lemma(word)


def future_verb(word: str) -> bool:
    """A Ukrainian verb that can only be read as future ('прийде', 'повернуться')."""
    verbs = [tag for _, tag in _uk_parses(word) if tag.startswith("VERB")]
    return any("futr" in t for t in verbs) and not any("past" in t or "pres" in t for t in verbs)


def _en_lemma(word: str) -> str:
    import simplemma

    with _lock:  # simplemma loads its English dictionary on first use
        return str(simplemma.lemmatize(word, lang="en"))


def warm_up() -> None:
    """Load both analysers now rather than on the first question."""
    lemmas("двір", "uk")
    lemmas("gates", "en")


def warm_up_in_background() -> threading.Thread:
    """Load the analysers on a thread of their own, so starting the agent does not wait."""
    thread = threading.Thread(target=warm_up, name="lemmas", daemon=True)
    thread.start()
    return thread


def uk_many(word: str) -> str:
    """The genitive plural a negation takes: 'їжак' -> 'їжаків' (the word when unknown)."""
    parses = [p for p in _uk().parse(word) if p.normal_form == word] or _uk().parse(word)
    for parse in sorted(parses, key=lambda p: "anim" not in p.tag):
        if "NOUN" in parse.tag and (form := parse.inflect({"plur", "gent"})) is not None:
            return str(form.word)
    return word
