"""Words and phrases as token tuples: the one tokenizer that questions and sentences share."""

from __future__ import annotations

import re

from agent.core.kinds import Language

Phrase = tuple[str, ...]
Phrases = frozenset[Phrase]

_APOSTROPHES = str.maketrans(dict.fromkeys("’ʼ‘′`", "'"))
_TOKEN = re.compile(r"\d{1,2}[:.]\d{2}|\d+|[^\W\d_]+(?:['-][^\W\d_]+)*|[?!,.;:\-]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def tokens(text: str) -> list[str]:
    """Lower-case words, numbers and clock times ('14:00'), one apostrophe for all."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


def language_of(text: str, default: Language) -> Language:
    """Ukrainian when the text has Cyrillic letters, English when it has Latin ones."""
    if _CYRILLIC.search(text):
        return "uk"
    if re.search(r"[a-zA-Z]", text):
        return "en"
    return default


def phrases(*texts: str) -> Phrases:
    """Phrases from 'a b|c|d e': '|' separates phrases, spaces separate words."""
    return frozenset(tuple(tokens(p)) for text in texts for p in text.split("|") if tokens(p))


def words(text: str) -> Phrases:
    """One-word phrases from a space-separated list."""
    return frozenset((w,) for w in text.split())
