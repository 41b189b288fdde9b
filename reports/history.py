"""The history as a report shows it: entries with their lifecycle, per-site counts, the
trend chart, and the diff of two runs. The lifecycle itself (statuses, what proves a fix,
pruning) and every query behind this view live in :mod:`store.history`."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.models import (ACTIVE, FINISHED_RUN_STATUSES, FIXED, STATUS_LABELS, STATUS_ORDER, UNVERIFIED, WAIVED,
                         Finding)
from core.vocabulary import COLUMN_KINDS
from store import history as lifecycle

TREND_RUNS = 12


@dataclass(slots=True)
class Entry:
    """One finding as a report, the ledger or the 复核报告 shows it (one per finding of a run:
    slots, and no evidence, which none of them shows)."""

    fingerprint: str
    site: str
    check: str
    severity: str
    url: str | None
    page: str | None
    anchor: str | None
    message: str
    status: str                      # as of the report's run (may be 'unverified')
    current_status: str              # in the history now
    first_seen: str
    last_seen: str
    times_seen: int
    note: str | None = None          # why unverified
    column: str = ""
    feedback_status: str | None = None
    feedback_note: str | None = None
    feedback_unit: str | None = None
    feedback_deadline: str | None = None
    feedback_at: str | None = None
    awaiting: bool = False
    waived_by: str | None = None
    waived_at: str | None = None
    waived_reason: str | None = None
    recheck_result: str | None = None
    recheck_note: str | None = None
    recheck_at: str | None = None
    fixed_at: str | None = None

    @property
    def status_label(self) -> str:
        label = STATUS_LABELS.get(self.status, self.status)
        return label + ("（待复核）" if self.awaiting and self.status in (*ACTIVE, UNVERIFIED) else "")


def entry_from_row(row, status: str | None = None, note: str | None = None) -> Entry:
    # one copy of the values every row of a run repeats (the site, the check, the run's times)
    same = lambda key: None if row[key] is None else sys.intern(row[key])  # noqa: E731
    return Entry(
        fingerprint=row["fingerprint"], site=same("site"), check=same("check_code"), severity=same("severity"),
        url=row["url"], page=row["page"], anchor=row["anchor"], message=row["message"],
        status=status or same("status"), current_status=same("status"), first_seen=same("first_seen"),
        last_seen=same("last_seen"), times_seen=row["times_seen"], note=note, feedback_status=row["feedback_status"],
        feedback_note=row["feedback_note"],
        feedback_unit=row["feedback_unit"], feedback_deadline=row["feedback_deadline"],
        feedback_at=row["feedback_at"], awaiting=bool(row["awaiting_recheck"]), waived_by=row["waived_by"],
        waived_at=row["waived_at"], waived_reason=row["waived_reason"], recheck_result=row["recheck_result"],
        recheck_note=row["recheck_note"], recheck_at=row["recheck_at"], fixed_at=row["fixed_at"],
    )


@dataclass
class SiteCounts:
    site: str
    counts: Counter = field(default_factory=Counter)
    awaiting: int = 0

    def __getitem__(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def open_total(self) -> int:
        return sum(self.counts.get(s, 0) for s in (*ACTIVE, UNVERIFIED))


@dataclass
class TrendPoint:
    run_id: int
    label: str
    total: int
    by_site: dict[str, int]
    x: float = 0.0
    y: float = 0.0


@dataclass
class Trend:
    points: list[TrendPoint]
    sites: list[str]
    width: int = 640
    height: int = 200
    left: int = 44
    right: int = 16
    top: int = 16
    bottom: int = 36
    ymax: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)

    PALETTE = ("#b42318", "#175cd3", "#067647", "#b54708", "#6941c6", "#0e7090")

    def layout(self) -> "Trend":
        n = len(self.points)
        self.ymax = max([p.total for p in self.points] + [1])
        span_x = self.width - self.left - self.right
        span_y = self.height - self.top - self.bottom

        def xy(i: int, v: int) -> tuple[float, float]:
            x = self.left + (span_x * i / (n - 1) if n > 1 else span_x / 2)
            y = self.top + span_y * (1 - v / self.ymax)
            return round(x, 1), round(y, 1)

        for i, p in enumerate(self.points):
            p.x, p.y = xy(i, p.total)
        series = [("合计", [p.total for p in self.points], "#101828", 2.5)]
        if len(self.sites) > 1:
            for k, site in enumerate(self.sites[: len(self.PALETTE)]):
                series.append((site, [p.by_site.get(site, 0) for p in self.points],
                               self.PALETTE[k % len(self.PALETTE)], 1.5))
        self.lines = [{"name": name, "color": color, "width": width,
                       "points": " ".join(f"{x},{y}" for x, y in (xy(i, v) for i, v in enumerate(values))),
                       "dots": [xy(i, v) + (v,) for i, v in enumerate(values)]}
                      for name, values, color, width in series]
        steps = sorted({0, self.ymax // 2, self.ymax})
        self.ticks = [{"value": v, "y": xy(0, v)[1]} for v in steps]
        return self


@dataclass
class HistoryView:
    """The history as of one run, for report.html, the JSONL and the ledger."""

    run_id: int
    available: bool
    status_of: dict[str, str] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    sites: list[SiteCounts] = field(default_factory=list)
    waived: list[Entry] = field(default_factory=list)
    fixed: list[Entry] = field(default_factory=list)
    unverified: list[Entry] = field(default_factory=list)
    trend: Trend | None = None
    previous_run: int | None = None
    hidden: list[Finding] = field(default_factory=list)    # waived findings of the run, off the main list
    labels: dict[str, str] = field(default_factory=lambda: dict(STATUS_LABELS))

    def ledger_entries(self) -> list[Entry]:
        """Everything the 整改台账 lists: the run's findings (any status), the findings this
        run proved fixed, the ones it could not verify, and every waived one."""
        rows = list(self.entries.values())
        return sorted(rows, key=lambda e: (e.site, STATUS_ORDER.get(e.status, 9),
                                           {"error": 0, "warning": 1, "info": 2}.get(e.severity, 3),
                                           e.check, e.url or "", e.page or ""))


def load_history_view(store, run_id: int, columns: dict[str, str] | None = None) -> HistoryView:
    run = store.run(run_id)
    view = HistoryView(run_id=run_id, available=run is not None and lifecycle.history_applied(store, run_id))
    if not view.available:
        return view
    rows = lifecycle.run_status_rows(store, run_id)
    sites_in_run = [r["site"] for r in store.run_sites(run_id)]
    per_site: dict[str, SiteCounts] = {s: SiteCounts(s) for s in sites_in_run}
    for r in rows:
        e = entry_from_row(r, r["run_status"], r["run_note"])
        view.entries[e.fingerprint] = e
        view.status_of[e.fingerprint] = e.status
        sc = per_site.setdefault(e.site, SiteCounts(e.site))
        sc.counts[e.status] += 1
        sc.awaiting += int(e.awaiting and e.current_status in ACTIVE)
        if e.status == FIXED:
            view.fixed.append(e)
        elif e.status == UNVERIFIED:
            view.unverified.append(e)
    # every waived finding of these sites belongs to the 豁免 list, seen this run or not
    for r in lifecycle.history_rows(store, per_site, statuses=(WAIVED,)):
        e = view.entries.get(r["fingerprint"]) or entry_from_row(r, WAIVED)
        if r["fingerprint"] not in view.entries:
            view.entries[e.fingerprint] = e
            per_site[e.site].counts[WAIVED] += 1
        view.waived.append(e)
    _fill_columns(store, run_id, view, columns or {})
    view.sites = list(per_site.values())
    view.trend = load_trend(store, run_id, list(per_site))
    view.previous_run = lifecycle.previous_audit(store, run_id)
    for bucket in (view.waived, view.fixed, view.unverified):
        bucket.sort(key=lambda e: (e.site, e.check, e.url or ""))
    return view


SECTION = ("sections/history.html.j2", "整改情况与历史")


def attach_history(store, run_id: int, data) -> HistoryView:
    """Give a :class:`reports.data.ReportData` its history: ``status_of``, ``history`` (this
    view), the history section; waived findings move off ``data.findings`` (the main list,
    the CSV, the counts) into ``history.hidden`` (the JSONL and the ledger still show them)."""
    view = load_history_view(store, run_id, COLUMN_KINDS)
    data.history = view
    if not view.available:
        return view
    data.status_of.update(view.status_of)
    view.hidden = [f for f in data.findings if view.status_of.get(f.fingerprint) == WAIVED]
    if view.hidden:
        data.findings = [f for f in data.findings if view.status_of.get(f.fingerprint) != WAIVED]
        sites = {s.name: s for s in data.sites}
        for f in view.hidden:
            summary = sites.get(f.site)
            if summary is not None:
                summary.by_severity[f.severity.value] -= 1
                summary.by_check[f.check] -= 1
                if summary.by_check[f.check] <= 0:
                    del summary.by_check[f.check]
    if SECTION not in data.sections:
        data.sections.append(SECTION)
    return view


def _fill_columns(store, run_id: int, view: HistoryView, labels: dict[str, str]) -> None:
    disclosure = {r["site"]: r["disclosure_url"] for r in store.run_sites(run_id)}
    for e in view.entries.values():
        where = e.page or e.url
        if not where:
            continue
        row = lifecycle.page_column(store, run_id, where)
        if row is not None and row["column_kind"]:
            e.column = labels.get(row["column_kind"], row["column_kind"])
        elif row is not None and row["is_home"]:
            e.column = "首页"
        elif where == disclosure.get(e.site):
            e.column = "政府信息公开"


def load_trend(store, run_id: int, sites: Sequence[str], limit: int = TREND_RUNS) -> Trend | None:
    """Open findings (new + open + reopened + not verified) after each of the last audit runs."""
    runs = lifecycle.applied_audits(store, run_id, limit)
    if not runs:
        return None
    points = []
    for r in runs:
        by_site = lifecycle.active_by_site(store, r["id"])
        mark = "" if r["status"] in FINISHED_RUN_STATUSES else "*"
        points.append(TrendPoint(r["id"], f"#{r['id']}{mark} {r['started_at'][5:10]}",
                                 sum(v for s, v in by_site.items() if not sites or s in sites), by_site))
    return Trend(points, list(sites)).layout()



# -- diff -------------------------------------------------------------------------------------
@dataclass
class DiffItem:
    change: str                 # appeared | disappeared
    finding: Finding
    status: str | None          # status in run B (fixed / unverified / None)
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        f = self.finding
        return {"change": self.change, "check": f.check, "severity": f.severity.value, "site": f.site,
                "url": f.url, "page": f.page, "anchor": f.anchor, "message": f.message,
                "fingerprint": f.fingerprint, "status_in_b": self.status, "note": self.note}


def diff_runs(store, run_a: int, run_b: int) -> list[DiffItem]:
    a = {f.fingerprint: f for f in store.findings(run_a)}
    b = {f.fingerprint: f for f in store.findings(run_b)}
    status_b = lifecycle.run_statuses(store, run_b)
    items = [DiffItem("appeared", f, *status_b.get(fp, (None, None))) for fp, f in b.items() if fp not in a]
    items += [DiffItem("disappeared", f, *status_b.get(fp, (None, None))) for fp, f in a.items() if fp not in b]
    items.sort(key=lambda d: (d.change, d.finding.site, d.finding.check, d.finding.url or ""))
    return items


