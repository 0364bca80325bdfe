"""Cheap fluency checks: a grounded answer must also read as one plain sentence.

A small model can say only true things and still publish garbage: the facts echoed back
('at 05:12; left; a cow'), a word stuck in a loop, a second sentence of chatter, a sentence
cut off by the token limit. These checks catch that without a second model.
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?…]+[\"»”)]*\s+(?=[A-ZА-ЯІЇЄҐ«\"])")
_AMPM = re.compile(r"\b([ap])\.\s?m\.", re.IGNORECASE)
_FIELD = re.compile(r"=|[^\W\d_]_|_[^\W\d_]")  # key=value, snake_case names
_WORD = re.compile(r"\d+(?::\d+)*|[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*")
_ENDS = re.compile(r"[.!?…][\"»”)]*$")
_STARTS = re.compile(r"^[\"«“(]*[A-ZА-ЯІЇЄҐ\d]")


def fluency(text: str, max_sentences: int = 1, max_words: int = 60) -> list[str]:
    """Problems of shape, as short English sentences for the retry prompt; empty = fluent."""
    problems: list[str] = []
    stripped = text.strip()
    sentences = len(SENTENCE_END.findall(_AMPM.sub(r"\1m", stripped))) + 1
    if sentences > max_sentences:
        many = "one sentence" if max_sentences == 1 else f"{max_sentences} sentences"
        problems.append(f"it has more than {many}; write {many}")
    if _FIELD.search(stripped):
        problems.append("it echoes data fields ('key=value' or names_with_underscores)")
    fragments = [f for f in stripped.split(";") if f.strip()]
    if len(fragments) > 1 and any(len(_WORD.findall(f)) < 2 for f in fragments):
        problems.append("it reads like a list of facts; write a sentence")
    words = [w.lower() for w in _WORD.findall(stripped)]
    repeat = _repeat(words)
    if repeat:
        problems.append(f"it repeats '{repeat}'")
    if len(words) > max_words:
        problems.append(f"it has more than {max_words} words")
    if not _STARTS.search(stripped):
        problems.append("it does not start with a capital letter")
    if not _ENDS.search(stripped):
        problems.append("it does not end with a full stop")
    return problems


def _repeat(words: list[str]) -> str | None:
    """A run of one to three words said twice in a row ('the the', 'at the gate at the gate')."""
    for n in (1, 2, 3):
        for i in range(len(words) - 2 * n + 1):
            if words[i : i + n] == words[i + n : i + 2 * n] and not words[i].isdigit():
                return " ".join(words[i : i + 2 * n])
    return None
