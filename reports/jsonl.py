"""findings.jsonl: one JSON object per finding (the contract other tools read)."""

from __future__ import annotations

import json


def write(data, path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for finding in data.findings:
            out.write(json.dumps(finding.as_dict(), ensure_ascii=False, sort_keys=True) + "\n")
