"""findings.jsonl: one JSON object per finding (the contract other tools read).

With the finding history (issue 6) each object also has ``status`` (new / open /
reopened / waived), ``first_seen`` and ``last_seen`` (ISO times of the runs that first
and last saw it). Waived findings, hidden from report.html's main list, are still
written here with ``status: "waived"``.
"""

from __future__ import annotations

import json


def write(data, path) -> None:
    view = getattr(data, "history", None)
    entries = view.entries if view is not None else {}
    hidden = list(getattr(view, "hidden", []) or [])
    with open(path, "w", encoding="utf-8") as out:
        for finding in [*data.findings, *hidden]:
            record = finding.as_dict()
            entry = entries.get(finding.fingerprint)
            record["status"] = entry.status if entry else None
            record["first_seen"] = entry.first_seen if entry else None
            record["last_seen"] = entry.last_seen if entry else None
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
