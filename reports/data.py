"""ReportData: everything a report shows about one run, read once from the store.

Extension points (filled in by other features, empty by default so that every
report renders without them):

* ``sections``: extra report parts, as ``(template name, Chinese heading)``
  pairs; report.html includes each template in order with ``data`` in context.
* ``status_of``: finding fingerprint → history status (new/open/fixed/reopened/
  waived), shown as a badge and used by the 只看新增 filter.
* ``banners``: extra warnings shown at the top of the report.
* ``history``: the finding history as of this run
  (:class:`reports.history.HistoryView`: first/last seen, feedback, the
  豁免 list, the trend); waived findings are moved off ``findings`` into
  ``history.hidden`` (the JSONL and the ledger still list them).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from checks.registry import Check, all_checks
from reports.coverage import attach_coverage
from reports.history import attach_history
from reports.ipv6 import attach_report as attach_ipv6
from core.models import Finding


@dataclass
class SiteSummary:
    name: str
    url: str
    disclosure_url: str | None
    status: str
    pages: int
    links: int
    by_severity: Counter = field(default_factory=Counter)
    by_check: Counter = field(default_factory=Counter)
    stats: dict[str, Any] = field(default_factory=dict)
    coverage: Any = None   # reports.coverage.SiteCoverage, set by attach_coverage

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


@dataclass
class ReportData:
    run: dict[str, Any]
    sites: list[SiteSummary]
    findings: list[Finding]
    checks: dict[str, Check]
    check_runs: list[dict[str, Any]]
    sections: list[tuple[str, str]] = field(default_factory=list)
    status_of: dict[str, str] = field(default_factory=dict)
    banners: list[str] = field(default_factory=list)
    history: Any = None

    @property
    def complete(self) -> bool:
        return self.run["status"] == "completed"

    @property
    def by_severity(self) -> Counter:
        return Counter(f.severity.value for f in self.findings)

    @property
    def by_check(self) -> Counter:
        return Counter(f.check for f in self.findings)

    def status(self, finding: Finding) -> str | None:
        """The history status of ``finding`` (None when the history feature gave none)."""
        return self.status_of.get(finding.fingerprint)


def load_report_data(store, run_id: int) -> ReportData:
    run_row = store.run(run_id)
    if run_row is None:
        raise KeyError(run_id)
    run = dict(run_row)
    run["config"] = json.loads(run.pop("config_json") or "{}")
    run["options"] = json.loads(run.pop("options_json") or "{}")
    run["versions"] = json.loads(run.pop("versions_json") or "{}")
    run["stats"] = json.loads(run.pop("stats_json") or "{}")
    findings = store.findings(run_id)
    sites = []
    for row in store.run_sites(run_id):
        summary = SiteSummary(name=row["site"], url=row["url"], disclosure_url=row["disclosure_url"],
                              status=row["status"], pages=row["pages"], links=row["links"],
                              stats=_json_dict(row["stats_json"]))
        sites.append(summary)
    index = {s.name: s for s in sites}
    for f in findings:
        if f.site not in index:
            index[f.site] = SiteSummary(f.site, f.url or "", None, "unknown", 0, 0)
            sites.append(index[f.site])
        index[f.site].by_severity[f.severity.value] += 1
        index[f.site].by_check[f.check] += 1
    checks = {c.code: c for c in all_checks()}
    check_runs = [dict(r) for r in store.check_runs(run_id)]
    data = ReportData(run=run, sites=sites, findings=findings, checks=checks, check_runs=check_runs)
    attach_coverage(store, run_id, data)   # 采集覆盖 per site and column, a banner when incomplete
    attach_history(store, run_id, data)
    attach_ipv6(data)  # the IPv6 section (when the run has IPv6 data) and the self-check banner
    return data


def _json_dict(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
