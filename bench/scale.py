"""Scale benchmarks (issue 14): a measurement, never a timed test.

    python bench/scale.py race --pages 2000       # portal-audit vs bare Scrapy vs linkinator vs LinkChecker
    python bench/scale.py cores --pages 20000 --repeat 3   # 4 sites of N/4: bare Scrapy, processes 1 and 2
    python bench/scale.py incremental --pages 2000  # full, unchanged (and its bare revalidation), 5% changed
    python bench/scale.py province --sites 1000   # small portals named by dnsmasq, 2 req/s enforced
    python bench/scale.py memory --sizes 20000,100000  # peak RSS of a full audit per portal size

Every side runs the real CLI (or tool) in a subprocess against the generated bench portal
(``build_portal("bench", pages=N)``) served from separate processes on 127.0.0.1 (see
``bench/run.py``); wall time and peak RSS (each process, and process + children) are measured
the same way, with the load average (1 min) before and after; requests, bytes and 304s come
from the store's ``requests`` table. The machine may be shared: ``--repeat K`` (cores)
interleaves the sides K times and reports each figure's median. Linkinator and
LinkChecker are installed by ``make bench-tools`` into ``bench/.tools/`` (npm and a venv of
their own). Results: ``bench/results/scale-<what>.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import Store  # noqa: E402
from bench.run import (AUDIT_DATE, AUDIT_MAX_DEPTH, CLI, CRAWL, PYTHON, RESULTS, ROOT, PortalServer,  # noqa: E402
                       hot_spots, measured)

PROFILE: set[str] = set()   # --profile: labels of the audit runs recorded by py-spy

TOOLS = ROOT / "bench" / ".tools"


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


def write_cfg(work: Path, sites: list[tuple[str, str]], **crawl) -> Path:
    cfg = {"audit_date": AUDIT_DATE, "store": {"path": str(work / "audit.db")},
           "crawl": {**CRAWL, "respect_robots": False, "max_pages": 100_000, "max_depth": AUDIT_MAX_DEPTH,
                     **crawl},
           "ipv6": {"allow_nonglobal": True},
           "sites": [{"name": name, "url": url} for name, url in sites]}
    path = work / "bench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _peak_at(samples: list[tuple[float, float, float]]) -> float | None:
    """Seconds from the first sample to the highest RSS (crawl or checks: compare with the log)."""
    if not samples:
        return None
    return max(samples, key=lambda x: x[2])[0] - samples[0][0]


def _main_peak(samples: list[tuple[float, float]]) -> dict:
    """The main process's peak RSS, when it was reached (seconds from the start and unix time)."""
    if not samples:
        return {}
    t, rss = max(samples, key=lambda x: x[1])
    return {"main_peak_rss_mb": round(rss, 1), "main_peak_at_s": round(t - samples[0][0], 1),
            "main_peak_at_unix": round(t, 1)}


def audit(work: Path, cfg: Path, label: str, timeout: float = 3600) -> dict:
    load_before = load_avg()
    profile = RESULTS / f"profile-scale-{label}.txt" if label in PROFILE else None
    if profile is not None:
        RESULTS.mkdir(parents=True, exist_ok=True)
    m = measured([CLI, "run", "-c", str(cfg), "-o", str(work / f"out-{label}"), "--no-progress"], cwd=work,
                 log=work / f"{label}.log", timeout=timeout, profile=profile)
    # the main process's RSS through the run, one line every second: time from the start, MB
    with open(work / f"{label}-main-rss.tsv", "w", encoding="utf-8") as f:
        t0 = m["main_samples"][0][0] if m["main_samples"] else 0.0
        for t, rss in m["main_samples"][::5]:
            f.write(f"{t - t0:.1f}\t{t:.1f}\t{rss:.1f}\n")
    if m["returncode"] != 0:
        print((work / f"{label}.log").read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
    store = Store(work / "audit.db")
    try:
        run = store.runs("audit")[-1]
        figures = store.run_figures(run["id"])
    finally:
        store.close()
    res = {"label": label, "returncode": m["returncode"], "timed_out": m["timed_out"], "wall_s": m["wall_s"],
           "cpu_s": m["cpu_s"], "peak_rss_mb": m["peak_rss_mb"],
           # main, crawl processes, the attachment parsers' forkserver and its workers (forked:
           # peak_rss_mb, the sum over processes, counts their shared pages more than once)
           "peak_rss_by_role_mb": m["peak_rss_by_role_mb"],
           "load_avg": [load_before, load_avg()],
           "peak_rss_at_s": _peak_at(m["samples"]),
           # the main process's own peak and when (unix time: compare with the log's stage lines)
           **_main_peak(m["main_samples"]),
           **{k: figures[k] for k in ("pages", "carried", "carried_by_lastmod", "requests", "bytes", "not_modified",
                                      "refused_429", "cached_checks", "findings", "fingerprints", "sites_audited")},
           "status": run["status"]}
    res["requests_per_page"] = res["requests"] / res["pages"] if res["pages"] else None
    res["pages_per_s"] = res["pages"] / res["wall_s"]
    if profile is not None:
        print(f"[scale] {label} under py-spy (figures not comparable), {profile}:\n"
              f"{hot_spots(profile, pages=res['pages'])}", file=sys.stderr, flush=True)
    print(f"[scale] {label}: {res['pages']} pages, {res['requests']} requests, {res['wall_s']:.1f} s, "
          f"peak RSS {res['peak_rss_mb']:.0f} MB, load {res['load_avg']}", file=sys.stderr, flush=True)
    return res


def race(pages: int, work: Path, only: tuple[str, ...] = ()) -> dict:
    out = {}
    if not only or "portal-audit" in only:
        with PortalServer(pages) as srv:
            res = audit(work, write_cfg(work, [("基准门户", srv.base_url)]), "portal-audit")
            out["portal-audit"] = {k: v for k, v in res.items() if k != "fingerprints"}
            out["portal-audit"]["server_requests"] = srv.stats()["requests"]
    tools = {
        "bare scrapy": [PYTHON, str(ROOT / "bench" / "bare_spider.py"), "{url}", "--concurrency", "16",
                        "--per-host", "4", "--timeout", "10", "--retries", "1", "--out", str(work / "bare.json")],
        "linkinator": [str(TOOLS / "node_modules" / ".bin" / "linkinator"), "{url}", "--recurse", "--concurrency",
                       "16", "--timeout", "10000", "--format", "json"],
        "linkchecker": [str(TOOLS / "venv" / "bin" / "linkchecker"), "--no-status", "--threads", "16",
                        "--timeout", "10", "--no-robots", "-o", "none", "{url}"],
    }
    for name, cmd in tools.items():
        if only and name not in only:
            continue
        if not Path(cmd[0]).exists() and name != "bare scrapy":
            out[name] = {"skipped": f"{cmd[0]} missing: make bench-tools"}
            continue
        load_before = load_avg()
        with PortalServer(pages) as srv:
            m = measured([c.replace("{url}", srv.base_url) for c in cmd], cwd=work, log=work / f"{name}.log",
                         timeout=600)
            st = srv.stats()
        out[name] = {"wall_s": m["wall_s"], "peak_rss_mb": m["peak_rss_mb"], "server_requests": st["requests"],
                     "crawl_s": (st["last"] or 0) - (st["first"] or 0), "returncode": m["returncode"],
                     "load_avg": [load_before, load_avg()]}
        print(f"[scale] {name}: {st['requests']} requests in {m['wall_s']:.1f} s", file=sys.stderr, flush=True)
    return out


def bare(work: Path, urls: list[str], label: str, extra: list[str] = ()) -> dict:
    """The bare Scrapy spider over ``urls`` in one process, end to end like :func:`audit`
    (``extra``: more of its options, e.g. ``--revalidate FILE``)."""
    load_before = load_avg()
    m = measured([PYTHON, str(ROOT / "bench" / "bare_spider.py"), *urls, "--concurrency", str(CRAWL["concurrency"]),
                  "--per-host", str(CRAWL["per_host_concurrency"]), "--timeout", "10", "--retries", "1",
                  *extra, "--out", str(work / "bare.json")], cwd=work, log=work / f"{label}.log", timeout=3600)
    got = json.loads((work / "bare.json").read_text(encoding="utf-8"))
    res = {"label": label, "returncode": m["returncode"], "wall_s": m["wall_s"], "cpu_s": m["cpu_s"],
           "peak_rss_mb": m["peak_rss_mb"], "pages": got["pages"], "requests": got["requests"],
           "statuses": got["statuses"],
           "pages_per_s": got["pages"] / m["wall_s"], "load_avg": [load_before, load_avg()]}
    print(f"[scale] {label}: {res['pages']} pages, {res['requests']} requests, {res['wall_s']:.1f} s, "
          f"load {res['load_avg']}", file=sys.stderr, flush=True)
    return res


def cores(pages: int, work: Path, sites: int = 4, repeat: int = 1) -> dict:
    """``sites`` portals of pages/sites pages (one server process each, fresh for every side): the
    bare spider (one process, every site), portal-audit with ``crawl.processes`` 1 and 2; the sides
    interleaved ``repeat`` times. ``ratio``: end-to-end pages/s of the audit ÷ the bare spider's,
    per round (same conditions), then the median."""
    sides = ("bare scrapy", "processes=1", "processes=2")
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for r in range(repeat):
        for side in sides:
            servers = [PortalServer(pages // sites) for _ in range(sites)]
            try:
                urls = [s.base_url for s in servers]
                if side == "bare scrapy":
                    runs[side].append(bare(work, urls, f"bare-{r}"))
                    continue
                cfg = write_cfg(work, [(f"门户{i + 1}", u) for i, u in enumerate(urls)],
                                processes=int(side.split("=")[1]))
                (work / "audit.db").unlink(missing_ok=True)
                res = audit(work, cfg, f"{side}-{r}")
                res.pop("fingerprints")
                runs[side].append(res)
            finally:
                for s in servers:
                    s.close()
    out: dict = {"repeat": repeat, "runs": runs, "median": {}}
    for side in sides:
        out["median"][side] = {k: statistics.median(run[k] for run in runs[side])
                               for k in ("wall_s", "pages_per_s", "peak_rss_mb", "pages", "requests")}
    for side in sides[1:]:
        ratios = [a["pages_per_s"] / b["pages_per_s"] for a, b in zip(runs[side], runs["bare scrapy"])]
        out["median"][side]["ratio_to_bare"] = statistics.median(ratios)
        out["median"][side]["ratios"] = ratios
    speedup = [a["wall_s"] / b["wall_s"] for a, b in zip(runs["processes=1"], runs["processes=2"])]
    out["median"]["speedup_2_over_1"] = statistics.median(speedup)
    out["median"]["speedups"] = speedup
    return out


def memory(sizes: list[int], work: Path) -> dict:
    """Peak RSS of a full audit (one site, one process) of the bench portal at each size
    (target: ≤ 300 MB at 100,000 pages); ``peak_rss_at_s`` says when it was reached."""
    out = {}
    for n in sizes:
        (work / "audit.db").unlink(missing_ok=True)
        with PortalServer(n) as srv:
            cfg = write_cfg(work, [("基准门户", srv.base_url)], max_pages=2 * n + 100, processes=1)
            res = audit(work, cfg, f"memory-{n}", timeout=4 * 3600)
        res.pop("fingerprints")
        out[str(n)] = res
    return out


def incremental(pages: int, work: Path) -> dict:
    out = {}
    with PortalServer(pages) as srv:
        cfg = write_cfg(work, [("基准门户", srv.base_url)])
        first = audit(work, cfg, "first")
        second = audit(work, cfg, "unchanged")
        store = Store(work / "audit.db")
        facts = list(store.page_facts(1, "基准门户"))
        articles = sorted(r["url"] for r in facts if not r["is_list"] and r["depth"] > 1)
        validators = [[f["url"], f["etag"], f["last_modified"]] for f in (store.fetch(1, r["url"]) for r in facts)
                      if f is not None and (f["etag"] or f["last_modified"])]
        store.close()
        # the floor of the unchanged run's revalidation: a bare Scrapy spider sending the same
        # conditional GETs (one request cycle per page, nothing stored, no check)
        (work / "validators.json").write_text(json.dumps(validators), encoding="utf-8")
        floor = bare(work, [], "bare revalidation", extra=["--revalidate", str(work / "validators.json")])
        prefix = srv.base_url.rstrip("/")
        changed = [u[len(prefix):] for u in articles[::20]]
        srv.edit(changed[:1], '<p><a href="/planted-gone.html">新增的失效链接</a></p>')
        srv.edit(changed[1:], "<p>本页内容已更新。</p>")
        third = audit(work, cfg, "5% changed")
    out = {"first": first, "unchanged": second, "changed_5pct": third, "pages_changed": len(changed),
           "bare_revalidation": floor,
           "same_fingerprints_unchanged": first["fingerprints"] == second["fingerprints"],
           "new_in_changed": sorted(set(third["fingerprints"]) - set(second["fingerprints"])),
           "gone_in_changed": sorted(set(second["fingerprints"]) - set(third["fingerprints"]))}
    for r in (first, second, third):
        r.pop("fingerprints")
    return out


def _province_server(n: int, seed: int, conn) -> None:
    """Child process: n small bench portals (50–200 pages), each on its own port, 2 req/s per
    Host name enforced with 429 and 50–300 ms latency per answer. The listeners poll for a stop
    once a second (a thousand of them at the default 0.1 s cost a fifth of a core idle), and are
    not stopped one by one at the end: the process exits with them."""
    sys.path.insert(0, str(ROOT))
    from portal_audit.sample import build_portal, serve

    rng = random.Random(seed)
    servers = []
    for i in range(n):
        srv = serve(build_portal(kind="bench", pages=rng.randint(50, 200)), hosts=("127.0.0.1",), port=0,
                    aliases={f"site{i:04d}.province.test": "main"}, rate_limit=2, latency=(0.05, 0.3),
                    poll_interval=1.0)
        servers.append(srv)
    conn.send([s.port for s in servers])
    conn.recv()
    conn.send(sum(s.refused for s in servers))


def province(sites: int, work: Path) -> dict:
    import multiprocessing as mp

    from tests.dnsmasq import Dnsmasq

    dns = Dnsmasq(["--address=/province.test/127.0.0.1"], work / "dnsmasq.log")
    ctx = mp.get_context("spawn")
    conn, child = ctx.Pipe()
    proc = ctx.Process(target=_province_server, args=(sites, 14, child), daemon=True)
    proc.start()
    try:
        ports = conn.recv()
        cfg = write_cfg(work, [(f"县级门户{i:04d}", f"http://site{i:04d}.province.test:{p}/")
                               for i, p in enumerate(ports)], per_host_rate=2, respect_robots=True,
                        concurrency=64, timeout=10)
        data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
        data["dns"] = {"nameservers": ["127.0.0.1"], "port": dns.port, "timeout": 1, "retries": 1}
        cfg.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        res = audit(work, cfg, "province", timeout=8 * 3600)
        conn.send("refused?")
        res["refused_by_servers"] = conn.recv()
    finally:
        proc.join(30)
        dns.stop()
    res.pop("fingerprints")
    res["sites"] = sites
    res["all_audited"] = res["sites_audited"] == sites
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("race", "cores", "incremental", "province", "memory"))
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--sites", type=int, default=1000, help="province: how many small portals")
    ap.add_argument("--sizes", default="20000,100000", help="memory: portal sizes in pages")
    ap.add_argument("--repeat", type=int, default=1, help="cores: interleaved rounds (medians reported)")
    ap.add_argument("--only", default="", help="race: the sides to run, e.g. linkinator,linkchecker")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (store, logs, reports)")
    ap.add_argument("--profile", default="", help="labels of audit runs to record with py-spy "
                    "(pip install py-spy into the venv), e.g. unchanged or processes=2-0")
    args = ap.parse_args(argv)
    PROFILE.update(filter(None, args.profile.split(",")))
    work = Path(tempfile.mkdtemp(prefix=f"scale-{args.what}-"))
    try:
        if args.what == "province":
            result = province(args.sites, work)
        elif args.what == "race":
            result = race(args.pages, work, tuple(filter(None, args.only.split(","))))
        elif args.what == "memory":
            result = memory([int(n) for n in args.sizes.split(",")], work)
        elif args.what == "cores":
            result = cores(args.pages, work, repeat=args.repeat)
        else:
            result = incremental(args.pages, work)
    finally:
        if args.keep:
            print(f"[scale] kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    result = {"what": args.what, "pages": args.pages, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "load_avg_end": os.getloadavg(), "result": result}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"scale-{args.what}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
