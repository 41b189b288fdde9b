"""End to end on the second generated portal style (portal_audit.sample.second: Hanweb JCMS
columns, a jpage proxy list, the 信息公开目录 in an iframe, TRS department pagers, chrome on
every page, 相关文件 cross-links reached before any list shows them): the real CLI must
report exactly the planted defects, nothing on the look-alikes, parse every in-scope page,
and find the same things at any concurrency."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

import pytest

from tests.conftest import read_findings, run_cli, served, unlabeled_evidence, write_config

CONCURRENCY = (16, 4, 1)


@pytest.fixture(scope="module")
def second_server():
    with served("second") as srv:
        yield srv


@pytest.fixture(scope="module")
def audits(tmp_path_factory, second_server):
    """One audit of the same unchanged portal per concurrency."""
    out = []
    for n in CONCURRENCY:
        tmp = tmp_path_factory.mktemp(f"second{n}")
        cfg = write_config(tmp / "c.yaml", [("青山县", second_server.base_url)], store=tmp / "a.db",
                           crawl={"concurrency": n})
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress")
        assert result.returncode in (0, 1), result.stderr
        db = sqlite3.connect(tmp / "a.db")
        db.row_factory = sqlite3.Row
        pages = {r["url"] for r in db.execute("SELECT url FROM pages")}
        stats = json.loads(db.execute("SELECT stats_json FROM run_sites").fetchone()["stats_json"])
        db.close()
        out.append({"findings": read_findings(tmp / "out"), "pages": pages, "stats": stats, "db": tmp / "a.db",
                    "stdout": result.stdout, "report": (tmp / "out" / "report.html").read_text(encoding="utf-8")})
    return out


def scores(findings, expected) -> dict[str, tuple[float, float]]:
    """Per check code: (recall, precision) of the findings' (check, url) against the planted ones."""
    want, got = defaultdict(set), defaultdict(set)
    for e in expected:
        want[e.check].add(e.url)
    for f in findings:
        got[f["check"]].add(f["url"])
    return {code: (len(want[code] & got[code]) / len(want[code]) if want[code] else 1.0,
                   len(want[code] & got[code]) / len(got[code]) if got[code] else 1.0)
            for code in sorted(set(want) | set(got))}


def test_exactly_the_planted_defects(audits, second_server):
    expected = sorted({(e.check, e.url) for e in second_server.expected})
    got = sorted({(f["check"], f["url"]) for f in audits[0]["findings"]})
    print("EXTRA", sorted(set(got) - set(expected)), "MISSING", sorted(set(expected) - set(got)))
    assert got == expected
    for code, (recall, precision) in scores(audits[0]["findings"], second_server.expected).items():
        assert recall >= 0.95 and precision >= 0.98, code
    assert len({e.check for e in second_server.expected}) >= 20   # every family is planted


def test_look_alikes_stay_quiet(audits, second_server):
    planted = {(e.check, e.url) for e in second_server.expected}
    for name, url in second_server.lookalikes.items():
        extra = {f["check"] for f in audits[0]["findings"] if f["url"] == url and (f["check"], url) not in planted}
        assert not extra, (name, extra)


def test_same_findings_and_pages_at_any_concurrency(audits):
    def key(a):
        return sorted((f["check"], f["url"], f["page"] or "", f["fingerprint"]) for f in a["findings"])

    assert key(audits[0]) == key(audits[1]) == key(audits[2])
    assert audits[0]["pages"] == audits[1]["pages"] == audits[2]["pages"]


def test_every_in_scope_page_is_parsed(audits, second_server):
    for a in audits:
        coverage = a["stats"]["coverage"]
        assert not a["stats"]["unparsed"] and not any(k.startswith("unparsed:") for k in coverage)
        assert coverage["parsed"] >= coverage["fetched"] > 40
    pages = audits[0]["pages"]
    # reached first through a news article's 相关文件, listed later by the jpage proxy list
    leak = next(e.url for e in second_server.expected if e.check == "privacy.id-number" and "/art_201_" in e.url)
    assert leak in pages
    assert "覆盖" in audits[0]["report"]


def test_evidence_says_why(audits, second_server):
    by = defaultdict(list)
    for f in audits[0]["findings"]:
        by[f["check"]].append(f)
    late = by["policy.late-interpretation"][0]
    assert "/art_201_" in late["url"] and "/art_202_" in late["page"]     # the policy's finding, the 解读 as page
    wrong = {f["url"]: f["evidence"] for f in by["link.wrong"]}
    assert all(e["similarity"] < e["threshold"] for e in wrong.values())
    waf_policy = second_server.lookalikes["interpretation-behind-waf"]
    assert waf_policy not in {f["url"] for f in by["policy.no-interpretation"]}
    empty = {f["url"] for f in by["column.empty"]}
    assert second_server.url("/col/col302/index.html") in empty     # 暂无信息 under the site's chrome


def test_trs_department_pages_are_read_as_real_ones_show_them(audits, second_server):
    """The site's name before the title in <title>, a 友情链接 <h2> before the article, a date
    line with one field and 字体【大 中 小】 buttons, a header-row metadata table whose 文号
    cell holds only a script: an article (not a list of three dated font buttons), titled by
    its own name, with the table's values and no script as 文号. The 工作动态 list shows no
    dates, its pages only a date line: the column is fresh (a look-alike), not undated."""
    db = sqlite3.connect(audits[0]["db"])
    db.row_factory = sqlite3.Row
    rows = {r["url"]: r for r in db.execute("SELECT url, is_list, heading, meta_json FROM pages")}
    db.close()
    regulation = rows[second_server.url("/xxgk/flfg/201803/t20180301_5001.shtml")]
    assert regulation["is_list"] == 0 and regulation["heading"] == "中华人民共和国政府信息公开条例"
    meta = json.loads(regulation["meta_json"])
    assert meta.pop("索引号").startswith("001008003/2018-")
    assert meta == {"发布机构": "青山县人民政府", "公开属性": "主动公开", "发布日期": "2018-03-01", "有效性": "有效",
                    "来源": "本网"}
    meeting = rows[second_server.url("/jyj/zwgk/202309/t20230901_7000.shtml")]
    assert meeting["is_list"] == 0 and meeting["heading"] == "青山县教育局召开2023年秋季学期第1次工作例会"
    assert "文号" not in json.loads(meeting["meta_json"])
    # a news page whose date line is its only metadata: the date it shows, its outlet apart
    news = rows[second_server.url("/zwdt/202406/t20240625_8000.shtml")]
    assert news["is_list"] == 0 and json.loads(news["meta_json"]) == {"发布日期": "2024-06-25", "来源": "本网"}
    # a list page's name: its <title> without the site name after it
    assert rows[second_server.url("/col/col202/index.html")]["heading"] == "政策解读"


def test_the_forms_of_real_templates(audits, second_server):
    """Menus, tab panels, a hidden 友情链接 list and opacity:0 share links are navigation;
    the marquee and document.write blocks are 暗链, each said why; dir/ and dir/index.shtml
    are one page; the UTF-16 page and the page with a stray </html> are read."""
    a = audits[0]
    dark = {f["url"].rsplit("/", 2)[-2]: f["evidence"] for f in a["findings"] if f["check"] == "link.hidden"}
    assert dark["m"]["hidden_by"].startswith("marquee") and dark["w"]["hidden_by"].startswith("document.write")
    home = {second_server.url("/"), second_server.url("/index.html")}
    assert not [f for f in a["findings"] if f["check"] == "link.hidden" and f["page"] in home]
    twins = {second_server.url("/xxgk/flfg/"), second_server.url("/xxgk/flfg/index.shtml")}
    assert len(twins & a["pages"]) == 1 and a["stats"]["coverage"]["same-page"] == 1
    read = {e.url for e in second_server.expected if e.check in ("privacy.mobile", "privacy.id-number")}
    assert read <= a["pages"]


def test_every_evidence_fact_has_a_chinese_label(audits):
    """The report shows each fact of a finding's evidence under a Chinese label (reports/evidence.py)."""
    assert audits[0]["findings"] and not unlabeled_evidence(audits[0]["findings"])
