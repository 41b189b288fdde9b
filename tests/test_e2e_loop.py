"""The rectification loop end to end, with the real CLI in subprocesses on loopback.

A small portal (two sites, tests/loop_portal.py) is served on loopback; its
pages change between runs: audit, fix some defects, add new ones, bring one back,
take a site down, audit again, and assert every status; fill the ledger in as a unit
would (sorted rows, a deleted column, 误报/已整改/暂缓/未整改, an added row), import it
twice, re-check, and assert the statuses and the 复核报告; run with ``--only``,
interrupt a run (SIGINT while it crawls slow pages), check the lock, diff, runs and
prune.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import LOOPBACK_NETWORKS
from tests.loop_portal import article

CLI = [sys.executable, "-m", "portal_audit.cli"]
AUDIT_DATE = "2024-06-30"


@pytest.fixture(scope="module")
def work(tmp_path_factory, portal):
    root = tmp_path_factory.mktemp("loop")
    a, b = portal.base["a"], portal.base["b"]
    config = f"""
audit_date: {AUDIT_DATE}
store: {{path: {root / 'data' / 'audit.db'}}}
crawl: {{concurrency: 8, per_host_concurrency: 4, timeout: 4, retries: 0, respect_robots: false, {LOOPBACK_NETWORKS}, per_host_rate: 0}}
checks: {{select: [link, attachment, site.unreachable]}}   # the families this portal plants
sites:
  - {{name: 甲市人民政府, url: '{a}/', disclosure: '{a}/xxgk/'}}
  - {{name: 乙县人民政府, url: '{b}/', disclosure: '{b}/xxgk/'}}
"""
    (root / "config.yaml").write_text(config, encoding="utf-8")
    return root


def cli(root: Path, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=root, capture_output=True, text=True, timeout=timeout)


def audit(root: Path, name: str, *extra) -> tuple[subprocess.CompletedProcess, list[dict]]:
    out = root / name
    result = cli(root, "run", "-c", "config.yaml", "-o", str(out), "--no-progress", *extra)
    lines = (out / "findings.jsonl").read_text(encoding="utf-8").splitlines() if (out / "findings.jsonl").exists() else []
    return result, [json.loads(line) for line in lines]


def db(root: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(root / "data" / "audit.db")
    conn.row_factory = sqlite3.Row
    return conn


def statuses(root: Path, run_id: int) -> dict[tuple[str, str, str], str]:
    """(site, check, url) → status of every finding the run has an opinion on."""
    with db(root) as conn:
        rows = conn.execute("SELECT h.site, h.check_code, h.url, s.status FROM finding_status s"
                            " JOIN finding_history h ON h.fingerprint = s.fingerprint WHERE s.run_id = ?",
                            (run_id,)).fetchall()
    return {(r["site"], r["check_code"], r["url"]): r["status"] for r in rows}


def history(root: Path) -> dict[tuple[str, str, str], sqlite3.Row]:
    with db(root) as conn:
        return {(r["site"], r["check_code"], r["url"]): r for r in conn.execute("SELECT * FROM finding_history")}


def last_run(root: Path) -> int:
    with db(root) as conn:
        return conn.execute("SELECT MAX(id) FROM runs").fetchone()[0]


A, B = "甲市人民政府", "乙县人民政府"


def keys(portal):
    a, b, x = portal.base["a"], portal.base["b"], portal.base["x"]
    return {
        "D1": (A, "link.broken", f"{a}/files/gone1.html"),
        "D2": (A, "link.broken", f"{a}/files/gone2.html"),
        "D3": (A, "link.wrong", f"{a}/xxgk/doc3.html"),
        "D4": (A, "link.hidden", f"{x}/casino/"),
        "D5": (A, "link.broken", f"{a}/files/new1.html"),
        "D6": (A, "link.broken", f"{a}/files/gone4.html"),
        "D7": (A, "link.broken", f"{a}/files/gone5.html"),
        "A5": (A, "link.broken", f"{a}/xxgk/a5.html"),
        "DB1": (B, "link.broken", f"{b}/files/b-gone.html"),
        "BU": (B, "site.unreachable", f"{b}/"),
    }


def test_the_loop(portal, work):
    root, k = work, keys(portal)
    timings = {}

    # -- run 1: everything is new ---------------------------------------------------------
    portal.set(1)
    started = time.perf_counter()
    r1, found1 = audit(root, "out1", "--fail-on", "new-error")
    timings["full run"] = time.perf_counter() - started
    assert r1.returncode == 1, r1.stderr          # new errors appeared
    run1 = last_run(root)
    s1 = statuses(root, run1)
    for name in ("D1", "D2", "D3", "D4", "D6", "D7", "DB1"):
        assert s1[k[name]] == "new", (name, s1)
    assert set(s1.values()) == {"new"}, s1
    assert all(f["status"] == "new" and f["first_seen"] and f["last_seen"] for f in found1)
    assert "问题状态（首次检查）：新增 7" in r1.stderr

    # -- run 2: fixes, a new defect, an unreachable page, a site down ----------------------
    portal.set(2)
    r2, found2 = audit(root, "out2", "--fail-on", "new-error")
    assert r2.returncode == 1, r2.stderr          # D5 and the 500 page are new errors
    run2 = last_run(root)
    s2 = statuses(root, run2)
    assert s2[k["D1"]] == "fixed"                 # link removed from a page that was parsed
    assert s2[k["D4"]] == "fixed"                 # hidden link gone from the home page
    assert s2[k["D6"]] == "fixed"                 # target answers again
    assert s2[k["D2"]] == "open"
    assert s2[k["D3"]] == "open"                  # anchor text and target title changed: same finding
    assert s2[k["D5"]] == "new"
    assert s2[k["A5"]] == "new"                   # the page itself now fails …
    assert s2[k["D7"]] == "unverified"            # … so its broken link is not evidence of a fix
    assert s2[k["BU"]] == "new"
    assert s2[k["DB1"]] == "unverified"           # site down: not fixed
    h = history(root)
    assert h[k["D7"]]["status"] == "new" and h[k["DB1"]]["status"] == "new"
    by_url = {f["url"]: f for f in found2}
    assert k["D1"][2] not in by_url                # a fixed finding is not a current finding
    assert by_url[k["D2"][2]]["status"] == "open"
    assert by_url[k["D2"][2]]["first_seen"] == h[k["D2"]]["first_seen"] != h[k["D2"]]["last_seen"]
    html2 = (root / "out2" / "report.html").read_text(encoding="utf-8")
    assert "整改情况与历史" in html2 and "<svg" in html2 and "本次未核实" in html2

    # -- run 3: a defect comes back, the site is up again ----------------------------------
    portal.set(3)
    r3, found3 = audit(root, "out3", "--fail-on", "new-error")
    assert r3.returncode == 1                      # D6 came back: a reopened error
    run3 = last_run(root)
    s3 = statuses(root, run3)
    assert s3[k["D6"]] == "reopened"
    assert k["D1"] not in s3 and k["D4"] not in s3   # fixed earlier, still fixed: nothing to say
    assert s3[k["D7"]] == "open" and s3[k["DB1"]] == "open"
    assert s3[k["BU"]] == "fixed" and s3[k["A5"]] == "fixed"
    assert s3[k["D2"]] == s3[k["D3"]] == s3[k["D5"]] == "open"
    assert history(root)[k["D6"]]["times_reopened"] == 1
    assert "复发 1" in r3.stderr

    # -- the ledger, filled in as a unit would ---------------------------------------------
    ledger = root / "out3" / "ledger.xlsx"
    wb = load_workbook(ledger)
    assert wb.sheetnames[0] == "汇总" and A in wb.sheetnames and B in wb.sheetnames
    ws = wb[A]
    head = [c.value for c in ws[1]]
    assert head[:16] == ["序号", "站点", "栏目", "问题类型", "检查项代码", "问题描述", "问题页面", "问题链接",
                         "首次发现", "最近发现", "状态", "整改责任单位", "整改期限", "整改情况", "反馈状态", "复核结果"]
    fp_col = head.index("指纹") + 1
    assert ws.column_dimensions[ws.cell(1, fp_col).column_letter].hidden
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    by_link = {r[head.index("问题链接")]: r for r in rows}
    assert by_link[k["D6"][2]][head.index("状态")] == "复发"
    assert by_link[k["A5"][2]][head.index("状态")] == "已整改"       # fixed by this run
    assert k["D1"][2] not in by_link                                   # fixed by an earlier one
    # sort the rows (reverse by link), delete 问题描述 and 栏目, answer, add a row
    data = sorted(rows, key=lambda r: str(r[head.index("问题链接")]), reverse=True)
    ws.delete_rows(2, ws.max_row)
    for r in data:
        ws.append(r)
    col = {name: i + 1 for i, name in enumerate(head)}

    def answer(url, status, note=None, unit=None, deadline=None):
        for row in ws.iter_rows(min_row=2):
            if row[col["问题链接"] - 1].value == url:
                row[col["反馈状态"] - 1].value = status
                if note:
                    row[col["整改情况"] - 1].value = note
                if unit:
                    row[col["整改责任单位"] - 1].value = unit
                if deadline:
                    row[col["整改期限"] - 1].value = deadline
                return
        raise AssertionError(url)

    from datetime import datetime
    answer(k["D2"][2], "误报", "该链接指向已归档的历史文件，按规定保留。", "办公室")
    answer(k["D5"][2], "已整改", "已补充上传附件说明。", "信息中心")
    answer(k["D7"][2], "已整改", "已修改。", "应急局")
    answer(k["D6"][2], "已整改", "已恢复。", "医保局")
    answer(k["D3"][2], "暂缓", "需与发文单位核对。", "政策法规科", datetime(2024, 9, 30))
    ws.append([None, A, None, None, None, "单位自行补充的问题", None, None, None, None, None, "办公室", None,
               "新发现的问题", "已整改"])
    ws.delete_cols(col["问题描述"])
    ws.delete_cols(col["栏目"])
    wsb = wb[B]
    hb = [c.value for c in wsb[1]]
    for row in wsb.iter_rows(min_row=2):
        if row[hb.index("问题链接")].value == k["DB1"][2]:
            row[hb.index("反馈状态")].value = "未整改"
    wsb.append([None] * (hb.index("指纹")) + ["0123456789abcdef"])
    wsb.cell(wsb.max_row, hb.index("反馈状态") + 1, "误报")
    filled = root / "ledger-filled.xlsx"
    wb.save(filled)

    imp = cli(root, "feedback", "import", str(filled), "-c", "config.yaml", "--by", "督查科张三")
    assert imp.returncode == 0, imp.stderr
    assert "误报（已豁免）：1 条" in imp.stdout and "已整改（待复核）：3 条" in imp.stdout
    assert "暂缓（已更新整改期限）：1 条" in imp.stdout and "未整改：1 条" in imp.stdout
    assert "以下 2 行无法导入" in imp.stderr and "缺少指纹" in imp.stderr and "0123456789abcdef" in imp.stderr
    h = history(root)
    assert h[k["D2"]]["status"] == "waived" and h[k["D2"]]["waived_by"] == "督查科张三"
    assert h[k["D2"]]["waived_reason"].startswith("该链接指向已归档") and h[k["D2"]]["waived_at"]
    assert h[k["D3"]]["feedback_deadline"] == "2024-09-30" and h[k["D3"]]["status"] == "open"
    assert [h[k[n]]["awaiting_recheck"] for n in ("D5", "D7", "D6", "D3", "DB1")] == [1, 1, 1, 0, 0]
    before = {key: tuple(row) for key, row in h.items()}
    again = cli(root, "feedback", "import", str(filled), "-c", "config.yaml", "--by", "督查科张三")
    assert again.returncode == 0
    assert "无变化：6 条" in again.stdout and "以下 2 行无法导入" in again.stderr
    assert {key: tuple(row) for key, row in history(root).items()} == before   # nothing changed

    # -- re-check what the unit says is fixed (only D5 really is) ----------------------------
    portal.set(4)
    started = time.perf_counter()
    rc = cli(root, "recheck", "-c", "config.yaml", "-o", str(root / "recheck1"))
    timings["recheck"] = time.perf_counter() - started
    assert rc.returncode == 0, rc.stderr
    assert "已整改 1 · 未整改 1 · 复发 1" in rc.stdout
    hits = [hit for hit in portal.hits if not hit.startswith("a/portal-audit-probe")]
    assert "a/xxgk/a1.html" not in hits and "a/xxgk/" not in hits and not any(x.startswith("b") for x in hits)
    h = history(root)
    assert h[k["D5"]]["status"] == "fixed" and h[k["D5"]]["recheck_result"] == "已整改"
    assert h[k["D7"]]["status"] == "open" and h[k["D7"]]["recheck_result"] == "未整改"
    assert h[k["D6"]]["status"] == "open" and h[k["D6"]]["recheck_result"] == "复发"
    assert not any(h[k[n]]["awaiting_recheck"] for n in ("D5", "D7", "D6"))
    report = (root / "recheck1" / "recheck.html").read_text(encoding="utf-8")
    assert "复核报告" in report and "已补充上传附件说明" in report and "目标地址现可正常访问" in report
    xr = load_workbook(root / "recheck1" / "recheck.xlsx")["复核结果"]
    xh = [c.value for c in xr[1]]
    results = {r[xh.index("问题链接")]: r[xh.index("复核结果")] for r in xr.iter_rows(min_row=2, values_only=True)}
    assert results == {k["D5"][2]: "已整改", k["D7"][2]: "未整改", k["D6"][2]: "复发"}
    with db(root) as conn:
        assert conn.execute("SELECT kind FROM runs WHERE id = ?", (last_run(root),)).fetchone()[0] == "recheck"

    # a finding of a check that needs site-wide facts cannot be re-checked from a few pages
    with db(root) as conn:
        conn.execute("INSERT INTO finding_history (fingerprint, site, check_code, severity, url, page, message,"
                     " status, first_seen_run, first_seen, last_seen_run, last_seen, awaiting_recheck)"
                     " VALUES ('feedfacefeedface', ?, 'policy.no-interpretation', 'warning', ?, NULL,"
                     " '政策文件未发布解读', 'open', ?, '2024-06-30T00:00:00+08:00', ?, '2024-06-30T00:00:00+08:00', 1)",
                     (A, f"{portal.base['a']}/xxgk/a2.html", run3, run3))
    rc2 = cli(root, "recheck", "-c", "config.yaml", "--site", A, "-o", str(root / "recheck2"))
    assert rc2.returncode == 0, rc2.stderr
    assert "无法复核（需完整检查）" in rc2.stdout
    assert history(root)[(A, "policy.no-interpretation", f"{portal.base['a']}/xxgk/a2.html")]["status"] == "open"
    with db(root) as conn:
        conn.execute("DELETE FROM finding_history WHERE fingerprint = 'feedfacefeedface'")

    # -- run 4 with --only: link.wrong fixed on the portal but not checked: not fixed ---------
    portal.set(5)
    r4, found4 = audit(root, "out4", "--only", "link.broken", "--fail-on", "new-error")
    assert r4.returncode == 0, r4.stderr           # nothing new and serious
    run4 = last_run(root)
    s4 = statuses(root, run4)
    assert s4[k["D3"]] == "unverified" and history(root)[k["D3"]]["status"] == "open"
    assert s4[k["D2"]] == "waived"
    by_url = {f["url"]: f for f in found4}
    assert by_url[k["D2"][2]]["status"] == "waived"                     # in the JSONL …
    html4 = (root / "out4" / "report.html").read_text(encoding="utf-8")
    assert "该链接指向已归档的历史文件" in html4                           # … in the 豁免 section …
    main_list = html4.split('id="findings"', 1)[1]
    assert k["D2"][2] not in main_list                                      # … not in the main list
    assert "gone2.html" not in (root / "out4" / "findings.csv").read_text(encoding="utf-8-sig")

    # -- an interrupted run never fixes anything; a second run meanwhile is refused ------------
    # a5 no longer links the broken target (D7 would be fixed); a4 and a5 answer at once (a5
    # takes a4's connection: 4 per host), a1–a3 take 11 s (within this run's timeout), so the
    # run is still crawling when the second run is refused and at the Ctrl-C
    portal.set(5, slow=11)
    portal.routes[("a", "/xxgk/a4.html")] = (*portal.routes[("a", "/xxgk/a4.html")][:2], 0)
    portal.routes[("a", "/xxgk/a5.html")] = (200, article("a5", ""), 0)
    config = (root / "config.yaml").read_text(encoding="utf-8")
    assert "timeout: 4," in config
    (root / "config-slow.yaml").write_text(config.replace("timeout: 4,", "timeout: 12,"), encoding="utf-8")
    proc = subprocess.Popen([*CLI, "run", "-c", "config-slow.yaml", "-o", str(root / "out5"), "--no-progress"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and "a/xxgk/a5.html" not in portal.hits:
        time.sleep(0.05)
    locked = cli(root, "run", "-c", "config.yaml", "-o", str(root / "out-locked"), "--no-progress")
    assert locked.returncode == 75, locked.stderr
    assert "另一个检查任务正在使用同一数据库" in locked.stderr
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    run5 = last_run(root)
    with db(root) as conn:
        assert conn.execute("SELECT status FROM runs WHERE id = ?", (run5,)).fetchone()[0] == "interrupted"
    s5 = statuses(root, run5)
    assert "fixed" not in s5.values(), s5
    assert s5[k["D7"]] == "unverified"
    with db(root) as conn:   # the run did parse a5 without the link: still no evidence
        assert conn.execute("SELECT COUNT(*) FROM pages WHERE run_id = ? AND url LIKE '%/xxgk/a5.html'",
                            (run5,)).fetchone()[0] == 1
    assert history(root)[k["D7"]]["status"] == "open"

    # -- runs, diff, prune ---------------------------------------------------------------------
    runs = cli(root, "runs", "-c", "config.yaml")
    assert runs.returncode == 0 and "复核" in runs.stdout and "已中断" in runs.stdout and "已整改" in runs.stdout
    d = cli(root, "diff", str(run1), str(run2), "-c", "config.yaml", "-o", str(root / "diff"))
    assert d.returncode == 0, d.stderr
    assert "新出现" in d.stdout and "已确认整改" in d.stdout and "未核实" in d.stdout
    diff = json.loads((root / "diff" / f"diff-{run1}-{run2}.json").read_text(encoding="utf-8"))
    appeared = {i["url"] for i in diff["items"] if i["change"] == "appeared"}
    gone = {i["url"]: i["status_in_b"] for i in diff["items"] if i["change"] == "disappeared"}
    assert k["D5"][2] in appeared and gone[k["D1"][2]] == "fixed" and gone[k["D7"][2]] == "unverified"
    assert (root / "diff" / f"diff-{run1}-{run2}.csv").exists()

    first_seen = history(root)[k["D2"]]["first_seen"]
    pr = cli(root, "prune", "--keep", "2", "-c", "config.yaml")
    assert pr.returncode == 0 and "已清理" in pr.stdout
    with db(root) as conn:
        left = [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id")]
        assert run1 not in left and run2 not in left and run4 in left and run5 in left
        assert conn.execute("SELECT COUNT(*) FROM findings WHERE run_id = ?", (run1,)).fetchone()[0] == 0
    assert history(root)[k["D2"]]["first_seen"] == first_seen

    # the nightly job (deploy/nightly.sh) after pruning: the history still knows every finding
    # (D7 fixed now, D2 still waived and first seen in a pruned run), and it prunes again
    portal.set(5)
    portal.routes[("a", "/xxgk/a5.html")] = (200, article("a5", ""), 0)
    env = {"PATH": "/usr/bin:/bin", "PORTAL_AUDIT_HOME": str(root), "KEEP_RUNS": "2", "OUT_ROOT": "nightly",
           "PORTAL_AUDIT_BIN": str(Path(sys.executable).with_name("portal-audit"))}
    nightly = subprocess.run([str(Path(__file__).parents[1] / "deploy" / "nightly.sh")], env=env,
                             capture_output=True, text=True, timeout=60)
    assert nightly.returncode == 0, nightly.stderr           # nothing new and serious
    run6 = last_run(root)
    s6 = statuses(root, run6)
    assert s6[k["D7"]] == "fixed" and s6[k["D3"]] == "fixed" and s6[k["D2"]] == "waived"
    latest = root / "nightly" / "latest"
    found6 = [json.loads(line) for line in (latest / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {f["url"]: f["first_seen"] for f in found6}[k["D2"][2]] == first_seen
    assert (latest / "ledger.xlsx").exists() and (latest / "report.html").exists()
    with db(root) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM runs WHERE kind = 'audit' ORDER BY id")] == [run5, run6]
    print(f"\nfull run {timings['full run']:.1f} s (CLI, 2 sites), recheck {timings['recheck']:.1f} s")
