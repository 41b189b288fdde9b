"""portal-audit performance benchmark (a measurement, never a timed test).

For each size N it serves the generated "bench" portal (``build_portal("bench", pages=N)``)
on 127.0.0.1 from a separate process, then, side by side in the same run:

1. the ceiling: ``bench/bare_spider.py``, a bare Scrapy spider following the same links
   with the same concurrency settings, in a subprocess;
2. the full audit: the real CLI ``portal-audit run`` in a subprocess, with a config for
   that portal (audit_date pinned, robots off, timeout 10, retries 1).

Each side gets a fresh server process (the server caches rendered list pages, so a
shared server would favour whichever side runs second). The crawl time of both sides
is measured the same way, on the server: first request received → last response sent.
Peak RSS is sampled with psutil every 0.2 s (process plus children); the server's own
CPU and memory are not counted. The checks stage comes from the store
(``check_runs.elapsed``, grouped by family), the report stage is re-timed in this process.

    python bench/run.py                    # 2000, 5000, 20000 pages
    python bench/run.py --quick            # 2000 pages only
    python bench/run.py --sizes 2000,5000

Results: ``bench/results/latest.json`` (plus a copy per run) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
CLI = str(Path(PYTHON).with_name("portal-audit"))

AUDIT_DATE = "2024-06-30"
CRAWL = {"concurrency": 16, "per_host_concurrency": 4, "timeout": 10, "retries": 1, "per_host_rate": 0}
# The depth cap is a trap guard. Under Scrapy's default LIFO order the bench portal's
# prev/next article chains are discovered at depths far beyond the default 8, and the
# bare spider has no depth cap: lift it (to the config's upper bound) so that both sides
# parse the same pages.
AUDIT_MAX_DEPTH = 1000
SAMPLE_EVERY = 0.2
DEFAULT_SIZES = (2000, 5000, 20000)

TARGET_RATIO = 0.60
TARGET_RSS_MB = 400
TARGET_LINK_PCT = 10.0
TARGET_CONTENT_PCT = 20.0


# -- the portal server, in its own process -------------------------------------------

def _server_main(pages: int, conn, serve_kw: dict | None = None) -> None:
    """Child process: build and serve the bench portal; answer 'stats' and 'stop'."""
    sys.path.insert(0, str(ROOT))
    from portal_audit.sample import build_portal, serve

    t0 = time.perf_counter()
    portal = build_portal(kind="bench", pages=pages)
    srv = serve(portal, hosts=("127.0.0.1",), port=0, **(serve_kw or {}))
    built = time.perf_counter() - t0
    lock = threading.Lock()
    st = {"first": None, "last": None, "requests": 0, "by_method": defaultdict(int)}
    handle = srv._handle

    def timed_handle(h, method):
        now = time.time()
        with lock:
            if st["first"] is None:
                st["first"] = now
            st["requests"] += 1
            st["by_method"][method] += 1
        try:
            handle(h, method)
        finally:
            end = time.time()
            with lock:
                st["last"] = end if st["last"] is None else max(st["last"], end)

    srv._handle = timed_handle   # instance attribute: the handlers call app._handle(...)
    conn.send({"base_url": srv.base_url, "portal_pages": portal.pages, "build_s": built,
               "description": portal.description})
    while True:
        cmd = conn.recv()
        if cmd == "stats":
            with lock:
                cpu = os.times()
                conn.send({"first": st["first"], "last": st["last"], "requests": st["requests"],
                           "by_method": dict(st["by_method"]), "cpu_s": cpu.user + cpu.system,
                           "rss_mb": psutil.Process().memory_info().rss / 2**20})
        elif isinstance(cmd, tuple) and cmd[0] == "edit":   # ("edit", [path, …], html): pages changed
            for path in cmd[1]:
                srv.edit(path, cmd[2])
            conn.send({"edited": len(cmd[1]), "refused": srv.refused})
        elif cmd == "stop":
            srv.stop()
            conn.send("stopped")
            return


class PortalServer:
    def __init__(self, pages: int, **serve_kw):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_server_main, args=(pages, child, serve_kw), daemon=True)
        self.proc.start()
        if not self.conn.poll(120):
            self.close()
            raise RuntimeError("the bench portal server did not start within 120 s")
        self.info = self.conn.recv()
        self.base_url = self.info["base_url"]

    def edit(self, paths: list[str], html: str) -> dict:
        self.conn.send(("edit", paths, html))
        return self.conn.recv()

    def stats(self) -> dict:
        self.conn.send("stats")
        return self.conn.recv()

    def close(self) -> None:
        if self.proc.is_alive():
            try:
                self.conn.send("stop")
                self.conn.poll(10) and self.conn.recv()
            except (OSError, EOFError):
                pass
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- a measured subprocess ---------------------------------------------------------------

def measured(cmd: list[str], *, cwd: Path, log: Path, timeout: float, profile: Path | None = None) -> dict:
    """Run ``cmd``; every 0.2 s sample its RSS and CPU time (with children); wall time.

    ``samples`` are (unix time, CPU seconds so far, RSS MB), to cut the crawl window out later;
    ``main_samples`` (unix time, RSS MB) of the command's own process, to tell which stage its
    peak falls in (compare with the run's log).
    With ``profile``, py-spy records the process (adds overhead: never for the figures).
    """
    before = os.times()
    started = time.perf_counter()
    samples: list[tuple[float, float, float]] = []
    main_samples: list[tuple[float, float]] = []
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        spy = None
        if profile is not None:
            spy = subprocess.Popen([str(Path(PYTHON).with_name("py-spy")), "record", "-p", str(proc.pid), "-r", "50",
                                    "-f", "raw", "-o", str(profile)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        ps = psutil.Process(proc.pid)
        timed_out = False
        per_process: dict[int, float] = {}   # pid → peak RSS MB of that process alone
        roles: dict[int, str] = {}
        while proc.poll() is None:
            rss = cpu = 0.0
            try:
                for p in [ps, *ps.children(recursive=True)]:
                    try:
                        with p.oneshot():
                            one = p.memory_info().rss
                            rss += one
                            per_process[p.pid] = max(per_process.get(p.pid, 0.0), one / 2**20)
                            if p is ps:
                                main_samples.append((time.time(), one / 2**20))
                            roles[p.pid] = _role(p, ps.pid, roles)   # again: a spawn shows its command late
                            t = p.cpu_times()
                            cpu += t.user + t.system + t.children_user + t.children_system
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            if rss:
                samples.append((time.time(), cpu, rss / 2**20))
            if time.perf_counter() - started > timeout:
                proc.kill()
                timed_out = True
            time.sleep(SAMPLE_EVERY)
        proc.wait()
        if spy is not None:
            spy.wait(60)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"returncode": proc.returncode, "wall_s": wall, "timed_out": timed_out,
            "peak_rss_mb": max((s[2] for s in samples), default=float("nan")), "cpu_s": cpu, "samples": samples,
            "main_samples": main_samples,
            "peak_rss_per_process_mb": sorted(per_process.values(), reverse=True),
            "peak_rss_by_role_mb": _by_role(per_process, roles)}


def _role(p: psutil.Process, root: int, known: dict[int, str]) -> str:
    """What a measured process is: the command itself, a crawl process (forked, named
    ``pa-crawl-N``), the IPv6 stage (forked, ``pa-ipv6``), a checks worker (multiprocessing spawn), the attachment parsers'
    forkserver or one of its forked workers (same command line)."""
    if p.pid == root:
        return "main"
    cmd = " ".join(p.cmdline())
    if known.get(p.ppid()) == "parser forkserver":
        return "parser worker"
    for marker, role in (("forkserver", "parser forkserver"), ("resource_tracker", "resource tracker"),
                         ("spawn_main", "checks worker")):
        if marker in cmd:
            return role
    if p.name().startswith("pa-crawl-"):
        return "crawl process"
    if p.name() == "pa-ipv6":
        return "ipv6 stage"
    return Path(p.cmdline()[0]).name if p.cmdline() else "?"


def _by_role(per_process: dict[int, float], roles: dict[int, str]) -> dict[str, dict]:
    """Per role: how many processes, and the peaks of the largest four (MB, largest first)."""
    peaks: dict[str, list[float]] = {}
    for pid, peak in per_process.items():
        peaks.setdefault(roles.get(pid, "?"), []).append(round(peak, 1))
    return {role: {"processes": len(v), "peaks_mb": sorted(v, reverse=True)[:4]} for role, v in peaks.items()}


def cpu_between(samples, t0: float, t1: float) -> float:
    """CPU seconds used between unix times t0 and t1, interpolated from the samples."""
    def at(t):
        prev = None
        for s in samples:
            if s[0] >= t:
                if prev is None:
                    return s[1]
                span = s[0] - prev[0]
                return prev[1] + (s[1] - prev[1]) * ((t - prev[0]) / span if span else 1.0)
            prev = s
        return samples[-1][1] if samples else float("nan")
    return at(t1) - at(t0)


def _window(server_stats: dict) -> float:
    if server_stats["first"] is None or server_stats["last"] is None:
        return float("nan")
    return server_stats["last"] - server_stats["first"]


def _crawl_figures(m: dict, server: dict, pages: int) -> dict:
    """Throughput and CPU over the crawl window, measured alike for both sides."""
    crawl_s = _window(server)
    samples = m.pop("samples")
    crawl_cpu = cpu_between(samples, server["first"], server["last"])
    during = [x[2] for x in samples if x[0] <= server["last"]]
    after = [x[2] for x in samples if x[0] > server["last"]]
    return {"crawl_s": crawl_s, "crawl_cpu_s": crawl_cpu,
            "peak_rss_crawl_mb": max(during, default=float("nan")),
            "peak_rss_after_crawl_mb": max(after, default=float("nan")),
            "pages_per_s": pages / crawl_s, "requests_per_s": server["requests"] / crawl_s,
            "cpu_ms_per_page": 1000 * crawl_cpu / pages if pages else float("nan"),
            "cpu_busy_pct": 100 * crawl_cpu / crawl_s}


# -- the two sides -----------------------------------------------------------------------

def run_bare(pages: int, work: Path, timeout: float, profile: Path | None = None) -> dict:
    out = work / "bare.json"
    with PortalServer(pages) as srv:
        m = measured([PYTHON, str(ROOT / "bench" / "bare_spider.py"), srv.base_url,
                      "--concurrency", str(CRAWL["concurrency"]), "--per-host", str(CRAWL["per_host_concurrency"]),
                      "--timeout", str(CRAWL["timeout"]), "--retries", str(CRAWL["retries"]), "--out", str(out)],
                     cwd=ROOT, log=work / "bare.log", timeout=timeout, profile=profile)
        server = srv.stats()
        portal = srv.info
    if m["returncode"] != 0 or not out.exists():
        raise RuntimeError(f"bare spider failed (exit {m['returncode']}), see {work / 'bare.log'}")
    res = json.loads(out.read_text())
    return {**m, **res, **_crawl_figures(m, server, res["pages"]), "requests": server["requests"],
            "server": server, "portal": portal}


def audit_config(base_url: str, pages: int, work: Path) -> Path:
    import yaml

    cfg = {
        "audit_date": AUDIT_DATE,
        "store": {"path": str(work / "audit.db")},
        "crawl": {**CRAWL, "respect_robots": False, "max_pages": pages * 2 + 100, "max_depth": AUDIT_MAX_DEPTH},
        "ipv6": {"allow_nonglobal": True},
        "sites": [{"name": "基准门户", "url": base_url}],
    }
    path = work / "bench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def check_groups() -> dict[str, str]:
    """code → stage group: 'link' (the link family of checks/links.py: link.*, attachment.*,
    site.unreachable), 'ipv6', or 'content' (every other family: policy, regulation, document,
    disclosure, metadata, privacy, column, site.home-stale …)."""
    from checks.registry import all_checks

    groups = {}
    for c in all_checks():
        module = c.func.__module__.rsplit(".", 1)[-1]
        if module == "links" or c.family in ("link", "attachment") or c.code == "site.unreachable":
            groups[c.code] = "link"
        elif "ipv6" in module or c.family == "ipv6":
            groups[c.code] = "ipv6"
        else:
            groups[c.code] = "content"
    return groups


def run_audit(pages: int, work: Path, timeout: float, profile: Path | None = None) -> dict:
    from store import Store

    with PortalServer(pages) as srv:
        cfg = audit_config(srv.base_url, pages, work)
        m = measured([CLI, "run", "-c", str(cfg), "-o", str(work / "out"), "--no-progress"],
                     cwd=work, log=work / "audit.log", timeout=timeout, profile=profile)
        server = srv.stats()
    db_path = work / "audit.db"
    run = None
    if db_path.exists():
        store = Store(db_path)
        runs = store.runs("audit")
        run = runs[-1] if runs else None
        if run is not None:
            figures = store.run_figures(run["id"])
            check_rows = store.check_runs(run["id"])
        store.close()
    if run is None or run["finished_at"] is None:
        raise RuntimeError(f"portal-audit run failed (exit {m['returncode']}), see {work / 'audit.log'}")
    cli_error = None
    if m["returncode"] != 0:
        # crawl and checks are recorded before the reports are written: measure what ran, say what failed
        cli_error = _tail(work / "audit.log")
        print(f"[bench] warning: portal-audit exited {m['returncode']} after the run was recorded: {cli_error}",
              file=sys.stderr, flush=True)
    run_id = run["id"]
    n_pages, n_fetches, n_links = figures["pages"], figures["fetches"], figures["links"]
    n_logged, by_purpose, findings = figures["requests"], figures["requests_by_purpose"], figures["findings_by_check"]
    groups = check_groups()
    stage = {"link": 0.0, "content": 0.0}
    per_check = {}
    for r in check_rows:
        group = groups.get(r["check_code"], "content")
        stage[group] = stage.get(group, 0.0) + (r["elapsed"] or 0.0)
        per_check[r["check_code"]] = {"group": group, "elapsed_s": r["elapsed"], "state": r["state"],
                                      "found": r["found"], "error": r["error"]}
    checks_s = sum(stage.values())
    crawl = _crawl_figures(m, server, n_pages)
    crawl_s = crawl["crawl_s"]
    run_s = (datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()
    report_s = time_report(db_path, run_id, work / "report-retimed")
    return {
        **m, **crawl, "cli_error": cli_error, "run_id": run_id, "status": run["status"], "pages": n_pages,
        "fetches": n_fetches, "links": n_links, "requests": server["requests"], "server": server,
        "requests_logged": n_logged, "requests_by_purpose": by_purpose,
        "requests_per_page": n_logged / n_pages if n_pages else None,
        "run_recorded_s": run_s, "checks_s": checks_s, "stage_s": stage, "report_s": report_s,
        "stage_pct_of_crawl": {k: 100 * v / crawl_s for k, v in stage.items()},
        "checks_pct_of_crawl": 100 * checks_s / crawl_s,
        "findings": sum(findings.values()), "findings_by_check": findings, "per_check": per_check,
    }


def time_report(db_path: Path, run_id: int, out: Path) -> float | None:
    """Re-render the reports of the stored run here, to time the report stage."""
    from reports import write_reports
    from store import Store

    store = Store(db_path)
    try:
        t0 = time.perf_counter()
        write_reports(store, run_id, out)
        return time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - the reports are not what this benchmark measures
        print(f"[bench] warning: re-rendering the reports failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    finally:
        store.close()


def _tail(log: Path) -> str:
    lines = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


# -- one size ----------------------------------------------------------------------------

def measure_size(size: int, repeat: int, timeout: float, keep: bool) -> dict:
    """Interleave bare and audit ``repeat`` times; the figures are each side's best (fastest)
    crawl, which is the least disturbed by whatever else the machine was doing."""
    bares, audits, works = [], [], []
    for i in range(repeat):
        work = Path(tempfile.mkdtemp(prefix=f"bench-{size}-{i}-", dir=RESULTS))
        works.append(work)
        tag = f"N={size:,}" + (f" #{i + 1}/{repeat}" if repeat > 1 else "")
        print(f"[bench] {tag}: bare spider …", file=sys.stderr, flush=True)
        b = run_bare(size, work, timeout)
        print(f"[bench] {tag}: bare {b['pages']} pages in {b['crawl_s']:.1f} s ({b['pages_per_s']:.1f} pages/s, "
              f"{b['cpu_ms_per_page']:.2f} CPU ms/page); full audit …", file=sys.stderr, flush=True)
        a = run_audit(size, work, timeout)
        print(f"[bench] {tag}: audit {a['pages']} pages in {a['crawl_s']:.1f} s ({a['pages_per_s']:.1f} pages/s, "
              f"{a['cpu_ms_per_page']:.2f} CPU ms/page), checks {a['checks_s']:.2f} s, "
              f"peak RSS {a['peak_rss_mb']:.0f} MB, {a['findings']} findings", file=sys.stderr, flush=True)
        bares.append(b)
        audits.append(a)
    bare = max(bares, key=lambda r: r["pages_per_s"])
    audit = max(audits, key=lambda r: r["pages_per_s"])
    r = {
        "size": size, "when": datetime.now().astimezone().isoformat(timespec="seconds"), "tree": tree_state(),
        "portal_pages": bare["portal"]["portal_pages"], "repeat": repeat, "bare": bare, "audit": audit,
        "ratio": audit["pages_per_s"] / bare["pages_per_s"],
        "requests_ratio": audit["requests_per_s"] / bare["requests_per_s"],
        "cpu_ratio": bare["cpu_ms_per_page"] / audit["cpu_ms_per_page"],
        "all_pages_per_s": {"bare": [x["pages_per_s"] for x in bares], "audit": [x["pages_per_s"] for x in audits]},
        "peak_rss_mb_all": [x["peak_rss_mb"] for x in audits],
    }
    r["audit"]["peak_rss_mb"] = max(r["peak_rss_mb_all"])   # the worst peak, not the fastest run's
    r["targets_met"] = verdicts(r)
    if abs(audit["pages"] - bare["pages"]) > 0.02 * bare["pages"]:
        r["warning"] = (f"the two sides parsed different page sets (audit {audit['pages']}, bare {bare['pages']}):"
                        " the ratio compares unlike work")
        print(f"[bench] warning: {r['warning']}", file=sys.stderr, flush=True)
    for work in works:
        if keep:
            r.setdefault("work_dirs", []).append(str(work))
        else:
            shutil.rmtree(work, ignore_errors=True)
    return r


# -- output ----------------------------------------------------------------------------

def _f(x, fmt="{:.1f}"):
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def markdown(results: list[dict]) -> str:
    rows = [
        "| 页面数 N | 基准爬虫 页/秒 (请求/秒) | 完整检查 页/秒 (请求/秒) | 吞吐比 ≥60% (CPU 比) "
        "| 峰值 RSS：检查 / 基准爬虫 | 采集耗时 | 链接类检查 <10% | 内容类检查 <20% | 问题数 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        b, a = r["bare"], r["audit"]
        pct, st = a["stage_pct_of_crawl"], a["stage_s"]
        rows.append(
            f"| {r['size']:,} | {_f(b['pages_per_s'])} ({_f(b['requests_per_s'])}) "
            f"| {_f(a['pages_per_s'])} ({_f(a['requests_per_s'])}) "
            f"| {_f(100 * r['ratio'], '{:.0f}%')} ({_f(100 * r['cpu_ratio'], '{:.0f}%')}) "
            f"| {_f(a['peak_rss_mb'], '{:.0f}')} MB / {_f(b['peak_rss_mb'], '{:.0f}')} MB "
            f"| {_f(a['crawl_s'])} s "
            f"| {_f(pct.get('link', 0.0), '{:.1f}%')} ({_f(st.get('link', 0.0), '{:.2f}')} s) "
            f"| {_f(pct.get('content', 0.0), '{:.1f}%')} ({_f(st.get('content', 0.0), '{:.2f}')} s) "
            f"| {a['findings']} |")
    lines = ["\n".join(rows), ""]
    for r in results:
        b, a = r["bare"], r["audit"]
        lines.append(
            f"- N={r['size']:,} ({r['when']}, {_tree(r)}, best of {r['repeat']}): audit parsed {a['pages']} pages, checked "
            f"{a['fetches']} URLs, {a['requests']} requests (the store's `requests` table: {a.get('requests_logged')}, "
            f"{_f(a.get('requests_per_page'), '{:.2f}')} per page); bare parsed {b['pages']} pages, {b['requests']} requests. "
            f"CPU per page during the crawl: audit {a['cpu_ms_per_page']:.2f} ms, bare {b['cpu_ms_per_page']:.2f} ms "
            f"(crawler busy {a['cpu_busy_pct']:.0f}% / {b['cpu_busy_pct']:.0f}% of a core). Audit wall {a['wall_s']:.1f} s"
            f" = crawl {a['crawl_s']:.1f} s + checks {a['checks_s']:.2f} s + report {_f(a['report_s'], '{:.2f}')} s"
            f" + start-up. Peak RSS over the runs: {', '.join(f'{x:.0f}' for x in r['peak_rss_mb_all'])} MB"
            f" (fastest run: {_f(a.get('peak_rss_crawl_mb'), '{:.0f}')} MB while crawling, "
            f"{_f(a.get('peak_rss_after_crawl_mb'), '{:.0f}')} MB in checks and reports)."
            + (f" WARNING: {r['warning']}" if r.get("warning") else "")
            + (f" CLI error: {a['cli_error']}" if a.get("cli_error") else ""))
    growth = rss_growth(results)
    if growth:
        lines.append(f"- Peak RSS growth exponent log(RSS₂/RSS₁)/log(N₂/N₁) (< 1 is sub-linear): {growth}")
    return "\n".join(lines)


def _tree(r: dict) -> str:
    t = r.get("tree") or {}
    dirty = f" + {t['local_changes']} uncommitted files" if t.get("local_changes") else ""
    return f"commit {t.get('commit', '?')}{dirty}"


def rss_growth(results: list[dict]) -> str:
    pts = sorted((r["size"], r["audit"]["peak_rss_mb"]) for r in results)
    parts = []
    for (n1, m1), (n2, m2) in zip(pts, pts[1:]):
        parts.append(f"{n1:,}→{n2:,}: {math.log(m2 / m1) / math.log(n2 / n1):.2f}")
    return ", ".join(parts)


def verdicts(r: dict) -> dict:
    a = r["audit"]
    v = {
        "throughput_ratio>=60%": r["ratio"] >= TARGET_RATIO,
        "link_checks<10%": a["stage_pct_of_crawl"].get("link", 0.0) < TARGET_LINK_PCT,
        "content_checks<20%": a["stage_pct_of_crawl"].get("content", 0.0) < TARGET_CONTENT_PCT,
    }
    if r["size"] >= 20000:
        v["peak_rss<400MB"] = a["peak_rss_mb"] < TARGET_RSS_MB
    return v


def tree_state() -> dict:
    """The commit measured and whether the working tree had local changes (other work in progress)."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""
    changed = [ln[3:] for ln in git("status", "--porcelain", "--untracked-files=all").splitlines()
               if not ln[3:].startswith("bench/")]
    return {"commit": git("rev-parse", "--short", "HEAD"), "local_changes": len(changed),
            "changed_paths": sorted({p.split("/", 1)[0] + ("/" if "/" in p else "") for p in changed})}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="portal-audit benchmark: bare Scrapy spider vs full audit")
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                    help="comma-separated portal sizes in pages (default 2000,5000,20000)")
    ap.add_argument("--quick", action="store_true", help="2000 pages only")
    ap.add_argument("--repeat", type=int, default=1,
                    help="interleaved bare/audit pairs per size; each side's best run is reported (default 1)")
    ap.add_argument("--timeout", type=float, default=900, help="kill a side after this many seconds (default 900)")
    ap.add_argument("--keep", action="store_true", help="keep the work directories (store, logs, reports)")
    ap.add_argument("--fresh", action="store_true",
                    help="start latest.json afresh (default: replace only the sizes measured now)")
    ap.add_argument("--profile", type=int, metavar="N",
                    help="instead of measuring, record both sides on an N-page portal with py-spy "
                         "(bench/results/profile-N-*.txt, collapsed stacks) and print the hottest functions")
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.profile:
        return profile(args.profile, args.timeout)
    sizes = [2000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    latest = RESULTS / "latest.json"
    previous = {}
    if latest.exists() and not args.fresh:
        try:
            previous = {r["size"]: r for r in json.loads(latest.read_text(encoding="utf-8")).get("results", [])}
        except (ValueError, KeyError, TypeError):
            previous = {}
    measured_now = [measure_size(size, max(1, args.repeat), args.timeout, args.keep) for size in sizes]
    merged = {**previous, **{r["size"]: r for r in measured_now}}
    results = [merged[k] for k in sorted(merged)]
    doc = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
        "settings": {**CRAWL, "audit_date": AUDIT_DATE, "respect_robots": False, "audit_max_depth": AUDIT_MAX_DEPTH},
        "targets": {"throughput_ratio": TARGET_RATIO, "peak_rss_mb_at_20k": TARGET_RSS_MB,
                    "link_checks_pct_of_crawl": TARGET_LINK_PCT, "content_checks_pct_of_crawl": TARGET_CONTENT_PCT},
        "results": results,
        "rss_growth_exponents": rss_growth(results),
    }
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    latest.write_text(text, encoding="utf-8")
    (RESULTS / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json").write_text(text, encoding="utf-8")
    print(markdown(results))
    return 0


# -- profiling ---------------------------------------------------------------------------

def profile(size: int, timeout: float) -> int:
    """Record both sides with py-spy (never used for the figures: sampling adds overhead)."""
    if not Path(PYTHON).with_name("py-spy").exists():
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix=f"profile-{size}-", dir=RESULTS))
    outs = {"bare": RESULTS / f"profile-{size}-bare.txt", "audit": RESULTS / f"profile-{size}-audit.txt"}
    b = run_bare(size, work, timeout, profile=outs["bare"])
    a = run_audit(size, work, timeout, profile=outs["audit"])
    shutil.rmtree(work, ignore_errors=True)
    for side, r in (("bare", b), ("audit", a)):
        print(f"## {side}: {r['pages']} pages, crawl {r['crawl_s']:.1f} s, {r['cpu_ms_per_page']:.2f} CPU ms/page "
              f"(under py-spy); collapsed stacks in {outs[side]}\n")
        print(hot_spots(outs[side], pages=r["pages"]))
        print()
    return 0


PROJECT_DIRS = ("crawler/", "checks/", "store/", "portal_audit/", "reports/", "bench/")


def hot_spots(path: Path, top: int = 25, pages: int = 0) -> str:
    """Self and inclusive shares per function from py-spy's collapsed stacks
    (``frame;frame;… count``, a frame being ``function (file:line)``)."""
    own, incl = defaultdict(int), defaultdict(int)
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        n = int(n)
        total += n
        frames = [f.rsplit(":", 1)[0] + ")" if ":" in f else f for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        return "(no samples)"
    ms = (lambda n: f"  {1000 * n / 50 / pages:5.2f} ms/page") if pages else (lambda n: "")
    ranked_own = sorted(own.items(), key=lambda x: -x[1])[:top]
    ranked_incl = [(f, n) for f, n in sorted(incl.items(), key=lambda x: -x[1])
                   if f.split(" (", 1)[-1].startswith(PROJECT_DIRS)][:top]
    lines = [f"{total} samples at 50 Hz", "", "self%  function"]
    lines += [f"{100 * n / total:5.1f}{ms(n)}  {f}" for f, n in ranked_own]
    lines += ["", "incl%  function (project code)"]
    lines += [f"{100 * n / total:5.1f}{ms(n)}  {f}" for f, n in ranked_incl]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
