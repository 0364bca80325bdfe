"""The domain's words: languages, severities, event kinds and how the kinds group."""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "uk"]
Severity = Literal["info", "warning", "alert"]
EventKind = Literal["arrival", "departure", "zone_enter", "zone_exit", "dwell", "count_change"]

# Kinds whose rules need a zone.
ZONE_KINDS: frozenset[str] = frozenset({"zone_enter", "zone_exit", "dwell"})
# An object came (into view or into a zone), or went.
COMING_KINDS: tuple[EventKind, ...] = ("arrival", "zone_enter")
LEAVING_KINDS: tuple[EventKind, ...] = ("departure", "zone_exit")
