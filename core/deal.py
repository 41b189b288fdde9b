"""Dealing work to processes: the heaviest item first, each to the lightest share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def deal(items: Sequence[T], n: int, weight: Callable[[T], float]) -> list[list[T]]:
    """``items`` in ``n`` shares of about equal total ``weight`` (longest processing time
    first: the heaviest item goes to the lightest share, ties to the first share). Each share
    keeps the items' order; equal weights give round robin."""
    order = sorted(range(len(items)), key=lambda i: -weight(items[i]))   # stable: ties keep their order
    totals = [0.0] * max(1, n)
    picked: list[list[int]] = [[] for _ in totals]
    for i in order:
        k = min(range(len(totals)), key=lambda s: totals[s])
        totals[k] += weight(items[i])
        picked[k].append(i)
    return [[items[i] for i in sorted(share)] for share in picked]
