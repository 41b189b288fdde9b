"""Finding history across runs: identities, statuses, trend, diff and pruning.

A finding is the same finding in every run where its fingerprint is the same
(:func:`portal_audit.models.fingerprint` over the check code, the site and the
check's identity fields: never dates, counts, anchors or titles). The store
keeps one ``finding_history`` row per fingerprint and one ``finding_status`` row
per (run, fingerprint) the run had an opinion on.

Statuses
--------
``new``       first seen in this run
``open``      seen before and seen again
``reopened``  was ``fixed``, seen again (复发)
``fixed``     seen before, not seen in this run, *and the run proves it*: the run
              completed, the check ran (not ``--only``-filtered, not n/a, no error),
              the site's home page answered, and the page(s) where the problem showed
              (or its target) were actually fetched in this run — see
              :func:`verify_absence`
``waived``    marked 误报 (or accepted) by the responsible unit through the ledger;
              stays waived whether seen again or not, hidden from the main list
``unverified`` (per run only) active before, not seen now, but the run is no
              evidence either way: it stays active (new/open/reopened) in the history

An interrupted (or failed) run records what it saw but never fixes anything.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal_audit.models import INCONCLUSIVE_OUTCOMES, Finding
from store.db import RUN_FINISHED, RUN_INTERRUPTED, RUN_RUNNING, now_iso

log = logging.getLogger(__name__)

NEW, OPEN, FIXED, REOPENED, WAIVED, UNVERIFIED = "new", "open", "fixed", "reopened", "waived", "unverified"
ACTIVE = (NEW, OPEN, REOPENED)
STATUS_LABELS = {NEW: "新增", OPEN: "持续", FIXED: "已整改", REOPENED: "复发", WAIVED: "豁免",
                 UNVERIFIED: "持续（本次未核实）"}
STATUS_ORDER = {REOPENED: 0, NEW: 1, OPEN: 2, UNVERIFIED: 3, WAIVED: 4, FIXED: 5}
RUN_STATUS_LABELS = {"completed": "已完成", "completed_with_errors": "已完成（有数据未写入）", "interrupted": "已中断", "running": "进行中", "failed": "失败"}
RUN_KIND_LABELS = {"audit": "检查", "recheck": "复核"}

# Checks whose finding is about one target URL: fixed when the target was fetched
# again and is fine, or when every page that linked to it was parsed again.
TARGET_CHECKS = frozenset({"link.broken", "attachment.broken", "link.redirect-loop", "link.redirect-chain",
                           "link.soft404", "link.inconclusive"})
# Checks decided by the pages where the link sits (the target fetch says nothing).
LINKING_PAGE_CHECKS = frozenset({"link.hidden"})
SOURCE_PAGE_CHECKS = frozenset({"link.wrong"})
_INCONCLUSIVE = frozenset(o.value for o in INCONCLUSIVE_OUTCOMES) | {"excluded"}
TREND_RUNS = 12


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _loads(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def short_time(iso: str | None) -> str:
    """'2024-06-30T02:30:11+08:00' → '2024-06-30 02:30'."""
    if not iso:
        return ""
    return iso[:16].replace("T", " ")


# -- runs -------------------------------------------------------------------------
def close_stale_runs(store) -> list[int]:
    """Mark runs still 'running' as interrupted (call only while holding the store lock:
    then no other process can be running them; they were killed)."""
    stale = [r["id"] for r in store.query("SELECT id FROM runs WHERE status = ?", (RUN_RUNNING,))]
    for run_id in stale:
        store.finish_run(run_id, RUN_INTERRUPTED, {"note": "进程异常退出，运行未完成"})
    return stale


def history_applied(store, run_id: int) -> bool:
    row = store.run(run_id)
    return row is not None and "history" in _loads(row["stats_json"])


def _mark_applied(store, run_id: int, counts: Counter) -> None:
    stats = _loads(store.run(run_id)["stats_json"])
    stats["history"] = dict(counts)
    with store.transaction():
        store.db.execute("UPDATE runs SET stats_json = ? WHERE id = ?", (_json(stats), run_id))


# -- evidence of a fix ---------------------------------------------------------------
def linking_pages(row) -> list[str]:
    """The pages a finding showed on: its evidence's ``linked_from`` list, else its page."""
    evidence = _loads(row["evidence_json"])
    linked = evidence.get("linked_from") or {}
    pages = [p.get("page") for p in linked.get("pages") or [] if isinstance(p, dict) and p.get("page")]
    if not pages and row["page"]:
        pages = [row["page"]]
    return pages


class RunFacts:
    """What one run fetched and parsed, asked per URL (indexed lookups)."""

    def __init__(self, store, run_id: int):
        self.store, self.run_id = store, run_id
        self.lost_rows = store.write_error_counts(run_id)   # sites whose gathered rows were not all stored

    def parsed(self, url: str | None) -> bool:
        return bool(url) and self.store.scalar(
            "SELECT 1 FROM pages WHERE run_id = ? AND url = ?", (self.run_id, url)) is not None

    def fetch(self, url: str | None):
        if not url:
            return None
        return self.store.db.execute("SELECT * FROM fetches WHERE run_id = ? AND url = ?",
                                     (self.run_id, url)).fetchone()

    def exists(self, table: str, where: str, params: Sequence[Any]) -> bool:
        """Does ``table`` (maybe another feature's, maybe absent) have a row of this run?"""
        import sqlite3

        try:
            return self.store.scalar(f"SELECT 1 FROM {table} WHERE run_id = ? AND {where} LIMIT 1",
                                     (self.run_id, *params)) is not None
        except sqlite3.OperationalError:
            return False

    def home(self, site: str):
        return self.store.db.execute("SELECT * FROM fetches WHERE run_id = ? AND site = ? AND kind = 'home'",
                                     (self.run_id, site)).fetchone()


def verify_location(facts: RunFacts, row) -> tuple[bool, str]:
    """Did the run look where the finding ``row`` (a finding_history row) showed?
    Returns (proven absent, why not in Chinese)."""
    code = row["check_code"]
    if code == "site.unreachable":
        home = facts.home(row["site"])
        return (home is not None and home["outcome"] == "ok"), "首页本次未访问到"
    if code in TARGET_CHECKS:
        fetch = facts.fetch(row["url"])
        if fetch is not None and fetch["outcome"] not in _INCONCLUSIVE:
            return True, ""
        pages = linking_pages(row)
        if pages and all(facts.parsed(p) for p in pages):
            return True, ""
        if fetch is not None:
            return False, "目标地址本次无法判定（被拦截或受限）"
        return False, "引用该链接的页面本次未访问到"
    if code in LINKING_PAGE_CHECKS or code in SOURCE_PAGE_CHECKS:
        pages = [row["page"]] if code in SOURCE_PAGE_CHECKS and row["page"] else linking_pages(row)
        if pages and all(facts.parsed(p) for p in pages):
            return True, ""
        return False, "问题所在页面本次未访问到"
    if code.startswith("ipv6."):
        # decided by the IPv6 gatherer's probes, not by the crawl: a link-level finding needs
        # that URL probed again, a host-level one the site's IPv6 audit
        if row["page"]:
            return facts.exists("ip_probes", "url = ?", (row["url"],)), "该链接本次未做 IPv6 探测"
        return facts.exists("ipv6_sites", "site = ?", (row["site"],)), "本次未对该站点做 IPv6 检测"
    location = row["page"] or row["url"]
    if not location:
        return True, ""
    if facts.parsed(location):
        return True, ""
    fetch = facts.fetch(location)
    if fetch is not None and fetch["outcome"] == "ok":
        return True, ""
    return False, "问题所在页面本次未访问到"


def verify_absence(store, run, row, check_states: dict[str, str], site_status: dict[str, str],
                   facts: RunFacts) -> tuple[bool, str]:
    """Is this run evidence that the active finding ``row`` is fixed?"""
    if run["status"] not in RUN_FINISHED:
        return False, "本次运行未完成（已中断），不作为整改依据"
    if row["site"] in facts.lost_rows:
        return False, "本次运行该站点有数据未能写入数据库，不作为整改依据"
    state = check_states.get(row["check_code"])
    if state is None:
        return False, "本次未执行该检查项"
    if state == "error":
        return False, "该检查项本次执行出错"
    if state == "n/a":
        return False, "该检查项本次不适用"
    if row["check_code"] != "site.unreachable" and site_status.get(row["site"]) != "ok":
        return False, "站点首页本次无法访问"
    return verify_location(facts, row)


# -- applying a run -------------------------------------------------------------------
def apply_run(store, run_id: int) -> Counter:
    """Update the finding history with audit run ``run_id`` (once; later calls are no-ops)."""
    run = store.run(run_id)
    if run is None:
        raise KeyError(run_id)
    if history_applied(store, run_id):
        return run_status_counts(store, run_id)
    when = run["started_at"]
    site_status = {r["site"]: r["status"] for r in store.run_sites(run_id)}
    options = _loads(run["options_json"])
    sites = set(site_status) | set(options.get("sites") or [])
    check_states = {r["check_code"]: r["state"] for r in store.check_runs(run_id)}
    found = {f.fingerprint: f for f in store.findings(run_id)}
    sites |= {f.site for f in found.values()}
    history = {r["fingerprint"]: r for r in _history_rows(store, sites)}
    facts = RunFacts(store, run_id)
    counts: Counter = Counter()
    inserts, updates, status_rows = [], [], []

    for fp, f in found.items():
        h = history.get(fp)
        if h is None:
            inserts.append(_new_history_row(f, run_id, when))
            status = NEW
        else:
            prev = h["status"]
            status = WAIVED if prev == WAIVED else REOPENED if prev == FIXED else OPEN
            updates.append(("seen", fp, f, status, prev))
        counts[status] += 1
        status_rows.append((run_id, fp, f.site, f.check, f.severity.value, status, 1, None))

    fixed, unverified = [], []
    for fp, h in history.items():
        if fp in found or h["status"] not in ACTIVE or h["site"] not in site_status:
            continue
        ok, why = verify_absence(store, run, h, check_states, site_status, facts)
        status = FIXED if ok else UNVERIFIED
        counts[status] += 1
        (fixed if ok else unverified).append(fp)
        status_rows.append((run_id, fp, h["site"], h["check_code"], h["severity"], status, 0, why or None))

    with store.transaction():
        db = store.db
        for row in inserts:
            cols = list(row)
            db.execute(f"INSERT INTO finding_history ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                       [row[c] for c in cols])
        for _, fp, f, status, prev in updates:
            extra = ""
            if status == REOPENED:
                # a problem that came back needs a new answer from the unit
                extra = (", times_reopened = times_reopened + 1, feedback_status = NULL, awaiting_recheck = 0,"
                         " recheck_result = NULL, recheck_note = NULL")
            db.execute(
                "UPDATE finding_history SET severity = ?, url = ?, page = ?, anchor = ?, message = ?,"
                " evidence_json = ?, last_seen_run = ?, last_seen = ?, times_seen = times_seen + 1,"
                " status = ?, status_run = CASE WHEN status = ? THEN status_run ELSE ? END,"
                " status_at = CASE WHEN status = ? THEN status_at ELSE ? END" + extra +
                " WHERE fingerprint = ?",
                (f.severity.value, f.url, f.page, f.anchor, f.message, _json(f.evidence), run_id, when,
                 status, status, run_id, status, when, fp))
        for fp in fixed:
            db.execute(
                "UPDATE finding_history SET status = 'fixed', status_run = ?, status_at = ?, fixed_run = ?,"
                " fixed_at = ?, times_fixed = times_fixed + 1,"
                " recheck_result = CASE WHEN awaiting_recheck = 1 THEN '已整改' ELSE recheck_result END,"
                " recheck_note = CASE WHEN awaiting_recheck = 1 THEN ? ELSE recheck_note END,"
                " recheck_run = CASE WHEN awaiting_recheck = 1 THEN ? ELSE recheck_run END,"
                " recheck_at = CASE WHEN awaiting_recheck = 1 THEN ? ELSE recheck_at END,"
                " awaiting_recheck = 0 WHERE fingerprint = ?",
                (run_id, when, run_id, when, f"例行检查（运行 {run_id}）确认已整改", run_id, when, fp))
        db.executemany(
            "INSERT OR REPLACE INTO finding_status (run_id, fingerprint, site, check_code, severity, status, seen, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", status_rows)
    _mark_applied(store, run_id, counts)
    return counts


def _history_rows(store, sites: Iterable[str]):
    sites = sorted(sites)
    if not sites:
        return []
    marks = ", ".join("?" for _ in sites)
    return store.query(f"SELECT * FROM finding_history WHERE site IN ({marks})", sites)


def _new_history_row(f: Finding, run_id: int, when: str) -> dict[str, Any]:
    return {
        "fingerprint": f.fingerprint, "site": f.site, "check_code": f.check, "severity": f.severity.value,
        "url": f.url, "page": f.page, "anchor": f.anchor, "message": f.message,
        "evidence_json": _json(f.evidence), "status": NEW, "status_run": run_id, "status_at": when,
        "first_seen_run": run_id, "first_seen": when, "last_seen_run": run_id, "last_seen": when,
        "times_seen": 1,
    }


def record_sighting(store, run_id: int, f: Finding, when: str) -> None:
    """Refresh the latest location/message/evidence of a finding seen again by a re-check."""
    store.db.execute(
        "UPDATE finding_history SET severity = ?, url = ?, page = ?, anchor = ?, message = ?, evidence_json = ?,"
        " last_seen_run = ?, last_seen = ?, times_seen = times_seen + 1 WHERE fingerprint = ?",
        (f.severity.value, f.url, f.page, f.anchor, f.message, _json(f.evidence), run_id, when, f.fingerprint))


# -- reading ----------------------------------------------------------------------------
def run_status_counts(store, run_id: int) -> Counter:
    return Counter({r["status"]: r["n"] for r in store.query(
        "SELECT status, COUNT(*) AS n FROM finding_status WHERE run_id = ? GROUP BY status", (run_id,))})


def history_row(store, fingerprint: str):
    return store.db.execute("SELECT * FROM finding_history WHERE fingerprint = ?", (fingerprint,)).fetchone()


@dataclass
class Entry:
    """One finding as a report, the ledger or the 复核报告 shows it."""

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
    evidence: dict[str, Any] = field(default_factory=dict)
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
    return Entry(
        fingerprint=row["fingerprint"], site=row["site"], check=row["check_code"], severity=row["severity"],
        url=row["url"], page=row["page"], anchor=row["anchor"], message=row["message"],
        status=status or row["status"], current_status=row["status"], first_seen=row["first_seen"],
        last_seen=row["last_seen"], times_seen=row["times_seen"], evidence=_loads(row["evidence_json"]),
        note=note, feedback_status=row["feedback_status"], feedback_note=row["feedback_note"],
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
    view = HistoryView(run_id=run_id, available=run is not None and history_applied(store, run_id))
    if not view.available:
        return view
    rows = store.query(
        "SELECT s.status AS run_status, s.note AS run_note, h.* FROM finding_status s"
        " JOIN finding_history h ON h.fingerprint = s.fingerprint WHERE s.run_id = ?", (run_id,))
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
    for r in _history_rows(store, per_site):
        if r["status"] == WAIVED:
            e = view.entries.get(r["fingerprint"]) or entry_from_row(r, WAIVED)
            if r["fingerprint"] not in view.entries:
                view.entries[e.fingerprint] = e
                per_site[e.site].counts[WAIVED] += 1
            view.waived.append(e)
    _fill_columns(store, run_id, view, columns or {})
    view.sites = list(per_site.values())
    view.trend = load_trend(store, run_id, list(per_site))
    prev = store.scalar("SELECT MAX(id) FROM runs WHERE kind = 'audit' AND id < ?", (run_id,))
    view.previous_run = prev
    for bucket in (view.waived, view.fixed, view.unverified):
        bucket.sort(key=lambda e: (e.site, e.check, e.url or ""))
    return view


SECTION = ("sections/history.html.j2", "整改情况与历史")


def attach_history(store, run_id: int, data) -> HistoryView:
    """Give a :class:`reports.data.ReportData` its history: ``status_of``, ``history`` (this
    view), the history section; waived findings move off ``data.findings`` (the main list,
    the CSV, the counts) into ``history.hidden`` (the JSONL and the ledger still show them)."""
    from portal_audit.config import COLUMN_KINDS

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
        row = store.db.execute("SELECT column_kind, is_home FROM pages WHERE run_id = ? AND url = ?",
                               (run_id, where)).fetchone()
        if row is not None and row["column_kind"]:
            e.column = labels.get(row["column_kind"], row["column_kind"])
        elif row is not None and row["is_home"]:
            e.column = "首页"
        elif where == disclosure.get(e.site):
            e.column = "政府信息公开"


def load_trend(store, run_id: int, sites: Sequence[str], limit: int = TREND_RUNS) -> Trend | None:
    """Open findings (new + open + reopened + not verified) after each of the last audit runs."""
    runs = store.query("SELECT id, started_at, status, stats_json FROM runs WHERE kind = 'audit' AND id <= ?"
                       " ORDER BY id DESC", (run_id,))
    runs = [r for r in runs if "history" in _loads(r["stats_json"])][:limit][::-1]
    if not runs:
        return None
    points = []
    for r in runs:
        by_site = {row["site"]: row["n"] for row in store.query(
            "SELECT site, COUNT(*) AS n FROM finding_status WHERE run_id = ? AND status IN"
            " ('new', 'open', 'reopened', 'unverified') GROUP BY site", (r["id"],))}
        mark = "" if r["status"] in RUN_FINISHED else "*"
        points.append(TrendPoint(r["id"], f"#{r['id']}{mark} {r['started_at'][5:10]}",
                                 sum(v for s, v in by_site.items() if not sites or s in sites), by_site))
    return Trend(points, list(sites)).layout()


# -- feedback and re-check state ------------------------------------------------------------
def select_for_recheck(store, status: str = "awaiting", sites: Sequence[str] = ()) -> list:
    """History rows to re-check: ``awaiting`` (the unit answered 已整改), ``open`` (every
    active finding) or ``fixed`` (回头看: findings fixed earlier)."""
    where = {"awaiting": "awaiting_recheck = 1 AND status IN ('new', 'open', 'reopened')",
             "open": "status IN ('new', 'open', 'reopened')",
             "fixed": "status = 'fixed'"}[status]
    params: list[Any] = []
    if sites:
        where += f" AND site IN ({', '.join('?' for _ in sites)})"
        params.extend(sites)
    return store.query(f"SELECT * FROM finding_history WHERE {where} ORDER BY site, check_code, url", params)


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
    status_b = {r["fingerprint"]: (r["status"], r["note"]) for r in store.query(
        "SELECT fingerprint, status, note FROM finding_status WHERE run_id = ?", (run_b,))}
    items = [DiffItem("appeared", f, *status_b.get(fp, (None, None))) for fp, f in b.items() if fp not in a]
    items += [DiffItem("disappeared", f, *status_b.get(fp, (None, None))) for fp, f in a.items() if fp not in b]
    items.sort(key=lambda d: (d.change, d.finding.site, d.finding.check, d.finding.url or ""))
    return items


# -- pruning ------------------------------------------------------------------------------------
def prune_runs(store, keep: int, vacuum: bool = False) -> list[int]:
    """Delete every run older than the newest ``keep`` audit runs, with all its rows in every
    table that has a ``run_id`` column. The finding history (first/last seen, statuses,
    feedback, waivers, the latest evidence) is never deleted."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    kept = [r["id"] for r in store.query(
        "SELECT id FROM runs WHERE kind = 'audit' ORDER BY id DESC LIMIT ?", (keep,))]
    if len(kept) < keep:
        return []
    oldest = min(kept)
    doomed = [r["id"] for r in store.query("SELECT id FROM runs WHERE id < ? AND status != ? ORDER BY id",
                                           (oldest, RUN_RUNNING))]
    if not doomed:
        return []
    tables = [r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    with_run = [t for t in tables if t != "runs" and any(
        c["name"] == "run_id" for c in store.query(f"PRAGMA table_info({t})"))]
    with store.transaction():
        for chunk_start in range(0, len(doomed), 500):
            chunk = doomed[chunk_start:chunk_start + 500]
            marks = ", ".join("?" for _ in chunk)
            for table in with_run:
                store.db.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", chunk)
            store.db.execute(f"DELETE FROM runs WHERE id IN ({marks})", chunk)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if vacuum:
        store.db.execute("VACUUM")
    return doomed


# -- the fail-on gate ------------------------------------------------------------------------------
def new_errors(store, run_id: int) -> list:
    """Errors that are new (or came back) in this run, not waived."""
    return store.query("SELECT * FROM finding_status WHERE run_id = ? AND severity = 'error'"
                       " AND status IN ('new', 'reopened') ORDER BY site, check_code", (run_id,))


def counts_of(store, run_id: int, status: str) -> list[str]:
    """Fingerprints with ``status`` in run ``run_id``."""
    return [r[0] for r in store.query("SELECT fingerprint FROM finding_status WHERE run_id = ? AND status = ?",
                                      (run_id, status))]


def counts_by_site(store, run_id: int) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for r in store.query("SELECT site, status, COUNT(*) AS n FROM finding_status WHERE run_id = ?"
                         " GROUP BY site, status", (run_id,)):
        out[r["site"]][r["status"]] = r["n"]
    return out


def now() -> str:
    return now_iso()
