"""The national inspection's thresholds, shipped as data in ``checks/data/inspection.yaml``.

One place for every number of the verdict (单项否决 items and the health score) and the
defaults of the checks that measure them; ``config.yaml`` overrides any of it under
``inspection.thresholds`` (merged key by key; veto items and score items by ``id``) or
replaces the file with ``inspection.file``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data" / "inspection.yaml"


@lru_cache(maxsize=8)
def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def _merge(base: Any, override: Any) -> Any:
    """Mappings merged key by key; lists of ``{id: …}`` items merged by id; anything else replaced."""
    if isinstance(base, dict) and isinstance(override, Mapping):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(override, Mapping) and all(isinstance(i, dict) for i in base):
        by_id = {i.get("id"): i for i in base}
        merged = [_merge(i, override[i["id"]]) if i.get("id") in override else i for i in base]
        return merged + [{"id": k, **v} for k, v in override.items() if k not in by_id and isinstance(v, Mapping)]
    return copy.deepcopy(override)


def thresholds(inspection: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The shipped thresholds with the config's ``inspection`` section applied
    (``{thresholds: {...}, file: PATH}``; a dataclass or the raw mapping)."""
    if inspection is not None and not isinstance(inspection, Mapping):
        inspection = {"thresholds": inspection.thresholds, "file": inspection.file}
    inspection = inspection or {}
    base = copy.deepcopy(_read(str(inspection.get("file") or DATA)))
    return _merge(base, inspection.get("thresholds") or {})


def check_options(inspection=None) -> dict[str, dict[str, Any]]:
    """check code → option defaults taken from the thresholds."""
    return {code: dict(opts) for code, opts in (thresholds(inspection).get("check_options") or {}).items()}


def merged_options(inspection, configured: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The thresholds' check options under the config's ``checks.options`` (which win)."""
    out = check_options(inspection)
    for code, opts in configured.items():
        out[code] = {**out.get(code, {}), **dict(opts)}
    return out
