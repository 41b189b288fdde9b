"""The finding lifecycle across runs: identities, statuses, the reads behind the history
view, trend and diff (:mod:`reports.history`), and pruning.

A finding is the same finding in every run where its fingerprint is the same
(:func:`core.models.fingerprint` over the check code, the site and the
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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from core.models import (ACTIVE, FIXED, INCONCLUSIVE_OUTCOMES, NEW, OPEN, REOPENED, UNVERIFIED, WAIVED, Finding,
                         FINISHED_RUN_STATUSES, RunKind, RunStatus, SiteStatus, Verify)
from store.db import upsert_sql

log = logging.getLogger(__name__)


_INCONCLUSIVE = frozenset(o.value for o in INCONCLUSIVE_OUTCOMES) | {"excluded"}


STATUS_COLUMNS = ("run_id", "fingerprint", "site", "check_code", "severity", "status", "seen", "note")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def loads(text: str | None) -> dict:
    """A stored JSON object column (``{}`` when absent or not an object)."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# -- runs -------------------------------------------------------------------------
def close_stale_runs(store, say: Callable[[str], None] | None = None) -> list[int]:
    """Mark runs still 'running' as interrupted (call only while holding the store lock: then no
    other process can be running them; they were killed). First the store files their crawl
    processes left behind (a SQLite store with ``crawl.processes`` > 1, :mod:`store.parts`) are
    merged into their runs, so that nothing they gathered is lost; each run records what became
    of its files (``stats_json.recovered_parts``) and ``say`` (the log by default) is told, in
    zh-CN."""
    recovered = store.recover_parts()
    by_run: dict[int, list[dict]] = {}
    for part in recovered:
        (say or log.warning)(part.message())
        by_run.setdefault(part.run_id, []).append(part.as_stats())
    stale = [r["id"] for r in store.query("SELECT id FROM runs WHERE status = ?", (RunStatus.RUNNING,))]
    for run_id in stale:
        merged = by_run.pop(run_id, None)
        note = "进程异常退出，运行未完成" + (f"；已并入其采集进程留下的 {len(merged)} 个文件" if merged else "")
        store.finish_run(run_id, RunStatus.INTERRUPTED, {"note": note, **({"recovered_parts": merged} if merged else {})})
    for run_id, merged in by_run.items():     # a run marked before its files were merged (an older version)
        row = store.run(run_id)
        if row is not None:
            stats = loads(row["stats_json"])
            stats["recovered_parts"] = stats.get("recovered_parts", []) + merged
            with store.transaction():
                store.db.execute("UPDATE runs SET stats_json = ? WHERE id = ?", (_json(stats), run_id))
    return stale


def history_applied(store, run_id: int) -> bool:
    row = store.run(run_id)
    return row is not None and "history" in loads(row["stats_json"])


def _mark_applied(store, run_id: int, counts: Counter) -> None:
    stats = loads(store.run(run_id)["stats_json"])
    stats["history"] = dict(counts)
    with store.transaction():
        store.db.execute("UPDATE runs SET stats_json = ? WHERE id = ?", (_json(stats), run_id))


# -- evidence of a fix ---------------------------------------------------------------
def linking_pages(row) -> list[str]:
    """The pages a finding showed on: its evidence's ``linked_from`` list, else its page."""
    evidence = loads(row["evidence_json"])
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
        self.tables = set(store.tables_with("run_id"))

    def parsed(self, url: str | None) -> bool:
        return bool(url) and self.store.scalar(
            "SELECT 1 FROM pages WHERE run_id = ? AND url = ?", (self.run_id, url)) is not None

    def fetch(self, url: str | None):
        if not url:
            return None
        return self.store.db.execute("SELECT * FROM fetches WHERE run_id = ? AND url = ?",
                                     (self.run_id, url)).fetchone()

    def read_again(self, url: str | None) -> bool:
        """Did ``url`` answer with a readable page (a title or heading) in this run?"""
        fetch = self.fetch(url)
        return fetch is not None and fetch["outcome"] == "ok" and bool(fetch["title"] or fetch["heading"])

    def links(self, source: str, target: str | None) -> bool:
        """Does the page ``source`` link ``target`` in this run?"""
        return bool(target) and self.store.scalar(
            "SELECT 1 FROM links WHERE run_id = ? AND source_url = ? AND target_url = ? LIMIT 1",
            (self.run_id, source, target)) is not None

    def exists(self, table: str, where: str, params: Sequence[Any]) -> bool:
        """Does ``table`` (maybe another feature's, maybe absent) have a row of this run?"""
        return table in self.tables and self.store.scalar(
            f"SELECT 1 FROM {table} WHERE run_id = ? AND {where} LIMIT 1", (self.run_id, *params)) is not None

    def probed(self, url: str) -> bool:
        """Did the run take the answer of ``url``'s host to an unknown URL (its "not found"
        sample, decided: a 404 or a page)?"""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}/"
        marks = ", ".join("?" for _ in _INCONCLUSIVE)
        return self.store.scalar(
            f"SELECT 1 FROM fetches WHERE run_id = ? AND kind = 'probe' AND outcome NOT IN ({marks})"
            " AND substr(url, 1, ?) = ? LIMIT 1",
            (self.run_id, *sorted(_INCONCLUSIVE), len(origin), origin)) is not None

    def home(self, site: str):
        return self.store.db.execute("SELECT * FROM fetches WHERE run_id = ? AND site = ? AND kind = 'home'",
                                     (self.run_id, site)).fetchone()


def pages_to_reread(row, rule: Verify) -> list[str]:
    """The pages a run must parse to prove the finding ``row`` fixed under ``rule`` (for
    ``TARGET``: the alternative to fetching the target)."""
    if rule.fetches_target or rule is Verify.LINKING_PAGES:
        return linking_pages(row)
    if rule is Verify.SOURCE_PAGE:
        return [row["page"]] if row["page"] else linking_pages(row)
    if rule in (Verify.PAGE, Verify.SITE):
        location = row["url"] or row["page"]
        return [location] if location else []
    return []


def verify_location(facts: RunFacts, row, rule: Verify) -> tuple[bool, str]:
    """Did the run look where the finding ``row`` (a finding_history row) showed, as its
    check's ``verify`` rule asks? Returns (proven absent, why not in Chinese)."""
    if rule is Verify.HOME:
        home = facts.home(row["site"])
        return (home is not None and home["outcome"] == "ok"), "首页本次未访问到"
    if rule.fetches_target:
        fetch = facts.fetch(row["url"])
        if fetch is not None:
            # fetched: the answer decides (a page still linking to it was re-parsed too)
            if fetch["outcome"] in _INCONCLUSIVE:
                return False, "目标地址本次无法判定（被拦截或受限）"
            if rule is Verify.TARGET_PROBE and not facts.probed(row["url"]):
                return False, "本次未取得该网站对不存在地址的应答（软404样本），无法判定"
            return True, ""
        pages = linking_pages(row)
        if pages and all(facts.parsed(p) for p in pages):
            return True, ""
        return False, "引用该链接的页面本次未访问到"
    if rule is Verify.IPV6:
        # decided by the IPv6 gatherer's probes, not by the crawl: a link-level finding needs
        # that URL probed again, a host-level one the site's IPv6 audit
        if row["page"]:
            return facts.exists("ip_probes", "url = ?", (row["url"],)), "该链接本次未做 IPv6 探测"
        return facts.exists("ipv6_sites", "site = ?", (row["site"],)), "本次未对该站点做 IPv6 检测"
    pages = pages_to_reread(row, rule)
    if rule is Verify.SOURCE_PAGE and pages and all(facts.parsed(p) for p in pages):
        # the link is judged against what its target shows: a page still linking it proves
        # nothing unless the target was read again too
        if facts.read_again(row["url"]) or not any(facts.links(p, row["url"]) for p in pages):
            return True, ""
        return False, "链接目标本次未能读取"
    if not pages and rule in (Verify.PAGE, Verify.SITE):
        return True, ""       # a finding about no page at all: the completed run is the proof
    if pages and all(facts.parsed(p) or facts.exists("attachment_texts", "url = ?", (p,)) for p in pages):
        return True, ""
    return False, "问题所在页面本次未访问到"


def verify_absence(run, row, rule: Verify | None, check_states: dict[str, str], site_status: dict[str, str],
                   facts: RunFacts) -> tuple[bool, str]:
    """Is this run evidence that the active finding ``row`` is fixed (``rule``: its check's
    ``verify``; None when the check is no longer known)?"""
    if run["status"] not in FINISHED_RUN_STATUSES:
        return False, "本次运行未完成（已中断），不作为整改依据"
    if row["site"] in facts.lost_rows or "" in facts.lost_rows:   # "": rows of no known site
        return False, "本次运行该站点有数据未能写入数据库，不作为整改依据"
    state = check_states.get(row["check_code"])
    if state is None or rule is None:
        return False, "本次未执行该检查项"
    if state == "error":
        return False, "该检查项本次执行出错"
    if state == "n/a":
        return False, "该检查项本次不适用"
    if site_status.get(row["site"]) == SiteStatus.NOT_AUDITED:
        return False, "本次该站点未能检查（各次采集均失败），不作为整改依据"
    if rule is not Verify.HOME and site_status.get(row["site"]) != "ok":
        return False, "站点首页本次无法访问"
    return verify_location(facts, row, rule)


# -- applying a run -------------------------------------------------------------------
def apply_run(store, run_id: int, rules: Mapping[str, Verify], status: str | None = None) -> Counter:
    """Update the finding history with audit run ``run_id`` (once; later calls are no-ops).
    ``rules``: each check code's ``verify`` rule (the store knows no checks); ``status``: the
    status the run is finishing with, when it is not marked yet (the runner marks a run only
    once its reports are written)."""
    run = store.run(run_id)
    if run is None:
        raise KeyError(run_id)
    if status is not None:
        run = {**dict(run), "status": status}
    if history_applied(store, run_id):
        return run_status_counts(store, run_id)
    when = run["started_at"]
    site_status = {r["site"]: r["status"] for r in store.run_sites(run_id)}
    options = loads(run["options_json"])
    sites = set(site_status) | set(options.get("sites") or []) | {r["site"] for r in store.finding_counts(run_id)}
    check_states = {r["check_code"]: r["state"] for r in store.check_runs(run_id)}
    # the run's findings are read one at a time (tens of thousands, with their evidence) and
    # each one's history row written as it is decided: beforehand, only the known statuses
    known = {r["fingerprint"]: r["status"] for r in store.query(
        f"SELECT fingerprint, status FROM finding_history WHERE site IN ({', '.join('?' for _ in sites)})",
        sorted(sites))} if sites else {}
    facts = RunFacts(store, run_id)
    counts: Counter = Counter()
    found: set[str] = set()
    status_rows: list[tuple] = []
    db = store.db

    def flush_status_rows(at_most: int = 0) -> None:
        if len(status_rows) > at_most:
            db.executemany(upsert_sql("finding_status", STATUS_COLUMNS, ("run_id", "fingerprint")), status_rows)
            status_rows.clear()

    with store.transaction():
        for f in store.iter_findings(run_id):
            fp = f.fingerprint
            found.add(fp)
            prev = known.get(fp)
            if prev is None:
                row = _new_history_row(f, run_id, when)
                cols = list(row)
                db.execute(f"INSERT INTO finding_history ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                           [row[c] for c in cols])
                status = NEW
            else:
                status = WAIVED if prev == WAIVED else REOPENED if prev == FIXED else OPEN
                _record_seen(db, f, status, run_id, when)
            counts[status] += 1
            status_rows.append((run_id, fp, f.site, f.check, f.severity.value, status, 1, None))
            flush_status_rows(500)
        # the active findings not seen: fixed only when the run proves it (rows not written above)
        fixed = []
        for h in history_rows(store, sites, statuses=ACTIVE):
            fp = h["fingerprint"]
            if fp in found or h["site"] not in site_status:
                continue
            ok, why = verify_absence(run, h, rules.get(h["check_code"]), check_states, site_status, facts)
            status = FIXED if ok else UNVERIFIED
            counts[status] += 1
            if ok:
                fixed.append(fp)
            status_rows.append((run_id, fp, h["site"], h["check_code"], h["severity"], status, 0, why or None))
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
        flush_status_rows()
    _mark_applied(store, run_id, counts)
    return counts


def _record_seen(db, f: Finding, status: str, run_id: int, when: str) -> None:
    """A known finding seen again by an audit run: its latest location, message and evidence,
    and its new ``status``."""
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
         status, status, run_id, status, when, f.fingerprint))


def history_rows(store, sites: Iterable[str], statuses: Sequence[str] = ()) -> Iterator[Any]:
    """The history rows of ``sites`` (only those with one of ``statuses`` when given), read as
    they are taken."""
    sites = sorted(sites)
    if not sites:
        return iter(())
    where = f"site IN ({', '.join('?' for _ in sites)})"
    if statuses:
        where += f" AND status IN ({', '.join('?' for _ in statuses)})"
    return store.iquery(f"SELECT * FROM finding_history WHERE {where}", [*sites, *statuses])


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


def record_recheck(store, run_id: int, h, *, result: str, note: str, detail: str, new_status: str, when: str,
                   decided: bool, seen: bool) -> None:
    """Record a re-check's answer about the history row ``h``: its result and detail, its
    new status (when it changed), and its status as of the re-check run (``unverified``
    when the re-check could not decide)."""
    fp = h["fingerprint"]
    db = store.db
    db.execute("UPDATE finding_history SET recheck_result = ?, recheck_note = ?, recheck_run = ?, recheck_at = ?"
               " WHERE fingerprint = ?", (result, detail, run_id, when, fp))
    if decided:
        db.execute("UPDATE finding_history SET awaiting_recheck = 0 WHERE fingerprint = ?", (fp,))
    if new_status != h["status"]:
        extra = ""
        if new_status == FIXED:
            extra = ", fixed_run = ?, fixed_at = ?, times_fixed = times_fixed + 1"
            params = (new_status, run_id, when, run_id, when, fp)
        else:
            if new_status == REOPENED:
                extra = ", times_reopened = times_reopened + 1"
            params = (new_status, run_id, when, fp)
        db.execute(f"UPDATE finding_history SET status = ?, status_run = ?, status_at = ?{extra} WHERE fingerprint = ?",
                   params)
    db.executemany(upsert_sql("finding_status", STATUS_COLUMNS, ("run_id", "fingerprint")),
                   [(run_id, fp, h["site"], h["check_code"], h["severity"], new_status if decided else UNVERIFIED,
                     int(seen), note)])


def record_feedback(store, h, *, answer: str, note, unit, deadline, by, when: str, source: str, sheet: str,
                    row_number: int) -> None:
    """Apply a unit's answer from the returned ledger (误报 / 已整改 / 暂缓 / 未整改) to the
    history row ``h`` and keep it in ``feedback_log``. 误报 waives the finding (remembering
    its status); any other answer withdraws an earlier 误报; 已整改 asks the next run or
    re-check to prove the fix."""
    db = store.db
    fp = h["fingerprint"]
    db.execute("UPDATE finding_history SET feedback_status = ?, feedback_note = ?, feedback_unit = ?,"
               " feedback_deadline = ?, feedback_at = ?, feedback_source = ? WHERE fingerprint = ?",
               (answer, note, unit, deadline, when, source, fp))
    db.execute("INSERT INTO feedback_log (fingerprint, imported_at, source, sheet, row_number, feedback_status,"
               " note, unit, deadline, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (fp, when, source, sheet, row_number, answer, note, unit, deadline, by))
    if answer == "误报":
        if h["status"] != WAIVED:
            db.execute("UPDATE finding_history SET status = 'waived', waived_prior = status, waived_by = ?,"
                       " waived_at = ?, waived_reason = ?, awaiting_recheck = 0, status_at = ? WHERE fingerprint = ?",
                       (by or unit or "（未填写）", when, note or "（未填写理由）", when, fp))
        else:
            db.execute("UPDATE finding_history SET waived_by = ?, waived_reason = ? WHERE fingerprint = ?",
                       (by or unit or h["waived_by"], note or h["waived_reason"], fp))
        return
    if h["status"] == WAIVED and h["waived_prior"] is not None:
        # the unit withdrew its 误报: back to the status it had
        prior = h["waived_prior"] if h["waived_prior"] in (*ACTIVE, FIXED) else "open"
        db.execute("UPDATE finding_history SET status = ?, waived_prior = NULL, waived_by = NULL, waived_at = NULL,"
                   " waived_reason = NULL, status_at = ? WHERE fingerprint = ?", (prior, when, fp))
    if answer == "已整改":
        status = h["status"] if h["status"] != WAIVED else (h["waived_prior"] or "open")
        db.execute("UPDATE finding_history SET awaiting_recheck = ?, recheck_result = NULL, recheck_note = NULL"
                   " WHERE fingerprint = ?", (int(status in ACTIVE), fp))
    else:  # 暂缓 / 未整改
        db.execute("UPDATE finding_history SET awaiting_recheck = 0 WHERE fingerprint = ?", (fp,))


# -- reading ----------------------------------------------------------------------------
def run_status_counts(store, run_id: int) -> Counter:
    return Counter({r["status"]: r["n"] for r in store.query(
        "SELECT status, COUNT(*) AS n FROM finding_status WHERE run_id = ? GROUP BY status", (run_id,))})


def history_sites(store) -> list[str]:
    """The sites the finding history knows."""
    return [r[0] for r in store.query("SELECT DISTINCT site FROM finding_history ORDER BY site")]


def history_row(store, fingerprint: str):
    return store.db.execute("SELECT * FROM finding_history WHERE fingerprint = ?", (fingerprint,)).fetchone()


def run_status_rows(store, run_id: int) -> Iterator[Any]:
    """Every finding the run had an opinion on: its history row with the run's status and note
    (read as they are taken)."""
    return store.iquery(
        "SELECT s.status AS run_status, s.note AS run_note, h.* FROM finding_status s"
        " JOIN finding_history h ON h.fingerprint = s.fingerprint WHERE s.run_id = ?", (run_id,))


def run_statuses(store, run_id: int) -> dict[str, tuple[str, str | None]]:
    """fingerprint → (status, note) in run ``run_id``."""
    return {r["fingerprint"]: (r["status"], r["note"]) for r in store.query(
        "SELECT fingerprint, status, note FROM finding_status WHERE run_id = ?", (run_id,))}


def previous_audit(store, run_id: int) -> int | None:
    return store.scalar("SELECT MAX(id) FROM runs WHERE kind = ? AND id < ?", (RunKind.AUDIT, run_id))


def page_column(store, run_id: int, url: str):
    """The stored column kind and home flag of page ``url`` in run ``run_id`` (None if not parsed)."""
    return store.db.execute("SELECT column_kind, is_home FROM pages WHERE run_id = ? AND url = ?",
                            (run_id, url)).fetchone()


def applied_audits(store, run_id: int, limit: int) -> list:
    """The last ``limit`` audit runs up to ``run_id`` whose history was applied, oldest first."""
    runs = store.query("SELECT id, started_at, status, stats_json FROM runs WHERE kind = ? AND id <= ?"
                       " ORDER BY id DESC", (RunKind.AUDIT, run_id))
    return [r for r in runs if "history" in loads(r["stats_json"])][:limit][::-1]


def active_by_site(store, run_id: int) -> dict[str, int]:
    """Open findings (new + open + reopened + not verified) per site after run ``run_id``."""
    return {row["site"]: row["n"] for row in store.query(
        "SELECT site, COUNT(*) AS n FROM finding_status WHERE run_id = ? AND status IN"
        " ('new', 'open', 'reopened', 'unverified') GROUP BY site", (run_id,))}


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
                                           (oldest, RunStatus.RUNNING))]
    if not doomed:
        return []
    with_run = [t for t in store.tables_with("run_id") if t != "runs"]
    with store.transaction():
        for chunk_start in range(0, len(doomed), 500):
            chunk = doomed[chunk_start:chunk_start + 500]
            marks = ", ".join("?" for _ in chunk)
            for table in with_run:
                store.db.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", chunk)
            store.db.execute(f"DELETE FROM runs WHERE id IN ({marks})", chunk)
    store.compact(vacuum)
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


