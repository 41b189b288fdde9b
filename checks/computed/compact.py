"""One copy of each repeated value of a shared index.

An index of 100,000 articles repeats the same few hundred metadata labels (发布日期, 索引号 …),
issuing bodies, dates and site names in every record; each row read from the store and each
``json.loads`` makes new copies of them. A :class:`Compact` kept for one index's build hands
out the first copy of each short string and of each date, so that the index holds them once
(and lets them go with it: no process-wide interning)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

SHORT = 40   # longer strings (titles, texts, URLs) rarely repeat


class Compact:
    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def __call__(self, value):
        """The first copy of a short string or a date equal to ``value``; anything else as it is."""
        if isinstance(value, date) or (isinstance(value, str) and len(value) <= SHORT):
            return self._seen.setdefault(value, value)
        return value

    def meta(self, text: str | None) -> dict[str, Any]:
        """A page's metadata table (``meta_json``) with its labels and short values shared;
        {} for an empty, unreadable or non-object value."""
        try:
            value = json.loads(text or "{}", object_pairs_hook=lambda pairs: {self(k): self(v) for k, v in pairs})
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
