"""ReportData: everything a report shows about one run, read once from the store.

Extension points (filled in by other features, empty by default so that every
report renders without them):

* ``sections``: extra report parts, as ``(template name, Chinese heading)``
  pairs; report.html includes each template in order with ``data`` in context.
* ``status_of``: finding fingerprint → history status (new/open/fixed/reopened/
  waived), shown as a badge and used by the 只看新增 filter.
* ``banners``: extra warnings shown at the top of the report.
* ``lead_sections``: like ``sections``, rendered first, before the overview (the verdict
  table of reports/verdict.py is the report's first screen).
* ``verdicts``: per site, :class:`reports.verdict.SiteVerdict` (不合格/合格/待定, veto items,
  counts, availability, health score, trend).
* ``history``: the finding history as of this run
  (:class:`reports.history.HistoryView`: first/last seen, feedback, the
  豁免 list, the trend); waived findings are moved off ``findings`` into
  ``history.hidden`` (the JSONL and the ledger still list them).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from checks.registry import Check, all_checks
from core.models import Finding, Severity, SiteStatus
from core.text import now_iso
from reports.coverage import attach_coverage
from reports.history import attach_history
from reports.ipv6 import attach_report as attach_ipv6
from reports.safe import deep
from reports.verdict import attach as attach_verdicts


class ReportFinding:
    """A finding as the reports hold it, one for each of the run's (tens of thousands at 100,000
    pages), with :class:`core.models.Finding`'s attributes. Crawled text is hostile: every
    writer gets it without controls, lone surrogates or XML-forbidden characters
    (reports/safe.py), the text fields made safe once, the evidence each time it is read: it is
    kept as the stored JSON (UTF-8), about a third of the memory of its parsed objects, and
    parsed when read (once by each writer, a few times by the verdicts for some checks)."""

    __slots__ = ("check", "severity", "site", "url", "page", "message", "fingerprint", "anchor", "run_id",
                 "_evidence")

    def __init__(self, row):
        self.check, self.site = sys.intern(row["check_code"]), sys.intern(row["site"])
        self.severity = Severity(row["severity"])
        self.url, self.page, self.anchor = deep(row["url"]), deep(row["page"]), deep(row["anchor"])
        self.message, self.fingerprint, self.run_id = deep(row["message"]), row["fingerprint"], row["run_id"]
        self._evidence = row["evidence_json"].encode("utf-8")

    @property
    def evidence(self) -> dict[str, Any]:
        return deep(json.loads(self._evidence))

    as_dict = Finding.as_dict


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
    code: str | None = None            # 网站标识码 (from the run's config)
    unit: str | None = None            # 主办单位
    coverage: Any = None   # reports.coverage.SiteCoverage, set by attach_coverage

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


@dataclass
class ReportData:
    run: dict[str, Any]
    sites: list[SiteSummary]
    findings: list[ReportFinding]
    checks: dict[str, Check]
    check_runs: list[dict[str, Any]]
    sections: list[tuple[str, str]] = field(default_factory=list)
    status_of: dict[str, str] = field(default_factory=dict)
    banners: list[str] = field(default_factory=list)
    history: Any = None
    lead_sections: list[tuple[str, str]] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.run["status"] == "completed"

    @property
    def lost_rows(self) -> dict[str, dict[str, int]]:
        """{site: {table: rows}} gathered but not stored in this run (``write_errors``)."""
        return self.run.get("write_errors") or {}

    @property
    def by_severity(self) -> Counter:
        return Counter(f.severity.value for f in self.findings)

    @property
    def by_check(self) -> Counter:
        return Counter(f.check for f in self.findings)

    def status(self, finding: ReportFinding) -> str | None:
        """The history status of ``finding`` (None when the history feature gave none)."""
        return self.status_of.get(finding.fingerprint)


def load_report_data(store, run_id: int, status: str | None = None) -> ReportData:
    """Everything the writers render of run ``run_id``; ``status``: the status the run is
    finishing with, when it is not marked yet (see :func:`reports.write_reports`). The reports
    are such a run's last stage: it ends as they are written, and they say so."""
    run_row = store.run(run_id)
    if run_row is None:
        raise KeyError(run_id)
    run = dict(run_row)
    if status is not None:
        run["status"] = status
        run["finished_at"] = run["finished_at"] or now_iso()
    run["config"] = json.loads(run.pop("config_json") or "{}")
    run["options"] = json.loads(run.pop("options_json") or "{}")
    run["versions"] = json.loads(run.pop("versions_json") or "{}")
    run["stats"] = json.loads(run.pop("stats_json") or "{}")
    findings = [ReportFinding(row) for row in store.finding_rows(run_id)]
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
    run["write_errors"] = store.write_error_counts(run_id)
    checks = {c.code: c for c in all_checks()}
    check_runs = [dict(r) for r in store.check_runs(run_id)]
    data = ReportData(run=run, sites=sites, findings=findings, checks=checks, check_runs=check_runs)
    attach_coverage(store, run_id, data)   # 采集覆盖 per site and column, a banner when incomplete
    if run["write_errors"]:
        data.banners.append(lost_rows_banner(run["write_errors"]))
    skipped = [s.name for s in sites if s.status == SiteStatus.NOT_AUDITED]
    if skipped:
        data.banners.append(f"有 {len(skipped)} 个站点本次未能检查（各次采集均失败）：{'、'.join(skipped)}。"
                            "这些站点没有检查结果，不作为整改依据，请重新检查。")
    over = store.parse_limit_count(run_id)
    if over:
        data.banners.append(f"有 {over} 个附件超过解析限制（crawl.parse_time_limit / parse_memory_limit）未能读取，"
                            "其内容本次未检查。")
    attach_history(store, run_id, data)
    attach_verdicts(store, run_id, data)  # the first screen: 合格/不合格/待定 per site
    attach_ipv6(data)  # the IPv6 section (when the run has IPv6 data) and the self-check banner
    return data


TABLE_LABELS = {"pages": "页面", "links": "链接", "fetches": "访问结果", "attachment_texts": "附件文本"}


def lost_rows_banner(lost: dict[str, dict[str, int]]) -> str:
    """The report's warning about rows gathered but not stored (zh-CN)."""
    parts = []
    for site, tables in sorted(lost.items()):
        detail = "、".join(f"{TABLE_LABELS.get(t, t)} {n} 条" for t, n in sorted(tables.items()))
        parts.append(f"{site or '（未知站点）'}：{detail}")
    return ("本次运行有数据未能写入数据库（" + "；".join(parts) + "）。这些站点的结果不完整，"
            "本次不作为整改依据（详见数据库 write_errors 表）。")


def _json_dict(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
