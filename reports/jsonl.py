"""findings.jsonl: one JSON object per finding (the contract other tools read).

With the finding history (issue 6) each object also has ``status`` (new / open /
reopened / waived), ``first_seen`` and ``last_seen`` (ISO times of the runs that first
and last saw it). Waived findings, hidden from report.html's main list, are still
written here with ``status: "waived"``.

Each object also names its site as the 抽查 通报 do: ``site_code`` (网站标识码) and
``site_unit`` (主办单位), from the config (null when not configured), and carries
``site_verdict``: the site's verdict summary (reports/verdict.py ``SiteVerdict.as_dict``:
``verdict`` 不合格/合格/待定, ``veto`` the triggered 单项否决 item ids, ``undecided``, ``score``,
``counts``, ``availability``, ``previous``), the same for every finding of the site.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)


def write(data, path) -> None:
    view = getattr(data, "history", None)
    entries = view.entries if view is not None else {}
    hidden = list(getattr(view, "hidden", []) or [])
    verdicts = {v.site: v.as_dict() for v in getattr(data, "verdicts", None) or []}
    with open(path, "w", encoding="utf-8") as out:
        for finding in [*data.findings, *hidden]:
            record = finding.as_dict()
            entry = entries.get(finding.fingerprint)
            record["status"] = entry.status if entry else None
            record["first_seen"] = entry.first_seen if entry else None
            record["last_seen"] = entry.last_seen if entry else None
            summary = verdicts.get(finding.site)
            record["site_code"] = summary["site_code"] if summary else None
            record["site_unit"] = summary["site_unit"] if summary else None
            record["site_verdict"] = summary
            try:
                line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
            except (TypeError, ValueError) as exc:  # one finding never costs the others
                log.warning("findings.jsonl: finding %s cannot be written: %s", finding.fingerprint, exc)
                line = json.dumps({"fingerprint": finding.fingerprint, "check": finding.check, "site": finding.site,
                                   "error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False)
            out.write(line + "\n")
