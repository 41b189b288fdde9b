"""Property-style tests (hypothesis) for rules about a class of input: wrong links between
two documents of one issuer, chrome that never fills an empty column, and coverage that
does not depend on the order in which pages are discovered (real crawls on loopback)."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from checks.computed.titles import names_other_document, site_threshold
from portal_audit.sample.model import MAIN, Resource, SamplePortal, Site
from portal_audit.sample.server import SampleServer
from tests.conftest import run_cli, write_config
from tests.test_checks_dates import Snapshot

ISSUERS = ["青山县人民政府", "青山县人民政府办公室", "临沂市人民政府办公室", "某市财政局"]
PLACES = ["青山县", "临沂市", ""]
TOPICS = ["农村人居环境整治提升", "优化营商环境", "促进民营经济发展", "养老服务体系建设", "城镇老旧小区改造",
          "科技创新券管理", "全民健身", "公共租赁住房管理", "职业技能提升补贴", "地下水保护利用",
          "数字政府建设", "防汛抗旱应急", "义务教育优质均衡", "耕地保护激励"]
TYPES = ["实施方案", "实施意见", "管理办法", "若干措施", "行动计划", "暂行规定", "实施细则"]


def title(issuer: str, place: str, topic: str, kind: str) -> str:
    return f"{issuer}关于印发{place}{topic}{kind}的通知"


SITE_TITLES = [title(ISSUERS[0], "青山县", t, k) for t in TOPICS for k in TYPES[:3]]
BAR = site_threshold(SITE_TITLES)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ISSUERS), st.sampled_from(PLACES), st.sampled_from(TOPICS), st.sampled_from(TYPES),
       st.sampled_from(TOPICS), st.sampled_from(TYPES), st.sampled_from(["title", "quoted", "bare"]))
def test_two_different_documents_of_one_issuer_are_a_wrong_link(issuer, place, t1, k1, t2, k2, form):
    if (t1, k1) == (t2, k2):
        return
    anchor = {"title": title(issuer, place, t1, k1), "quoted": f"关于印发《{place}{t1}{k1}》的通知",
              "bare": f"{place}{t1}{k1}"}[form]
    assert names_other_document(anchor, title(issuer, place, t2, k2) + "_青山县人民政府", BAR)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ISSUERS), st.sampled_from(PLACES), st.sampled_from(TOPICS), st.sampled_from(TYPES),
       st.integers(min_value=10, max_value=40), st.sampled_from(["quoted", "truncated", "abbreviated"]))
def test_the_same_document_under_a_short_anchor_is_not(issuer, place, topic, kind, cut, form):
    full = title(issuer, place, topic, kind)
    anchor = {"quoted": f"《{place}{topic}{kind}》", "truncated": full[:min(cut, len(full) - 2)] + "...",
              "abbreviated": f"《{topic[-4:]}{kind[-2:]}》"}[form]
    assert not names_other_document(anchor, full + "_青山县人民政府", BAR)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["/map/sitemap.html", "/lxwm/contact.html", "/gybw/about.html", "/art/2020/1/1/a.html",
                                 "/zwfw/index.html", "/xxgk/zcwj/", "/search/index.html", "/wza/wza.html"]),
                min_size=1, max_size=8, unique=True),
       st.integers(min_value=5, max_value=12), st.booleans())
def test_chrome_never_makes_a_column_non_empty(chrome, lists, says_empty):
    with tempfile.TemporaryDirectory() as tmp:
        snap = Snapshot(Path(tmp) / "a.db")
        empty = snap.page("/xxgk/kong/", title="空栏目_某市人民政府", text="暂无信息" if says_empty else "")
        pages = [empty]
        for i in range(lists):
            url = snap.page(f"/xxgk/c{i}/", title=f"栏目{i}_某市人民政府", is_list=True)
            for j in range(3):
                snap.link(url, f"/xxgk/c{i}/t_{j}.html", anchor=f"信息{i}{j}", when=f"2024-06-{10 + j}")
            pages.append(url)
        for url in pages:
            for href in chrome:
                snap.link(url, href, anchor="模板链接")
        found = {f.url for f in snap.audit("column.empty")}
        snap.store.close()
    assert found == {empty}


# -- the order of discovery --------------------------------------------------------------

def _portal(listed: list[int], cross: list[tuple[int, int]], news: list[int], order: int) -> SamplePortal:
    """A tiny Hanweb-style site: /art/ articles, some listed by the 政策文件 column (in scope),
    the others only cross-linked; the home page's news articles link articles before the
    column does. ``order`` rotates every link list (the order of discovery)."""
    site = Site(MAIN, "序")

    def rot(items: list) -> list:
        return items[order % len(items):] + items[:order % len(items)] if items else items

    def art(i: int) -> str:
        return f"/art/2024/6/{i + 1}/art_201_{i}.html"

    def html(title: str, links: list[tuple[str, str]], dated: bool = False) -> Resource:
        items = "".join(f'<li><a href="{h}">{a}</a>{"<span>2024-06-20</span>" if dated else ""}</li>'
                        for h, a in rot(links))
        return Resource(body=f'<html><head><meta charset="utf-8"><title>{title}</title></head>'
                             f'<body><ul>{items}</ul><p>{title}的正文内容。</p></body></html>')

    for i in range(12):
        links = [(art(b), f"相关文件{b}") for a, b in cross if a == i]
        site.add(art(i), html(f"文件{i}", links))
    site.add("/", html("首页", [("/col/col100/index.html", "政府信息公开")]
                       + [(f"/art/2024/6/28/art_10_{n}.html", f"要闻{n}") for n in news], dated=True))
    for n in news:
        site.add(f"/art/2024/6/28/art_10_{n}.html", html(f"要闻{n}", [(art(n), f"相关文件{n}"), (art((n + 5) % 12), "相关")]))
    site.add("/col/col100/index.html", html("政府信息公开", [("/col/col201/index.html", "政策文件")]))
    site.add("/col/col201/index.html", html("政策文件", [(art(i), f"文件{i}") for i in listed], dated=True))
    return SamplePortal(kind="order", sites={MAIN: site}, expected_templates=[], pages=len(site.resources))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])   # each example is a crawl: no shrinking
@given(st.lists(st.integers(0, 11), min_size=3, max_size=8, unique=True),
       st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=12),
       st.lists(st.integers(0, 11), min_size=1, max_size=3, unique=True),
       st.integers(0, 7), st.sampled_from([1, 16]))
def test_any_order_of_discovery_parses_the_same_pages(listed, cross, news, order, concurrency):
    portal = _portal(listed, cross, news, order)
    with SampleServer(portal, hosts=("127.0.0.1",)) as srv, tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(Path(tmp) / "c.yaml", [("序", srv.base_url)], store=Path(tmp) / "a.db",
                           crawl={"concurrency": concurrency})
        result = run_cli("run", "-c", str(cfg), "-o", str(Path(tmp) / "out"), "--no-progress", "--only", "column")
        assert result.returncode in (0, 1), result.stderr
        db = sqlite3.connect(Path(tmp) / "a.db")
        parsed = {u.replace(srv.base_url.rstrip("/"), "") for (u,) in db.execute("SELECT url FROM pages")}
        stats = json.loads(db.execute("SELECT stats_json FROM run_sites").fetchone()[0])
        db.close()
    articles = {p for p in parsed if "/art_201_" in p}
    # every listed article, whoever linked it first; never one only cross-linked from articles
    assert articles == {f"/art/2024/6/{i + 1}/art_201_{i}.html" for i in set(listed)}
    assert not stats["unparsed"]
