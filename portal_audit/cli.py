"""The portal-audit command line."""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
import logging
import sys
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import click

from checks.registry import REGISTRY, all_checks, matches
from core import __version__
from core.models import RUN_KIND_LABELS, RUN_STATUS_LABELS, RunStatus, SiteStatus, short_time
from portal_audit.config import Config, ConfigError, load_config, needs_shared_store, url_problem
from portal_audit.feedback import (MAX_LEDGER_BYTES, MAX_LEDGER_ROWS, LedgerError, import_ledger,
                                   parse_ledger_sandboxed)
from portal_audit.lock import LockHeld, StoreLock
from portal_audit.sample import build_portal, serve
from reports.coverage import summary_line
from store import Store, StoreError, history
from store.copy import copy_store
from store.db import is_url
from store.sqlite import store_problem
from store.history import history_applied, prune_runs, run_status_counts


class Exit(enum.IntEnum):
    OK = 0             # the audit completed, whatever it found
    FINDINGS = 1       # --fail-on matched
    USAGE = 2          # bad usage, bad config, or an unusable store / output directory
    WITH_ERRORS = 3    # the run completed but lost something: rows not stored or a report not written
    LOCKED = 75        # another run holds the store lock (EX_TEMPFAIL): nothing was done, try later
    INTERRUPTED = 130  # Ctrl-C: the store is consistent, the report is marked incomplete


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _fail(message: str, code: Exit = Exit.USAGE):
    click.echo(f"portal-audit: {message}", err=True)
    sys.exit(code)


def _load(config_path: str, sites: tuple[str, ...] = ()) -> Config:
    try:
        cfg = load_config(config_path)
        return cfg.for_sites(list(sites)) if sites else cfg
    except ConfigError as exc:
        _fail(f"配置错误：{exc}")


def _split_codes(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


def _store_path(config_path: str | None, store: str | None) -> str:
    if store:
        return store
    if config_path or Path("config.yaml").exists():
        return _load(config_path or "config.yaml").store.location
    return ".portal-audit/audit.db"


def _open_store(path: str, *, must_exist: bool = True):
    """The store at ``path`` (a SQLite file or a PostgreSQL URL), checked (``quick_check``);
    an unusable one is a zh-CN message naming it and exit 2."""
    where = path if is_url(path) else Path(path)
    if not is_url(path):
        if must_exist and not where.exists():
            _fail(f"数据库文件不存在：{where}（先运行 portal-audit run，或用 -c / --store 指定）")
        problem = store_problem(where)
        if problem:
            _fail(problem)
    try:
        db = Store(where)
        db.quick_check()
    except StoreError as exc:
        _fail(str(exc))
    return db


def _preflight(store_path: str, out_dir: str | Path) -> None:
    """Before any crawl: the store opens and passes its check, the output directory is writable."""
    _open_store(store_path, must_exist=False).close()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        _fail(f"输出目录 {out} 不可写（{exc.strerror or exc}），请换用 -o 指定的目录或检查权限")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal-audit")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """portal-audit: 政府网站信息公开栏目检查工具."""
    level = max(logging.WARNING - 10 * verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:
        handler.setLevel(level)


@main.command()
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True, help="Config file.")
@click.option("-o", "--out", "out_dir", default="out", show_default=True, help="Output directory.")
@click.option("--site", "sites", multiple=True, help="Only audit this site (by name); repeatable.")
@click.option("--only", help="Only run these checks: codes or prefixes, comma separated (e.g. link,site.unreachable).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "new-error"]),
              help="Exit 1 when findings of this severity or worse exist (waived ones excluded); "
                   "new-error: only when an error appeared that is new or came back since the last run.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress display.")
@click.option("--scrapyd", "scrapyd_nodes", metavar="URL,URL",
              help="Crawl on these Scrapyd nodes (comma separated; overrides scrapyd.nodes). Needs a PostgreSQL store.")
def run(config_path, out_dir, sites, only, fail_on, no_progress, scrapyd_nodes) -> None:
    """Audit the sites in the config and write the reports."""
    # deferred: the crawl and the report writers import Scrapy, lxml, jinja2 and openpyxl
    from portal_audit.runner import run_audit

    cfg = _load(config_path, sites)
    if scrapyd_nodes is not None:
        cfg = _with_nodes(cfg, scrapyd_nodes)
    if cfg.scrapyd.nodes:
        from portal_audit.scrapyd import ScrapydError, find_scrapy_cfg   # deferred with the runner: Scrapy

        try:
            find_scrapy_cfg()       # the egg is built from it: missing is a message before anything runs
        except ScrapydError as exc:
            _fail(f"--scrapyd: {exc}")
    only_codes = _split_codes(only)
    known = [c.code for c in all_checks()]
    for pattern in only_codes:
        if not any(matches(code, pattern) for code in known):
            _fail(f"--only: 未知的检查项 {pattern!r}（运行 portal-audit checks 查看全部）")
    _preflight(cfg.store.location, out_dir)
    try:
        result = _locked(run_audit, cfg, Path(out_dir), only=only_codes, progress=not no_progress)
    except KeyboardInterrupt:   # after the crawl and the checks (they stop at a Ctrl-C themselves)
        click.echo("[portal-audit] 已中断：写报告时收到 Ctrl-C，本次运行记为未完成，下次运行时标记为已中断", err=True)
        sys.exit(Exit.INTERRUPTED)
    _summary(result, cfg)
    if result.status == RunStatus.COMPLETED_WITH_ERRORS:
        sys.exit(Exit.WITH_ERRORS)
    if result.status != RunStatus.COMPLETED:
        sys.exit(Exit.INTERRUPTED)
    if fail_on:
        store = Store(cfg.store.location)
        if fail_on == "new-error":
            worst = history.new_errors(store, result.run_id)
            for row in worst:
                click.echo(f"新增错误：{row['site']} [{row['check_code']}] "
                           f"{'复发' if row['status'] == 'reopened' else '新增'}", err=True)
        else:
            waived = set(history.counts_of(store, result.run_id, "waived"))
            worst = [f for f in store.findings(result.run_id) if f.fingerprint not in waived
                     and SEVERITY_ORDER[f.severity.value] <= SEVERITY_ORDER[fail_on]]
        store.close()
        if worst:
            sys.exit(Exit.FINDINGS)
    sys.exit(Exit.OK)


def _with_nodes(cfg: Config, nodes: str) -> Config:
    """``cfg`` crawling on the Scrapyd nodes of ``--scrapyd`` (each checked like ``scrapyd.nodes``)."""
    urls = tuple(u.strip() for u in nodes.split(",") if u.strip())
    if not urls:
        _fail("--scrapyd: 至少需要一个 Scrapyd 节点网址（如 http://node1:6800）")
    for url in urls:
        problem = url_problem(url)
        if problem:
            _fail(f"--scrapyd: {problem}")
    problem = needs_shared_store(cfg)
    if problem:
        _fail(f"--scrapyd: {problem}")
    return dataclasses.replace(cfg, scrapyd=dataclasses.replace(cfg.scrapyd, nodes=urls))


def _locked(func, *args, **kwargs):
    """Call ``func``; when another process holds the store lock, exit with Exit.LOCKED."""

    try:
        return func(*args, **kwargs)
    except LockHeld as exc:
        _fail(str(exc), Exit.LOCKED)


def _locked_store(config_path: str | None, store: str | None, command: str, func):
    """Call ``func(db)`` on the store open, holding its lock as ``command``; when another
    process holds the lock, exit with Exit.LOCKED. A run killed before (still 'running') is
    closed first, with what its crawl processes left merged (``history.close_stale_runs``)."""

    path = _store_path(config_path, store)
    _open_store(path, must_exist=False).close()     # an unusable store is a message, before the lock

    def work():
        with StoreLock(path, command):
            db = _open_store(path, must_exist=False)
            try:
                history.close_stale_runs(db, say=_say)
                return func(db)
            finally:
                db.close()

    return _locked(work)


def _say(line: str) -> None:
    click.echo(f"[portal-audit] {line}", err=True)


def _summary(result, cfg: Config) -> None:
    store = Store(cfg.store.location)
    counts: dict[str, tuple[Counter, Counter]] = {}      # site → (by severity, by check)
    for row in store.finding_counts(result.run_id):
        sev, by_check = counts.setdefault(row["site"], (Counter(), Counter()))
        sev[row["severity"]] += row["n"]
        by_check[row["check_code"]] += row["n"]
    sites = store.run_sites(result.run_id)
    lost = store.write_error_counts(result.run_id)
    carried = store.carried_counts(result.run_id)
    store.close()
    echo = lambda s="": click.echo(s, err=True)  # noqa: E731
    incomplete = "有站点未能检查" if any(s["status"] == SiteStatus.NOT_AUDITED for s in sites) else "有数据未写入"
    state = {RunStatus.COMPLETED: "完成", RunStatus.COMPLETED_WITH_ERRORS: f"完成，但{incomplete}（结果不完整，不作为整改依据）"}.get(
        result.status, "未完成（已中断，报告标记为不完整）")
    echo()
    echo(f"══ 检查{state} · 运行编号 {result.run_id} ══")
    verdicts = {v.site: v for v in result.verdicts}
    for site in sites:
        sev, by_check = counts.get(site["site"], (Counter(), Counter()))
        if site["status"] == SiteStatus.NOT_AUDITED:
            reasons = json.loads(site["stats_json"] or "{}").get("not_audited") or []
            echo(f"{site['site']}（未能检查，没有检查结果，不作为整改依据）：{'；'.join(reasons)}")
            continue
        status = "" if site["status"] == SiteStatus.OK else f"（{SiteStatus(site['status']).label}）"
        v = verdicts.get(site["site"])
        code = f"［{v.code}］" if v and v.code else ""
        echo(f"{site['site']}{code}{status}: 页面 {site['pages']} · 链接 {site['links']} · "
             f"错误 {sev['error']} · 警告 {sev['warning']} · 提示 {sev['info']}")
        echo(summary_line(site["site"], json.loads(site["stats_json"] or "{}")))
        if site["site"] in carried:
            n, spared = carried[site["site"]]
            echo(f"    增量检查：{n} 个页面未变化，沿用上次采集结果"
                 f"（{n - spared} 个答复 304，{spared} 个依 sitemap lastmod 未再请求）")
        if v:
            why = "、".join(f"{i.label}（{'/'.join(i.codes)}）" for i in v.triggered) or \
                  "、".join(f"{i.label}待定" for i in v.undecided)
            score = "—" if v.score is None else f"{v.score:.1f}"
            echo(f"    检查结论：{v.verdict}{'（' + why + '）' if why else ''} · 健康分（非官方）{score}")
        for code, n in by_check.most_common(8):
            echo(f"    {code:<28} {n}")
    _history_summary(store_path=cfg.store.location, run_id=result.run_id, echo=echo)
    if lost:
        # deferred: the reports package loads jinja2 and openpyxl, which other commands do not need
        from reports.data import lost_rows_banner

        echo(lost_rows_banner(lost))
    for name, why in result.report_errors.items():
        echo(f"报告文件 {name} 未能写出：{why}")
    failed = [r for r in result.check_results if r.state == "error"]
    if failed:
        echo("检查项执行出错：" + "、".join(f"{r.code}（{r.error}）" for r in failed))
    for name, path in result.outputs.items():
        echo(f"{name:<15} {path}")


@main.command()
@click.option("--explain", "code", help="Print how one check decides, its options and source rule.")
def checks(code) -> None:
    """List every check: code, severity, Chinese title."""
    rules = all_checks()
    if code:
        chk = REGISTRY.get(code)
        if chk is None:
            _fail(f"未知的检查项 {code!r}")
        click.echo(f"{chk.code} · {chk.title} · 默认级别 {chk.severity.value}（{chk.severity.label}）\n")
        click.echo(chk.doc + "\n")
        click.echo(f"整改建议：{chk.fix}")
        click.echo(f"整改核实：{chk.verify.label}（verify: {chk.verify.value}）")
        click.echo(f"所需数据：{'、'.join(chk.requires) or '无'}")
        if chk.options:
            click.echo("参数（config.yaml → checks.options." + chk.code + "）：")
            for k, v in chk.options.items():
                click.echo(f"  {k}: {v}")
        if chk.source:
            click.echo(f"依据：{chk.source}")
        return
    for chk in rules:
        click.echo(f"{chk.code:<30} {chk.severity.value:<8} {chk.title}")


@main.command()
@click.argument("run_id", type=int)
@click.option("-o", "--out", "out_dir", default="out", show_default=True)
@click.option("-c", "--config", "config_path", default=None, help="Config whose store to read.")
@click.option("--store", help="Store file or postgresql:// URL (default: the config's).")
def report(run_id, out_dir, config_path, store) -> None:
    """Re-render a stored run without crawling."""
    db = _open_store(_store_path(config_path, store))
    if db.run(run_id) is None:
        _fail(f"运行 {run_id} 不存在")
    _render(db, run_id, out_dir)


def _render(db, run_id: int, out_dir) -> None:
    """Write run ``run_id``'s reports; a file that could not be written is named, exit 3."""
    # deferred: the report writers import lxml, jinja2 and openpyxl
    from reports import write_reports

    failures: dict[str, str] = {}
    for name, path in write_reports(db, run_id, out_dir, failures=failures).items():
        click.echo(f"{name:<15} {path}")
    for name, why in failures.items():
        click.echo(f"报告文件 {name} 未能写出：{why}", err=True)
    if failures:
        sys.exit(Exit.WITH_ERRORS)


@main.command()
@click.argument("run_id", type=int)
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True)
@click.option("--only", help="Only these checks (codes or prefixes).")
@click.option("-o", "--out", "out_dir", default="out", show_default=True)
def audit(run_id, config_path, only, out_dir) -> None:
    """Re-run the checks on a stored run (no crawling) and re-render its reports."""
    # deferred: the crawl imports Scrapy and lxml
    from portal_audit.runner import audit as run_checks

    cfg = _load(config_path)
    db = _open_store(cfg.store.location)
    if db.run(run_id) is None:
        _fail(f"运行 {run_id} 不存在")
    for r in run_checks(db, run_id, cfg, _split_codes(only)):
        click.echo(f"{r.code:<30} {r.state:<6} {r.found}")
    _render(db, run_id, out_dir)


@main.command()
@click.option("-c", "--config", "config_path", default=None)
@click.option("--store")
def runs(config_path, store) -> None:
    """List the stored runs with their counts per status."""

    db = _open_store(_store_path(config_path, store))
    heads = [("编号", 6, ">"), ("类型", 6, "<"), ("开始时间", 18, "<"), ("状态", 22, "<"), ("检查日期", 12, "<"),
             ("问题数", 7, ">"), ("新增", 6, ">"), ("持续", 6, ">"), ("复发", 6, ">"), ("已整改", 7, ">"),
             ("豁免", 6, ">"), ("未核实", 7, ">")]
    click.echo(" ".join(_pad(h, w, a) for h, w, a in heads))
    for r in db.runs():
        n = db.finding_count(r["id"])
        c = run_status_counts(db, r["id"])
        values = [r["id"], RUN_KIND_LABELS.get(r["kind"], r["kind"]), short_time(r["started_at"]),
                  f"{RUN_STATUS_LABELS.get(r['status'], r['status'])}（{r['status']}）", r["audit_date"], n,
                  c["new"], c["open"], c["reopened"], c["fixed"], c["waived"], c["unverified"]]
        click.echo(" ".join(_pad(v, w, a) for v, (_, w, a) in zip(values, heads)))
    db.close()


def _pad(value, width: int, align: str) -> str:
    """Pad to a terminal width, counting CJK characters as two columns."""

    text = str(value)
    used = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
    fill = " " * max(width - used, 0)
    return fill + text if align == ">" else text + fill


def _history_summary(store_path, run_id: int, echo) -> None:
    store = Store(store_path)
    try:
        if not history_applied(store, run_id):
            return
        c = run_status_counts(store, run_id)
        prev = store.last_run_before(run_id)
        since = f"与运行 {prev} 相比" if prev else "首次检查"
        echo(f"问题状态（{since}）：新增 {c['new']} · 持续 {c['open']} · 复发 {c['reopened']} · "
             f"已整改 {c['fixed']} · 豁免 {c['waived']} · 本次未核实 {c['unverified']}")
    finally:
        store.close()


@main.command()
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True, help="Config file.")
@click.option("--once", is_flag=True, help="One probe round, then exit (for cron and systemd timers).")
@click.option("--rounds", type=click.IntRange(min=1), help="Stop after this many rounds (default: run until stopped).")
def watch(config_path, once, rounds) -> None:
    """Availability watch: probe every site's home page every watch.interval (站点无法访问)."""
    # deferred: the watch loads the probe client (dnspython, ssl) only for this command
    from portal_audit.watch import round_line, run_watch

    cfg = _load(config_path)
    per_day = 86400 / cfg.watch.interval
    if not once:
        click.echo(f"[watch] 每 {cfg.watch.interval:g} 秒一轮（每天 {per_day:.0f} 轮），{len(cfg.sites)} 个站点，"
                   f"{cfg.watch.timeout:g} 秒内未打开即为失败；Ctrl-C 停止。", err=True)
    try:
        done = run_watch(cfg, rounds=1 if once else rounds, on_round=lambda r: click.echo(round_line(r), err=True))
    except LockHeld as exc:
        _fail(f"另一个 watch 正在运行（进程 {exc.holder.get('pid', '?')}，开始于 {exc.holder.get('started', '未知时间')}），"
              f"本次未执行。锁文件：{exc.path}", Exit.LOCKED)
    if done:
        requests = sum(r.requests for r in done)
        size = sum(r.bytes for r in done)
        busy = sum(r.elapsed for r in done)
        n = len(done)
        click.echo(f"[watch] 共 {n} 轮：请求 {requests} 次，{size} 字节，探测用时 {busy:.1f} 秒；"
                   f"按每天 {per_day:.0f} 轮估算每天：请求 {requests / n * per_day:.0f} 次，"
                   f"{size / n * per_day / 1024:.0f} KB，探测用时 {busy / n * per_day:.0f} 秒", err=True)


@main.group()
def ledger() -> None:
    """Ledgers built from the stored runs (no crawling)."""


@ledger.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM (e.g. 2026-10).")
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True, help="Config file.")
@click.option("-o", "--out", "out_dir", default="out", show_default=True, help="Output directory.")
def ledger_monthly(month, config_path, out_dir) -> None:
    """The monthly 《政务信息公开台账》 per site and per 主办单位 (XLSX), from the stored runs."""
    # deferred: the reports package loads jinja2 and openpyxl, which other commands do not need
    from reports.monthly import MonthError, parse_month, write_monthly

    cfg = _load(config_path)
    try:
        parse_month(month)
    except MonthError as exc:
        _fail(f"--month: {exc}")
    db = _open_store(cfg.store.location)
    try:
        paths = write_monthly(db, cfg, month, out_dir)
    finally:
        db.close()
    for path in paths:
        click.echo(str(path))


@main.group()
def feedback() -> None:
    """The 整改台账 returned by the responsible units."""


@feedback.command("import")
@click.argument("ledger", type=click.Path(dir_okay=False))
@click.option("-c", "--config", "config_path", default=None, help="Config whose store to update.")
@click.option("--store", help="Store file or postgresql:// URL (default: the config's).")
@click.option("--by", help="Who confirms the answers (recorded with every 误报 waiver; default: 整改责任单位).")
@click.option("--max-bytes", type=click.IntRange(min=1024), default=MAX_LEDGER_BYTES, show_default=True,
              help="Refuse a ledger file larger than this (bytes).")
@click.option("--max-rows", type=click.IntRange(min=1), default=MAX_LEDGER_ROWS, show_default=True,
              help="Refuse a ledger with more data rows than this.")
def feedback_import(ledger, config_path, store, by, max_bytes, max_rows) -> None:
    """Import a filled-in ledger.xlsx: 误报 → waived, 已整改 → awaiting re-check, 暂缓 → new deadline."""

    try:
        # read (bounded, sandboxed) before the store lock is taken: the lock covers applying only
        rows = parse_ledger_sandboxed(ledger, max_bytes=max_bytes, max_rows=max_rows)
        result = _locked_store(config_path, store, "feedback import",
                               lambda db: import_ledger(db, ledger, by=by, rows=rows))
    except LedgerError as exc:
        _fail(str(exc))
    click.echo(f"已导入 {ledger}：")
    labels = {"误报": "误报（已豁免）", "已整改": "已整改（待复核）", "暂缓": "暂缓（已更新整改期限）", "未整改": "未整改"}
    for answer, label in labels.items():
        click.echo(f"  {label}：{result.applied.get(answer, 0)} 条")
    click.echo(f"  与已导入内容相同、无变化：{result.unchanged} 条")
    click.echo(f"  未填写反馈状态：{result.blank} 条")
    if result.problems:
        click.echo(f"以下 {len(result.problems)} 行无法导入（未作任何更改）：", err=True)
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
    if result.applied.get("已整改"):
        click.echo("下一步：portal-audit recheck 复核单位反馈“已整改”的问题。")


@main.command()
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True, help="Config file.")
@click.option("--status", "status", type=click.Choice(["awaiting", "open", "fixed"]), default="awaiting",
              show_default=True,
              help="awaiting: answered 已整改 in the ledger; open: every unfixed finding; fixed: 回头看 of fixed ones.")
@click.option("--site", "sites", multiple=True, help="Only this site (by name); repeatable.")
@click.option("-o", "--out", "out_dir", default="out", show_default=True, help="Where recheck.html/.xlsx go.")
@click.option("--progress", is_flag=True, help="Show the crawl progress display.")
def recheck(config_path, status, sites, out_dir, progress) -> None:
    """Re-verify only the selected findings (re-fetch their pages and targets) and write the 复核报告."""
    # deferred: the crawl and the report writers import Scrapy, lxml, jinja2 and openpyxl
    from portal_audit.recheck import run_recheck

    cfg = _load(config_path)
    known = {s.name for s in cfg.sites}
    for name in sites:
        if name not in known:
            _fail(f"{cfg.source}: sites: 没有名为 {name} 的站点")
    _preflight(cfg.store.location, out_dir)
    outcome = _locked(run_recheck, cfg, Path(out_dir), status=status, sites=list(sites), progress=progress)
    if outcome.run_id is None:
        click.echo("没有需要复核的问题。")
        sys.exit(Exit.OK)
    counts = outcome.counts
    undecided = sum(n for k, n in counts.items() if k not in ("已整改", "未整改", "复发"))
    state = {RunStatus.COMPLETED: "完成", RunStatus.COMPLETED_WITH_ERRORS: "完成，但有数据未写入（相关站点不作为整改依据）"}.get(
        outcome.run_status, "未完成（已中断，状态未更改）")
    click.echo(f"复核{state} · 复核运行编号 {outcome.run_id} · {len(outcome.items)} 个问题 · "
               f"用时 {outcome.elapsed:.1f} 秒（解析页面 {outcome.pages} 个，访问地址 {outcome.fetches} 个）")
    click.echo(f"已整改 {counts.get('已整改', 0)} · 未整改 {counts.get('未整改', 0)} · 复发 {counts.get('复发', 0)} · "
               f"无法复核 {undecided}")
    for item in outcome.items:
        click.echo(f"  {item.result:<8} {item.entry.site} [{item.entry.check}] {item.entry.url or ''}  {item.detail}")
    for name, path in outcome.outputs.items():
        click.echo(f"{name:<15} {path}")
    sys.exit({RunStatus.COMPLETED: Exit.OK, RunStatus.COMPLETED_WITH_ERRORS: Exit.WITH_ERRORS}.get(outcome.run_status,
                                                                                   Exit.INTERRUPTED))


@main.command()
@click.argument("run_a", type=int)
@click.argument("run_b", type=int)
@click.option("-c", "--config", "config_path", default=None, help="Config whose store to read.")
@click.option("--store", help="Store file or postgresql:// URL (default: the config's).")
@click.option("-o", "--out", "out_dir", default="out", show_default=True, help="Where diff-A-B.json/.csv go.")
def diff(run_a, run_b, config_path, store, out_dir) -> None:
    """What appeared and what disappeared between two runs."""
    # deferred: the reports package imports jinja2 and openpyxl
    from reports.history import diff_runs

    db = _open_store(_store_path(config_path, store))
    for rid in (run_a, run_b):
        if db.run(rid) is None:
            _fail(f"运行 {rid} 不存在（可能已被 prune 清理）")
    items = diff_runs(db, run_a, run_b)
    db.close()
    appeared = [d for d in items if d.change == "appeared"]
    gone = [d for d in items if d.change == "disappeared"]
    note = {"fixed": "已确认整改", "unverified": "未核实（页面未访问到或检查未执行）", "waived": "已豁免"}
    click.echo(f"运行 {run_a} → 运行 {run_b}：新出现 {len(appeared)} 个问题，消失 {len(gone)} 个问题")
    for title, group in (("新出现", appeared), ("消失", gone)):
        if group:
            click.echo(f"\n{title}：")
        for d in group:
            f = d.finding
            extra = f"（{note.get(d.status, d.status)}）" if d.change == "disappeared" and d.status else ""
            if d.change == "disappeared" and not d.status:
                extra = "（运行 B 未检查该站点）"
            click.echo(f"  {'+' if d.change == 'appeared' else '-'} {f.site} [{f.check}] {f.url or ''} {f.message}{extra}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"diff-{run_a}-{run_b}"
    rows = [d.as_dict() for d in items]
    Path(f"{base}.json").write_text(json.dumps({"run_a": run_a, "run_b": run_b, "appeared": len(appeared),
                                                "disappeared": len(gone), "items": rows},
                                               ensure_ascii=False, indent=2), encoding="utf-8")
    with open(f"{base}.csv", "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["变化", "站点", "检查项代码", "级别", "问题描述", "问题链接", "所在页面", "运行B中的状态", "说明", "指纹"])
        for d in items:
            f = d.finding
            writer.writerow(["新出现" if d.change == "appeared" else "消失", f.site, f.check, f.severity.label,
                             f.message, f.url or "", f.page or "", note.get(d.status, d.status or ""), d.note or "",
                             f.fingerprint])
    click.echo(f"\n{base}.json\n{base}.csv")


@main.command()
@click.option("--keep", type=click.IntRange(min=1), required=True, help="Number of audit runs to keep.")
@click.option("-c", "--config", "config_path", default=None, help="Config whose store to prune.")
@click.option("--store", help="Store file or postgresql:// URL (default: the config's).")
@click.option("--vacuum", is_flag=True, help="Also give the freed space back to the file system.")
def prune(keep, config_path, store, vacuum) -> None:
    """Delete runs older than the last N audit runs (the finding history is kept)."""

    deleted = _locked_store(config_path, store, "prune", lambda db: prune_runs(db, keep, vacuum=vacuum))
    if deleted:
        click.echo(f"已清理 {len(deleted)} 次运行（编号 {', '.join(map(str, deleted))}），保留最近 {keep} 次检查；问题历史未删除。")
    else:
        click.echo(f"无需清理：检查运行不超过 {keep} 次。")


@main.group("store")
def store_group() -> None:
    """The store itself: copy a history between SQLite and PostgreSQL."""


# the tables `store migrate` names in its summary, in this order
TABLE_LABELS = {"runs": "运行", "run_sites": "站点记录", "pages": "页面", "links": "链接", "fetches": "抓取记录",
                "requests": "请求", "findings": "问题", "finding_history": "问题历史", "finding_status": "问题状态",
                "feedback_log": "反馈记录", "watch_rounds": "可用性监测轮次", "watch_probes": "可用性探测"}


@store_group.command("migrate")
@click.option("--from", "source", required=True, help="The store to copy (a SQLite file or postgresql:// URL).")
@click.option("--to", "target", required=True, help="The empty store to copy into (postgresql:// URL or file).")
def store_migrate(source, target) -> None:
    """Copy a whole store (runs, facts, findings, history) into an empty one."""

    src = _open_store(source)
    try:
        with StoreLock(source, "store migrate"), StoreLock(target, "store migrate"):
            history.close_stale_runs(src, say=_say)     # nothing a killed run gathered is left behind
            dst = _open_store(target, must_exist=False)
            try:
                copied = copy_store(src, dst)
            except StoreError as exc:
                _fail(str(exc))
            finally:
                dst.close()
    except LockHeld as exc:
        _fail(str(exc), Exit.LOCKED)
    finally:
        src.close()
    named = [f"{label} {copied[t]}" for t, label in TABLE_LABELS.items() if copied.get(t)]
    others = sum(n for t, n in copied.items() if t not in TABLE_LABELS)
    if others:
        named.append(f"其他 {others}")
    click.echo(f"已将 {src} 的全部历史迁移到 {dst}：共 {sum(copied.values())} 行（{'、'.join(named) or '无数据'}），"
               f"{len(copied)} 张表。")


@main.command()
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True)
@click.option("-o", "--out", "out_dir", default="out/demo", show_default=True)
def demo(config_path, out_dir) -> None:
    """Serve the bundled sample portal on loopback and audit it with the config."""

    # deferred: the crawl and the report writers import Scrapy, lxml, jinja2 and openpyxl
    from portal_audit.runner import run_audit

    cfg = _load(config_path)
    port = urlsplit(cfg.sites[0].url).port or 80
    _preflight(cfg.store.location, out_dir)
    server = serve(build_portal(kind="full"), port=port)
    try:
        result = _locked(run_audit, cfg, Path(out_dir))
    finally:
        server.stop()
    _summary(result, cfg)
    click.echo(f"\n报告：{(Path(out_dir) / 'report.html').resolve()}")


if __name__ == "__main__":
    main()
