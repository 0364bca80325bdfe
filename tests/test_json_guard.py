"""The scans that bound untrusted JSON before parsing agree with the real parser."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.adapters.mqtt.json_guard import nesting_exceeds, peek_string

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=JSON, limit=st.integers(0, 6), ascii_only=st.booleans())
def test_nesting_matches_the_parsed_depth(value: Any, limit: int, ascii_only: bool) -> None:
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert nesting_exceeds(data, limit) == (depth(value) > limit)


@settings(max_examples=300, deadline=None)
@given(
    before=st.dictionaries(st.text(), JSON, max_size=3),
    after=st.dictionaries(st.text(), JSON, max_size=3),
    cid=st.text(max_size=50),
)
def test_peek_reads_what_the_parser_reads(
    before: dict[str, Any], after: dict[str, Any], cid: str
) -> None:
    doc = {**before, "correlation_id": cid, **after}
    doc["correlation_id"] = cid  # `after` may have had one; the key keeps its place
    data = json.dumps(doc).encode()
    assert peek_string(data, "correlation_id") == cid
    assert peek_string(data[: len(data) // 2], "correlation_id") in (cid, None)  # cut short


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"correlation_id": "a", "x": ' + b"[" * 200_000, "a"),
        (b'{"x": {"correlation_id": "inner"}, "correlation_id": "outer"}', "outer"),
        (b'{"x": "\\"correlation_id\\": \\"fake\\"", "correlation_id": "real"}', "real"),
        (b'{"correlation\\u005fid": "escaped"}', "escaped"),
        (b'[{"correlation_id": "in a list"}]', None),
        (b'{"correlation_id": 5}', None),
        (b'{"correlation_id": "unterminated', None),
        (b'{"correlation_id": "\\ud800"}', "\ud800"),  # the caller decides what to echo
        (b"\xff\xfe", None),
        (b"", None),
    ],
)
def test_peek_on_odd_documents(data: bytes, expected: str | None) -> None:
    assert peek_string(data, "correlation_id") == expected


def test_deep_documents_need_no_stack() -> None:
    deep = b"[" * 1_000_000 + b"]" * 1_000_000
    with pytest.raises(RecursionError):
        json.loads(deep)  # what the scan protects against
    assert nesting_exceeds(deep, 8)
    assert not nesting_exceeds(b'["[[[[[[[[[[[[[[[[[[[[[[[[["]', 2)  # brackets in a string
    assert not nesting_exceeds(b'["\\"[[[[[[[[[[["]', 2)  # after an escaped quote
