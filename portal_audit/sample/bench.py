"""The large, clean-ish "bench" portal: TRS-style lists + articles, generated on demand.

Single-host: no links leave the main site (it is usually served with one host only).

Articles are not stored: the path encodes a global article number, and a
resolver renders the page (deterministically) when it is requested, so a
20,000-page portal costs a few megabytes of memory.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

from . import files
from .model import MAIN, OTHER, SPAM, Resource, SamplePortal, Site
from .templates import (
    COMMON_CSS,
    PAGER_JS,
    SITE_NAME,
    SITE_SUFFIX,
    XXGK_COLUMNS,
    Article,
    error_404_page,
    page,
    paragraphs,
    simple_page,
    trs_article,
    trs_list,
    trs_list_item,
    truncate,
)

# the 政府信息公开 columns of the full portal (the list pages' sidebar links them), and two more
BENCH_COLUMNS = [
    *XXGK_COLUMNS,
    ("rsxx", "人事信息"),
    ("czzj", "财政资金"),
]
PER_PAGE = 20
END = date(2024, 6, 28)
SPAN_DAYS = 540
FIRST_ID = 100000

_ORGS = ["临沂市人民政府", "临沂市人民政府办公室", "临沂市发展和改革委员会", "临沂市财政局", "临沂市住房和城乡建设局"]
_SUBJECTS = [
    "加强城市精细化管理", "推进乡村振兴战略实施", "做好安全生产工作", "优化营商环境", "促进民营经济发展",
    "加强生态环境保护", "推进数字政府建设", "做好防汛抗旱工作", "加快现代物流业发展", "完善社会保障体系",
    "推进教育高质量发展", "加强食品药品安全监管", "深化医药卫生体制改革", "促进消费持续恢复", "加强耕地保护",
    "推进文化旅游融合发展", "做好稳就业工作", "加强政务公开工作", "推进新型城镇化建设", "做好森林防火工作",
]
_KINDS = ["的通知", "的实施意见", "的若干措施", "的工作方案", "的公告", "的通报"]

_SIMPLE = {
    "/zwfw/index.html": "政务服务",
    "/hdjl/index.html": "互动交流",
    "/zjly/index.html": "走进临沂",
    "/wzdt/index.html": "网站地图",
    "/lxwm/index.html": "联系我们",
    "/mzsm/index.html": "免责声明",
    "/wza/index.html": "无障碍浏览",
    "/search/index.html": "站内搜索",
    "/site/jiucuo.html": "我要纠错",
}

_ART_RE = re.compile(r"^/xxgk/([a-z]+)/(\d{6})/t(\d{8})_(\d+)\.html$")
_ATT_RE = re.compile(r"^/xxgk/([a-z]+)/(\d{6})/P0(\d{8})(\d+)([12])\.(pdf|docx)$")


class BenchPortal:
    def __init__(self, pages: int = 20000, seed: int = 7):
        self.seed = seed
        self.ncols = len(BENCH_COLUMNS)
        # home + /xxgk/ + list pages + articles >= pages (the simple pages come on top)
        fixed = 2
        n_art = max(self.ncols, pages - fixed - -(-pages // PER_PAGE))
        while True:
            counts = [n_art // self.ncols + (1 if c < n_art % self.ncols else 0) for c in range(self.ncols)]
            lists = sum(max(1, -(-n // PER_PAGE)) for n in counts)
            if n_art + lists + fixed >= pages:
                break
            n_art += 1
        self.n_art = n_art
        self.counts = counts
        self.total_pages = n_art + lists + fixed + len(_SIMPLE)

    # -- article numbering: global index g = k * ncols + c -------------------
    def _g(self, c: int, k: int) -> int:
        return k * self.ncols + c

    def _date(self, c: int, k: int) -> date:
        return END - timedelta(days=(k * SPAN_DAYS) // max(1, self.counts[c]))

    def article_path(self, c: int, k: int) -> str:
        d = self._date(c, k)
        return f"/xxgk/{BENCH_COLUMNS[c][0]}/{d:%Y%m}/t{d:%Y%m%d}_{FIRST_ID + self._g(c, k)}.html"

    def sitemap(self) -> list[tuple[str, str]]:
        """Every article with its publication date as ``<lastmod>``, column by column, newest first."""
        return [(self.article_path(c, k), self._date(c, k).isoformat())
                for c in range(self.ncols) for k in range(self.counts[c])]

    def article(self, c: int, k: int) -> Article:
        code, name = BENCH_COLUMNS[c]
        g = self._g(c, k)
        aid = FIRST_ID + g
        d = self._date(c, k)
        rng = random.Random(self.seed * 1_000_003 + g)
        org = _ORGS[g % len(_ORGS)]
        title = f"{org}关于{rng.choice(_SUBJECTS)}{rng.choice(_KINDS)}"
        if rng.random() < 0.3:
            title = f"{org}关于印发《临沂市{rng.choice(_SUBJECTS)}三年行动方案》的通知"
        return Article(
            path=self.article_path(c, k),
            title=title,
            column=code,
            column_name=name,
            pub=d,
            written=d - timedelta(days=1 + g % 5),
            org=org,
            doc_no=f"临政发〔{d.year}〕{g % 60 + 1}号" if code == "zcwj" else "",
            index_no=f"11371300004349497N/{d.year}-{aid % 100000:05d}",
            body=paragraphs(rng, 3 + g % 3),
            label_style=g % 3,
        )

    def _full_article(self, c: int, k: int) -> Article:
        a = self.article(c, k)
        g = self._g(c, k)
        if k > 0:
            prev = self.article(c, k - 1)
            a.related.append((prev.path, prev.title))
        if k + 1 < self.counts[c]:
            nxt = self.article(c, k + 1)
            a.related.append((nxt.path, nxt.title))
        oc = (c + 1 + g % (self.ncols - 1)) % self.ncols
        if self.counts[oc]:
            other = self.article(oc, (k * 7 + 3) % self.counts[oc])
            a.extra_html += f'<p>相关文件：<a href="{other.path}">{other.title}</a></p>\n'
        if g % 10 == 0:
            a.attachments.append((f"./P0{a.pub:%Y%m%d}{FIRST_ID + g}1.pdf", "附件1.pdf"))
        if g % 50 == 0:
            a.attachments.append((f"./P0{a.pub:%Y%m%d}{FIRST_ID + g}2.docx", "附件2.docx"))
        return a

    def _locate(self, code: str, aid: str) -> tuple[int, int] | None:
        cols = [c for c, (cc, _n) in enumerate(BENCH_COLUMNS) if cc == code]
        if not cols or not aid.isdigit():
            return None
        g = int(aid) - FIRST_ID
        c, k = g % self.ncols, g // self.ncols
        if g < 0 or c != cols[0] or k >= self.counts[c]:
            return None
        return c, k

    def _matched_article(self, m: re.Match) -> Article | None:
        """The article a match of _ART_RE or _ATT_RE names (column code, article number)."""
        loc = self._locate(m.group(1), m.group(4))
        return None if loc is None else self._full_article(*loc)

    def resolve(self, path: str) -> Resource | None:
        m = _ART_RE.match(path)
        if m:
            a = self._matched_article(m)
            if a is None or a.path != path:
                return None
            return Resource(body=trs_article(a))
        m = _ATT_RE.match(path)
        if m:
            a = self._matched_article(m)
            if a is None:
                return None
            name = path.rsplit("/", 1)[1]
            if ("./" + name) not in [h for h, _t in a.attachments]:
                return None
            if name.endswith(".pdf"):
                return Resource(body=files.make_pdf("Bench attachment"), content_type=files.PDF_TYPE, page=False)
            return Resource(body=files.make_docx("附件"), content_type=files.DOCX_TYPE, page=False)
        return None

    def list_body(self, c: int, idx: int):
        code, name = BENCH_COLUMNS[c]
        n_pages = max(1, -(-self.counts[c] // PER_PAGE))

        def render() -> str:
            ks = range(idx * PER_PAGE, min(self.counts[c], (idx + 1) * PER_PAGE))
            items = "".join(trs_list_item(self.article(c, k), f"/xxgk/{code}") for k in ks)
            return trs_list(code, name, items, idx, n_pages)

        return n_pages, render

    def build(self) -> SamplePortal:
        main = Site(MAIN, SITE_NAME, not_found=Resource(status=404, body=error_404_page(), page=False),
                    sitemap=self.sitemap)
        main.resolvers.append(self.resolve)
        for c, (code, _name) in enumerate(BENCH_COLUMNS):
            n_pages, _ = self.list_body(c, 0)
            for idx in range(n_pages):
                _, render = self.list_body(c, idx)
                path = f"/xxgk/{code}/index.html" if idx == 0 else f"/xxgk/{code}/index_{idx}.html"
                main.add(path, Resource(body=render))
        col_links = "".join(f'<li><a href="/xxgk/{code}/">{name}</a></li>' for code, name in BENCH_COLUMNS)
        latest = "".join(
            f'<li><a href="{a.path}" title="{a.title}">{truncate(a.title, 24)}</a></li>'
            for a in (self.article(c, 0) for c in range(self.ncols) if self.counts[c])
        )
        home = (
            f'<div class="main w1200"><div class="block"><a class="big-entry" href="/xxgk/">政府信息公开</a></div>'
            f'<div class="block"><ul>{latest}</ul></div><div class="block"><ul>{col_links}</ul></div></div>'
        )
        main.add("/index.html", Resource(body=page(SITE_NAME, home, nav_current="首页")))
        main.add(
            "/xxgk/index.html",
            Resource(
                body=page(
                    "政府信息公开" + SITE_SUFFIX,
                    f'<div class="main w1200"><ul class="xxgk-menu">{col_links}</ul></div>',
                    crumbs=[("首页", "/"), ("政府信息公开", None)],
                    nav_current="政府信息公开",
                )
            ),
        )
        for path, title in _SIMPLE.items():
            main.add(path, Resource(body=simple_page(title, f"<p>{title}</p>", title)))
        main.add("/css/common.css", Resource(body=COMMON_CSS, content_type="text/css; charset=utf-8", page=False))
        main.add("/js/createPageHTML.js", Resource(body=PAGER_JS, content_type="application/javascript; charset=utf-8", page=False))
        main.add("/images/logo.png", Resource(body=files.make_png(), content_type=files.PNG_TYPE, page=False))
        main.add("/robots.txt", Resource(body="User-agent: *\nDisallow:\n", content_type="text/plain", page=False))

        other = Site(OTHER, "山东省人民政府(sample)")
        other_page = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}_山东省人民政府</title></head><body><h1>{t}</h1>{b}</body></html>'
        other.add("/index.html", Resource(body=other_page.format(t="山东省人民政府", b='<a href="/news/index.html">政务要闻</a>')))
        other.add("/news/index.html", Resource(body=other_page.format(t="政务要闻", b="<p>要闻列表</p>")))
        spam = Site(SPAM, "spam")
        return SamplePortal(
            kind="bench",
            sites={MAIN: main, OTHER: other, SPAM: spam},
            expected_templates=[],
            pages=self.total_pages,
            description=f"bench portal: {self.n_art} articles in {self.ncols} TRS columns",
        )


def build_bench(pages: int = 20000) -> SamplePortal:
    return BenchPortal(pages=pages).build()
