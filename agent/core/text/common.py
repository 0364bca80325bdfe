"""Facts every language's wording needs."""

from __future__ import annotations

from agent.core.events import EventObject


def label_totals(objects: list[EventObject]) -> list[tuple[str, int]]:
    """Objects per label across entries, in first-seen order: [('cow', 2), ('person', 1)]."""
    totals: dict[str, int] = {}
    for o in objects:
        totals[o.label] = totals.get(o.label, 0) + o.count
    return list(totals.items())


def groups_by_place(objects: list[EventObject]) -> list[list[EventObject]]:
    """Objects that share their zones form one clause; otherwise each has its own."""
    if len({tuple(o.zones) for o in objects}) == 1:
        return [objects]
    return [[o] for o in objects]
