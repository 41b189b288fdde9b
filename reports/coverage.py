"""Crawl coverage (采集覆盖) per site and per column, for the report and the run summary.

Per site the gatherer counts the in-scope pages that answered (``fetched``), the ones it
parsed, and the ones it left unparsed with the reason (``cap``: the page cap, ``depth``:
the depth cap, ``trap``: a URL-trap guard, ``error``: an unparsable answer,
``non-HTML``: not a web page), kept in the run's ``stats_json``. Per column the store
gives the pages its list pages link to: listed, answered, parsed, and answered but not parsed
with the reason (``fetches.unparsed``). Coverage is incomplete
when an in-scope page answered but was not parsed: the content checks (privacy, 解读,
metadata, validity, timeliness, regulations) could not be decided on those pages, and
the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECTION = ("sections/coverage.html.j2", "采集覆盖")
REASON_LABELS = {"cap": "超过页面上限", "depth": "超过链接深度上限", "trap": "疑似URL陷阱", "error": "页面无法解析",
                 "non-HTML": "非网页内容"}
UNDECIDED_FAMILIES = ("privacy", "policy", "metadata", "document", "disclosure", "regulation")


@dataclass
class ColumnCoverage:
    col: str
    listed: int
    fetched: int
    parsed: int
    unparsed: dict[str, int] = field(default_factory=dict)        # reason → count

    @property
    def unparsed_text(self) -> str:
        return reasons_text(self.unparsed)


@dataclass
class SiteCoverage:
    site: str
    fetched: int = 0
    parsed: int = 0
    unparsed: dict[str, int] = field(default_factory=dict)        # reason → count
    examples: dict[str, str] = field(default_factory=dict)        # URL → reason (the first few)
    columns: list[ColumnCoverage] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return sum(self.unparsed.values())

    def reasons(self) -> str:
        return reasons_text(self.unparsed)


def site_coverage(site: str, stats: dict[str, Any]) -> SiteCoverage:
    counts = stats.get("coverage") or {}
    return SiteCoverage(site=site, fetched=int(counts.get("fetched", 0)), parsed=int(counts.get("parsed", 0)),
                        unparsed={k.split(":", 1)[1]: int(v) for k, v in counts.items() if k.startswith("unparsed:")},
                        examples=dict(stats.get("unparsed") or {}))


def column_rows(store, run_id: int, site: str) -> list[ColumnCoverage]:
    """Per column of ``site``: the same-site pages its list pages link to — listed, answered
    (status OK), parsed, and the ones answered but not parsed by reason (``unparsed``)."""
    rows = [ColumnCoverage(**r) for r in store.column_coverage(run_id, site)]
    by_col = {r.col: r for r in rows}
    for col, reason, n in store.column_unparsed(run_id, site):
        by_col[col].unparsed[reason] = n
    return rows


def reasons_text(unparsed: dict[str, int]) -> str:
    """``{reason: count}`` in Chinese (超过页面上限 3、非网页内容 1)."""
    return "、".join(f"{REASON_LABELS.get(r, r)} {n}" for r, n in sorted(unparsed.items()))


def attach_coverage(store, run_id: int, data) -> None:
    """Coverage per site (``summary.coverage``) and per column, the report section, and a
    banner naming what could not be decided when coverage is incomplete."""
    measured = [s for s in data.sites if "coverage" in (s.stats or {})]
    if not measured:
        return   # a run stored before coverage was counted
    for summary in measured:
        cov = site_coverage(summary.name, summary.stats)
        cov.columns = column_rows(store, run_id, summary.name)
        summary.coverage = cov
        if cov.missing:
            data.banners.append(
                f"{summary.name}：采集覆盖不完整，{cov.missing} 个范围内页面已获取但未解析（{cov.reasons()}）；"
                f"这些页面上的内容检查（{'、'.join(f + '.*' for f in UNDECIDED_FAMILIES)}）无法判定，"
                "未报告问题不代表没有问题。")
    if SECTION not in data.sections:
        data.sections.append(SECTION)


def summary_line(site: str, stats: dict[str, Any]) -> str:
    """The run summary's coverage line of one site (zh-CN)."""
    cov = site_coverage(site, stats)
    line = f"    采集覆盖：范围内页面 {cov.fetched} · 已解析 {cov.parsed}"
    if cov.missing:
        line += f" · 已获取未解析 {cov.missing}（{cov.reasons()}；这些页面上的内容检查无法判定）"
    return line
