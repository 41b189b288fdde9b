"""The portal-audit command line."""

from __future__ import annotations

import enum
import logging
import sys
from collections import Counter
from pathlib import Path

import click

from portal_audit import __version__
from portal_audit.config import Config, ConfigError, load_config


class Exit(enum.IntEnum):
    OK = 0             # the audit completed, whatever it found
    FINDINGS = 1       # --fail-on matched
    USAGE = 2          # bad usage or bad config
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
        return _load(config_path or "config.yaml").store.path
    return ".portal-audit/audit.db"


def _open_store(path: str):
    from store import Store, StoreError

    try:
        return Store(path)
    except StoreError as exc:
        _fail(str(exc))


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
@click.option("--fail-on", type=click.Choice(["error", "warning"]), help="Exit 1 when findings of this severity or worse exist.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress display.")
def run(config_path, out_dir, sites, only, fail_on, no_progress) -> None:
    """Audit the sites in the config and write the reports."""
    from checks.registry import all_checks, matches
    from portal_audit.runner import run_audit

    cfg = _load(config_path, sites)
    only_codes = _split_codes(only)
    known = [c.code for c in all_checks()]
    for pattern in only_codes:
        if not any(matches(code, pattern) for code in known):
            _fail(f"--only: 未知的检查项 {pattern!r}（运行 portal-audit checks 查看全部）")
    result = run_audit(cfg, Path(out_dir), only=only_codes, progress=not no_progress)
    _summary(result, cfg)
    if result.status != "completed":
        sys.exit(Exit.INTERRUPTED)
    if fail_on:
        from store import Store

        store = Store(cfg.store.path)
        worst = [f for f in store.findings(result.run_id) if SEVERITY_ORDER[f.severity.value] <= SEVERITY_ORDER[fail_on]]
        store.close()
        if worst:
            sys.exit(Exit.FINDINGS)
    sys.exit(Exit.OK)


def _summary(result, cfg: Config) -> None:
    from store import Store

    store = Store(cfg.store.path)
    findings = store.findings(result.run_id)
    sites = store.run_sites(result.run_id)
    store.close()
    echo = lambda s="": click.echo(s, err=True)  # noqa: E731
    state = "完成" if result.status == "completed" else "未完成（已中断，报告标记为不完整）"
    echo()
    echo(f"══ 检查{state} · 运行编号 {result.run_id} ══")
    for site in sites:
        mine = [f for f in findings if f.site == site["site"]]
        sev = Counter(f.severity.value for f in mine)
        status = "" if site["status"] == "ok" else "（首页无法访问）"
        echo(f"{site['site']}{status}: 页面 {site['pages']} · 链接 {site['links']} · "
             f"错误 {sev['error']} · 警告 {sev['warning']} · 提示 {sev['info']}")
        for code, n in Counter(f.check for f in mine).most_common(8):
            echo(f"    {code:<28} {n}")
    failed = [r for r in result.check_results if r.state == "error"]
    if failed:
        echo("检查项执行出错：" + "、".join(f"{r.code}（{r.error}）" for r in failed))
    for name, path in result.outputs.items():
        echo(f"{name:<15} {path}")


@main.command()
@click.option("--explain", "code", help="Print how one check decides, its options and source rule.")
def checks(code) -> None:
    """List every check: code, severity, Chinese title."""
    from checks.registry import REGISTRY, all_checks

    rules = all_checks()
    if code:
        chk = REGISTRY.get(code)
        if chk is None:
            _fail(f"未知的检查项 {code!r}")
        click.echo(f"{chk.code} · {chk.title} · 默认级别 {chk.severity.value}（{chk.severity.label}）\n")
        click.echo(chk.doc + "\n")
        click.echo(f"整改建议：{chk.fix}")
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
@click.option("--store", help="Store file (default: the config's).")
def report(run_id, out_dir, config_path, store) -> None:
    """Re-render a stored run without crawling."""
    from reports import write_reports

    db = _open_store(_store_path(config_path, store))
    if db.run(run_id) is None:
        _fail(f"运行 {run_id} 不存在")
    for name, path in write_reports(db, run_id, out_dir).items():
        click.echo(f"{name:<15} {path}")


@main.command()
@click.argument("run_id", type=int)
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True)
@click.option("--only", help="Only these checks (codes or prefixes).")
@click.option("-o", "--out", "out_dir", default="out", show_default=True)
def audit(run_id, config_path, only, out_dir) -> None:
    """Re-run the checks on a stored run (no crawling) and re-render its reports."""
    from portal_audit.runner import audit as run_checks
    from reports import write_reports

    cfg = _load(config_path)
    db = _open_store(cfg.store.path)
    if db.run(run_id) is None:
        _fail(f"运行 {run_id} 不存在")
    for r in run_checks(db, run_id, cfg, _split_codes(only)):
        click.echo(f"{r.code:<30} {r.state:<6} {r.found}")
    for name, path in write_reports(db, run_id, out_dir).items():
        click.echo(f"{name:<15} {path}")


@main.command()
@click.option("-c", "--config", "config_path", default=None)
@click.option("--store")
def runs(config_path, store) -> None:
    """List the stored runs with their counts."""
    db = _open_store(_store_path(config_path, store))
    click.echo(f"{'编号':<6}{'开始时间':<27}{'状态':<13}{'检查日期':<12}{'问题数':>6}")
    for r in db.runs():
        n = db.scalar("SELECT COUNT(*) FROM findings WHERE run_id = ?", (r["id"],))
        click.echo(f"{r['id']:<6}{r['started_at']:<27}{r['status']:<13}{r['audit_date']:<12}{n:>6}")


@main.command()
@click.option("-c", "--config", "config_path", default="config.yaml", show_default=True)
@click.option("-o", "--out", "out_dir", default="out/demo", show_default=True)
def demo(config_path, out_dir) -> None:
    """Serve the bundled sample portal on loopback and audit it with the config."""
    from urllib.parse import urlsplit

    from portal_audit.runner import run_audit
    from portal_audit.sample import build_portal, serve

    cfg = _load(config_path)
    port = urlsplit(cfg.sites[0].url).port or 80
    server = serve(build_portal(kind="full"), port=port)
    try:
        result = run_audit(cfg, Path(out_dir))
    finally:
        server.stop()
    _summary(result, cfg)
    click.echo(f"\n报告：{(Path(out_dir) / 'report.html').resolve()}")


if __name__ == "__main__":
    main()
