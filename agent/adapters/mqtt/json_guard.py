"""Cheap, non-recursive looks at untrusted JSON bytes, done before any parser sees them.

Python's json parser recurses once per nesting level, so deeply nested input ends in a
RecursionError. These scans walk the bytes once, honour strings and escapes the way JSON
does, use constant stack, and never build the document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

_STRUCTURE = re.compile(rb'[\[\]{}",:]')
_IN_STRING = re.compile(rb'["\\]')
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
#: A top-level string longer than this is not worth decoding to read an id.
_MAX_TOKEN_BYTES = 1024


def _tokens(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(first byte, start, end) of each bracket, colon, comma and whole string, in order.

    Strings come whole, so brackets inside them never count; an unterminated string ends
    the scan (a parser stops there too).
    """
    pos = 0
    while (found := _STRUCTURE.search(data, pos)) is not None:
        start = found.start()
        char = data[start]
        if char != _QUOTE:
            yield char, start, start + 1
            pos = start + 1
            continue
        end = start + 1
        while (inner := _IN_STRING.search(data, end)) is not None:
            if data[inner.start()] == _QUOTE:
                break
            end = inner.start() + 2  # a backslash escapes the next byte, even a quote
        if inner is None:
            return
        pos = inner.start() + 1
        yield _QUOTE, start, pos


def nesting_exceeds(data: bytes, limit: int) -> bool:
    """True when arrays and objects nest deeper than `limit` anywhere in `data`."""
    depth = 0
    for char, _, _ in _tokens(data):
        if char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSE:
            depth -= 1
    return False


def peek_string(data: bytes, key: str) -> str | None:
    """The string value of `key` in a top-level JSON object, read without parsing the rest.

    Works on broken, truncated or oversized documents (the first occurrence wins); None when
    the key is absent, not a string, or cannot be decoded.
    """
    if not data.lstrip().startswith(b"{"):
        return None
    depth = 0
    expect_key = False  # at depth 1: the next string is a key
    current: str | None = None  # the key whose value comes next, at depth 1
    for char, start, end in _tokens(data):
        if char in _OPEN:
            depth += 1
            expect_key = depth == 1 and char == ord("{")
            current = None if depth > 1 else current
        elif char in _CLOSE:
            depth -= 1
            if depth <= 0:
                return None
        elif depth != 1:
            continue
        elif char == ord(","):
            expect_key, current = True, None
        elif char == _QUOTE:
            text = _decode(data[start:end]) if end - start <= _MAX_TOKEN_BYTES else None
            if expect_key:
                expect_key, current = False, text
            elif current == key:
                return text
    return None


def _decode(token: bytes) -> str | None:
    """One JSON string token to text; a flat token cannot recurse."""
    try:
        value = json.loads(token)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, str) else None
