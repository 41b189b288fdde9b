"""Items the spider yields: rows for one store table each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rows:
    """Rows for one table of the store (``pages``, ``links`` or ``fetches``)."""

    table: str
    rows: list[dict[str, Any]] = field(default_factory=list)
