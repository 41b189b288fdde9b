"""The defect-rich "full" sample portal (临沂市政府 sample, TRS WCM + Hanweb styles).

See the package docstring (``portal_audit.sample``) for the list of planted
defects and look-alikes.  Paths are defined here; the server fills in the port.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from email.utils import format_datetime
from datetime import datetime, timezone
from html import escape
from urllib.parse import quote

from . import content_inspect, content_misc, content_policy, files
from .model import (
    CLOSED_TOKEN,
    HTML_BARE,
    MAIN,
    OTHER,
    SPAM,
    TOKENS,
    ExpectedFinding,
    Request,
    Resource,
    Response,
    SamplePortal,
    Site,
)
from .templates import (
    COMMON_CSS,
    HANWEB_DEPT,
    PAGER_JS,
    SITE_NAME,
    SITE_SUFFIX,
    XXGK_COLUMNS,
    Article,
    error_404_page,
    fmt_date,
    hanweb_article,
    hanweb_list,
    page,
    paragraphs,
    simple_page,
    trs_article,
    trs_list,
    trs_list_item,
    truncate,
    xxgk_sidebar,
)
from .titles import HANWEB_TITLES, ZCJD_TITLES

M = TOKENS[MAIN]  # "http://127.0.0.1:PORT" once served
O = TOKENS[OTHER]
S = TOKENS[SPAM]

# ---------------------------------------------------------------------------
# fixed paths of planted behaviours (also used by tests)

P_BROKEN_INTERNAL = "/xxgk/zcwj/202301/t20230105_400404.html"  # 404
P_ERROR_500 = "/ysqgk/apply.jsp"  # always 500
DEAD_HOST_URL = "http://dead-host.invalid/"
CLOSED_URL = f"http://127.0.0.1:{CLOSED_TOKEN}/"
P_TIMEOUT = "/oldoa/view.html"  # sleeps 12 s
P_FOOTER_BROKEN = "/site/jiucuo.html"  # 404, in the footer of every article
INVALID_URL = "http://exa mple.gov.cn:abc/x"
P_LOOP_A = "/r/loop-a.html"
P_LOOP_B = "/r/loop-b.html"
P_CHAIN = ["/r/chain-1.html", "/r/chain-2.html", "/r/chain-3.html", "/r/chain-4.html"]
P_CHAIN_TARGET = "/xxgk/zcjd/index.html"
P_MOVED = "/r/moved.html"  # single 301 (look-alike)
P_OUT = "/r/out.html"  # 302 to the other host's /xxgk/index.html (look-alike)
P_SOFT404 = "/xxgk/tzgg/202312/t20231208_300404.html"  # 200 + 页面不存在
OTHER_GONE_URL = f"{O}/some/gone.html"  # 200 + generic error page of host 2
P_WAF = "/jsearch/search.do"
WAF_HREF = P_WAF + "?websiteid=371300000000000"
P_999 = "/share/weibo.html"
P_429 = "/hdjl/zxft/index.html"  # 429 + Retry-After: 1 first, then 200
P_SLOW3 = "/zjly/lyfg/index.html"  # 3 s then 200
P_CAL = "/cal/"
P_PRIVATE = "/private/index.html"
P_PRIVATE_MISSING = "/private/old.html"
P_BINARY = "/uploads/banner_20240301.html"
P_BIG = "/xxgk/ndbg/2023qw.html"
BIG_SIZE = 3 * 1024 * 1024
JSESSION_HREF = "/xxgk/tzgg/index.html;jsessionid=ABC123"
SID_HREF = "/xxgk/zcjd/index.html?sid=123"
CN_PATH_NAME = "关于做好2024年　汛期安全防范工作的通知.html"  # contains U+3000

ZCWJ_TITLES = [
    "临沂市人民政府关于印发临沂市数字政府建设实施方案的通知",
    "临沂市人民政府办公室关于开展2024年安全生产大检查的通知",
    "临沂市人民政府关于进一步加强城乡环境卫生整治工作的实施意见",
    "临沂市人民政府办公室关于做好2024年度城乡居民基本医疗保险参保缴费工作的通知",
    "临沂市人民政府关于印发临沂市国土空间总体规划实施方案的通知",
    "临沂市人民政府办公室关于印发临沂市促进养老服务高质量发展若干措施的通知",
    "临沂市人民政府关于公布第五批市级非物质文化遗产代表性项目名录的通知",
    "临沂市人民政府办公室关于进一步做好稳就业工作的通知",
    "临沂市人民政府关于调整临沂市城区土地级别与基准地价的通知",
    "临沂市人民政府办公室关于印发临沂市城市更新行动实施方案的通知",
    "临沂市人民政府关于表彰2023年度临沂市政府质量奖获奖组织的决定",
    "临沂市人民政府办公室关于加快推进商贸物流高质量发展的实施意见",
    "临沂市人民政府办公室关于印发临沂市空气质量持续改善行动计划的通知",
    "临沂市人民政府关于做好2024年全市春季农业生产工作的通知",
    "临沂市人民政府办公室关于印发临沂市新型城镇化规划实施方案的通知",
    "临沂市人民政府办公室关于健全完善防止返贫动态监测和帮扶机制的实施意见",
    "临沂市人民政府关于加强全市地下水管理工作的通知",
    "临沂市人民政府办公室关于推进医养结合高质量发展的实施意见",
    "临沂市人民政府办公室关于印发临沂市“十四五”综合交通运输发展规划的通知",
    "临沂市人民政府关于深化“放管服”改革优化营商环境的若干意见",
    "临沂市人民政府办公室关于加强城市地下管线建设管理的通知",
    "临沂市人民政府办公室关于建立健全生态产品价值实现机制的实施意见",
    "临沂市人民政府关于印发临沂市全民科学素质行动规划纲要实施方案的通知",
    "临沂市人民政府办公室关于印发临沂市突发事件总体应急预案的通知",
]
WRONG_ANCHOR_LIST = "关于印发《临沂市优化营商环境若干措施》的通知"
WRONG_ANCHOR_BODY = "关于进一步加强城乡环境卫生整治工作的实施意见"


FGWJ = [  # (title, charset)
    ("临沂市城市绿化条例", "utf-8"),
    ("临沂市文明行为促进条例", "gbk-meta"),
    ("临沂市沂河保护条例", "gbk-none"),
    ("临沂市农村生活垃圾管理办法", "gbk-lie"),
    ("临沂市物业管理条例", "utf-8"),
    ("临沂市历史文化名城保护条例", "utf-8"),
]

TZGG_TITLES = [
    "关于做好2024年汛期安全防范工作的通知",
    "关于市区部分路段实施交通管制的通告",
    "临沂市2024年重点项目名单公示",
    "关于举办2024年临沂市商贸物流博览会的公告",
    "关于2024年市级机关公开遴选公务员的公告",
    "关于开展2024年度统计执法检查的通知",
    "临沂市2024年国有建设用地使用权出让公告",
    "关于公布临沂市第二批市级历史建筑名录的公告",
    "关于2024年清明节期间森林防火的通告",
    "临沂市人民政府关于征收土地的公告（2024年第3号）",
    "关于调整部分公交线路的通告",
    "2024年临沂市事业单位公开招聘工作人员简章",
    "关于征求《临沂市停车场管理办法（征求意见稿）》意见的公告",
    "临沂市2024年第一批拟命名市级文明单位公示",
    "关于做好2023年度政府信息公开工作年度报告编制工作的通知",
    "关于开展2023年“质量月”活动的通知",
]

GKZN_TITLES = ["临沂市人民政府信息公开指南（2024年修订）", "临沂市人民政府依申请公开办事指南"]
NDBG_TITLES = [
    "临沂市人民政府2023年政府信息公开工作年度报告",
    "临沂市人民政府2022年政府信息公开工作年度报告",
    "临沂市人民政府2021年政府信息公开工作年度报告",
]


def _workdays_desc(start: date, n: int, rng: random.Random, lo: int = 4, hi: int = 14) -> list[date]:
    out, d = [], start
    for _ in range(n):
        while d.weekday() >= 5:
            d -= timedelta(days=1)
        out.append(d)
        d -= timedelta(days=rng.randint(lo, hi))
    return out


def _http_date(d: date) -> str:
    return format_datetime(datetime(d.year, d.month, d.day, 2, 20, tzinfo=timezone.utc), usegmt=True)


class FullPortalBuilder:
    def __init__(self, seed: int = 20240630):
        self.rng = random.Random(seed)
        self.main = Site(
            MAIN,
            SITE_NAME,
            not_found=Resource(status=404, body=error_404_page(), page=False),
        )
        self.other = Site(
            OTHER,
            "山东省人民政府(sample)",
            not_found=Resource(status=200, body=_other_error_page(), page=False),
        )
        self.spam = Site(SPAM, "spam", not_found=Resource(status=404, body="<h1>404 Not Found</h1>", page=False))
        self.expected: list[ExpectedFinding] = []
        self.next_id = 123456
        self.cols: dict[str, list[Article]] = {}
        self.hanweb: list[Article] = []
        self.missing: set[str] = set()  # attachment paths deliberately left unregistered (404)
        self.lookalikes: dict[str, str] = {}  # name -> URL (tokenised) of planted non-defects

    # -- helpers -----------------------------------------------------------
    def expect(self, check: str, url: str, page_path: str | None) -> None:
        def absolute(u: str) -> str:
            return u if ("://" in u or u.startswith("@@")) else M + u

        page_url = None if page_path is None else absolute(page_path)
        self.expected.append(ExpectedFinding(check, absolute(url), page_url))

    def new_id(self) -> int:
        self.next_id += self.rng.randint(1, 37)
        return self.next_id

    def trs_articles(self, code: str, name: str, titles: list[str], start: date) -> list[Article]:
        dates = _workdays_desc(start, len(titles), self.rng)
        arts = []
        for i, (title, d) in enumerate(zip(titles, dates)):
            aid = self.new_id()
            office = "办公室" in title[:12]
            org = "临沂市人民政府办公室" if office else "临沂市人民政府"
            if code == "tzgg":
                org = "临沂市人民政府办公室"
            doc_no = f"临政{'办' if office else ''}发〔{d.year}〕{i + 3}号" if code in ("zcwj", "fgwj") else ""
            arts.append(
                Article(
                    path=f"/xxgk/{code}/{d:%Y%m}/t{d:%Y%m%d}_{aid}.html",
                    title=title,
                    column=code,
                    column_name=name,
                    pub=d,
                    written=d - timedelta(days=self.rng.randint(1, 6)),
                    org=org,
                    doc_no=doc_no,
                    index_no=f"11371300004349497N/{d.year}-{aid % 100000:05d}",
                    topic={"zcwj": "综合政务\\通知", "zcjd": "综合政务\\解读", "fgwj": "法规规章"}.get(code, "综合政务"),
                    body=paragraphs(self.rng, self.rng.randint(4, 8)),
                    label_style=i % 3,
                )
            )
        self.cols[code] = arts
        return arts

    @staticmethod
    def att_name(a: Article, ext: str, n: int) -> str:
        return f"P0{a.pub:%Y%m%d}{(a.index_no[-5:])}{n}.{ext}"

    def att_path(self, a: Article, name: str) -> str:
        return a.path.rsplit("/", 1)[0] + "/" + name

    # -- build -------------------------------------------------------------
    def sitemap(self) -> list[tuple[str, str]]:
        """The TRS articles, with their publication date and a time of day as ``<lastmod>``."""
        return [(a.path, f"{a.pub.isoformat()}T09:30:00+08:00") for arts in self.cols.values() for a in arts]

    def build(self) -> SamplePortal:
        self.main.sitemap = self.sitemap
        self._columns()
        self._plant_in_articles()
        self._register_articles()
        self._lists()
        self._hanweb()
        self._home_and_misc()
        self._behaviours()
        self._other_hosts()
        self._lookalike_index()
        content_misc.add(self)  # issue 4: timeliness, metadata, privacy and column pages
        content_policy.plant(self)  # issue 4: policies, interpretations, regulations, validity marking
        content_inspect.add(self)  # issue 15: required columns, 年度报告, 公开属性, 咨询 messages, 错别字
        pages = sum(1 for r in self.main.resources.values() if r.page)
        return SamplePortal(
            kind="full",
            sites={MAIN: self.main, OTHER: self.other, SPAM: self.spam},
            expected_templates=self.expected,
            pages=pages,
            lookalikes=self.lookalikes,
            description="临沂市政府(sample): TRS WCM + Hanweb, defect-rich",
            serve_sitemap=False,   # served on request (serve(…, sitemap=True)): most tests count its requests
        )

    def _columns(self) -> None:
        self.trs_articles("zcwj", "政策文件", ZCWJ_TITLES, date(2024, 6, 20))
        self.trs_articles("zcjd", "政策解读", [t for t, _ in ZCJD_TITLES], date(2024, 6, 24))
        self.trs_articles("fgwj", "法规文件", [t for t, _ in FGWJ], date(2024, 5, 30))
        for a, (_t, cs) in zip(self.cols["fgwj"], FGWJ):
            a.charset = cs
            a.org = "临沂市人民代表大会常务委员会"
            a.doc_no = f"临沂市人大常委会公告第{a.index_no[-2:].lstrip('0') or '1'}号"
        self.trs_articles("tzgg", "通知公告", TZGG_TITLES, date(2024, 6, 26))
        self.trs_articles("gkzn", "公开指南", GKZN_TITLES, date(2024, 1, 19))
        self.trs_articles("ndbg", "年度报告", NDBG_TITLES, date(2024, 1, 31), )
        # annual reports: one per year, published in January (the 2023 report on 31 January, the
        # last day the 条例 allows: a look-alike of report.annual-late)
        for a, year in zip(self.cols["ndbg"], (2024, 2023, 2022)):
            d = date(year, 1, {2024: 31, 2022: 28}.get(year, 26))
            aid = a.path.rsplit("_", 1)[1]
            a.pub, a.written = d, d - timedelta(days=3)
            a.path = f"/xxgk/ndbg/{d:%Y%m}/t{d:%Y%m%d}_{aid}"
        # Chinese path with a full-width space (look-alike): served under its UTF-8 percent-encoding
        cn = self.cols["tzgg"][0]
        cn.path = f"/xxgk/tzgg/{cn.pub:%Y%m}/{CN_PATH_NAME}"
        # related links: every 解读 links its policy document with the full title (look-alike)
        zcwj = self.cols["zcwj"]
        for a, (_t, idx) in zip(self.cols["zcjd"], ZCJD_TITLES):
            if idx != 2:  # the 城乡环境卫生 解读 gets the wrong link instead (planted below)
                a.related.append((zcwj[idx].path, zcwj[idx].title))
        # normal attachments
        for code in ("zcwj", "tzgg", "gkzn"):
            for i, a in enumerate(self.cols[code]):
                if i % 3 == 0:
                    a.attachments.append(("./" + self.att_name(a, "pdf", 1), f"附件1：{truncate(a.title, 12)}相关材料.pdf"))

    def _plant_in_articles(self) -> None:
        zcwj, zcjd, tzgg = self.cols["zcwj"], self.cols["zcjd"], self.cols["tzgg"]
        fgwj, gkzn, ndbg = self.cols["fgwj"], self.cols["gkzn"], self.cols["ndbg"]

        # link.broken (a): internal 404
        a = zcwj[4]
        a.extra_html += f'<p>原规划文件：<a href="{P_BROKEN_INTERNAL}" target="_blank">原规划文件</a></p>\n'
        self.expect("link.broken", P_BROKEN_INTERNAL, a.path)

        # link.broken (b): always 500
        a = gkzn[1]
        a.extra_html += f'<p>申请人可通过<a href="{P_ERROR_500}" target="_blank">在线申请</a>系统提交政府信息公开申请。</p>\n'
        self.expect("link.broken", P_ERROR_500, a.path)

        # link.broken (c): unresolvable host; link.redirect-loop
        a = tzgg[1]
        a.extra_html += (
            f'<p>详细线路调整情况请登录<a href="{DEAD_HOST_URL}" target="_blank">原市交通运输局网站</a>查询。</p>\n'
            f'<p>网上报名请点击：<a href="{P_LOOP_A}">报名入口</a></p>\n'
        )
        self.expect("link.broken", DEAD_HOST_URL, a.path)
        self.expect("link.redirect-loop", P_LOOP_A, a.path)

        # link.broken (d): connection refused; attachment.broken: .docx HEAD 405 / GET 404
        a = zcjd[0]
        docx = self.att_name(a, "docx", 2)
        a.extra_html += f'<p>观看解读视频：<a href="{CLOSED_URL}" target="_blank">解读视频</a></p>\n'
        a.attachments.append(("./" + docx, "附件：政策问答.docx"))
        self.expect("link.broken", CLOSED_URL, a.path)
        self.expect("attachment.broken", self.att_path(a, docx), a.path)
        self.main.add(
            self.att_path(a, docx),
            Resource(status=404, body=error_404_page(), head_status=405, page=False),
        )

        # link.broken (e): 12 s timeout
        a = fgwj[0]
        a.extra_html += f'<p>条例全文（旧版系统）：<a href="{P_TIMEOUT}" target="_blank">点击查看</a></p>\n'
        self.expect("link.broken", P_TIMEOUT, a.path)

        # link.broken (f): footer of every article -> one finding
        self.expect("link.broken", P_FOOTER_BROKEN, zcwj[0].path)

        # attachment.broken: pdf 404 (plus a working pdf); soft404 (b) on the other host
        a = zcwj[0]
        pdf404 = self.att_name(a, "pdf", 9)
        a.attachments.append(("./" + pdf404, "附件2：临沂市数字政府建设项目清单.pdf"))
        a.extra_html += f'<p>相关政策：<a href="{OTHER_GONE_URL}" target="_blank">省级配套政策</a></p>\n'
        self.missing.add(self.att_path(a, pdf404))
        self.expect("attachment.broken", self.att_path(a, pdf404), a.path)
        self.expect("link.soft404", OTHER_GONE_URL, a.path)

        # attachment.broken: xls 410
        a = tzgg[2]
        xls = self.att_name(a, "xls", 3)
        a.attachments.append(("./" + xls, "附件2：2024年市级重点项目名单.xls"))
        self.main.add(self.att_path(a, xls), Resource(status=410, body="<h1>410 Gone</h1>", page=False))
        self.expect("attachment.broken", self.att_path(a, xls), a.path)

        # look-alike: attachment HEAD 405 but GET 200 (and Range -> 206)
        a = zcwj[5]
        pdf405 = self.att_name(a, "pdf", 5)
        a.attachments.append(("./" + pdf405, "附件：临沂市养老服务设施布局规划.pdf"))
        self.main.add(
            self.att_path(a, pdf405),
            Resource(
                body=files.make_pdf("Elderly care facilities layout plan (sample)"),
                content_type=files.PDF_TYPE,
                head_status=405,
                headers=[("Accept-Ranges", "bytes")],
                page=False,
            ),
        )
        self.lookalikes["head405-get200"] = M + self.att_path(a, pdf405)

        # look-alike: working .docx
        a = zcwj[6]
        docx_ok = self.att_name(a, "docx", 1)
        a.attachments.append(("./" + docx_ok, "附件：第五批市级非物质文化遗产代表性项目名录.docx"))
        self.main.add(
            self.att_path(a, docx_ok),
            Resource(body=files.make_docx("第五批市级非物质文化遗产代表性项目名录"), content_type=files.DOCX_TYPE, page=False),
        )

        # link.hidden (3): font-size:0
        a = zcjd[1]
        a.extra_html += (
            f'<p style="font-size:0;line-height:0;margin:0"><a href="{S}/game/" target="_blank">真人棋牌 线上游戏平台</a></p>\n'
        )
        self.expect("link.hidden", f"{S}/game/", a.path)

        # link.wrong (2): inside an article body, full title -> different document
        a = zcjd[2]
        target = zcwj[3]
        a.extra_html += (
            f'<p>原文链接：<a href="{target.path}" target="_blank">{WRONG_ANCHOR_BODY}</a></p>\n'
        )
        self.expect("link.wrong", target.path, a.path)

        # link.soft404 (a): 200 + 页面不存在
        a = zcjd[3]
        a.extra_html += f'<p>更多内容：<a href="{P_SOFT404}" target="_blank">查看详情</a></p>\n'
        self.expect("link.soft404", P_SOFT404, a.path)

        # link.inconclusive: 999
        a = tzgg[3]
        a.extra_html += f'<p class="share">分享到：<a href="{P_999}" target="_blank">新浪微博</a></p>\n'
        self.expect("link.inconclusive", P_999, a.path)

        # look-alikes in article bodies: mailto/tel, #top, a related link with exact title
        a = tzgg[11]
        a.extra_html += (
            '<p>咨询电话：<a href="tel:0539-8721234">0539-8721234</a>　'
            '电子邮箱：<a href="mailto:rsj@ly.sample.invalid">rsj@ly.sample.invalid</a></p>\n'
        )
        # 3 MB report (look-alike over the size limit)
        ndbg[0].extra_html += f'<p><a href="{P_BIG}" target="_blank">查看报告全文（含统计表格）</a></p>\n'

    def _register_articles(self) -> None:
        for code, arts in self.cols.items():
            for i, a in enumerate(arts):
                html = trs_article(a)
                if code == "tzgg" and i == 4:
                    html = _malform(html)
                cs = a.charset
                if cs == "utf-8":
                    res = Resource(body=html)
                else:
                    res = Resource(body=html, content_type=HTML_BARE, encoding="gbk")
                res.headers.append(("Last-Modified", _http_date(a.pub)))
                self.main.add(a.path, res)
                for href, _text in a.attachments:
                    p = self.att_path(a, href[2:])
                    if p in self.main.resources or p in self.missing:
                        continue
                    if href.endswith(".pdf"):
                        self.main.add(
                            p,
                            Resource(
                                body=files.make_pdf(f"Attachment of document {a.index_no}"),
                                content_type=files.PDF_TYPE,
                                headers=[("Accept-Ranges", "bytes"), ("Last-Modified", _http_date(a.pub))],
                                page=False,
                            ),
                        )

    def _lists(self) -> None:
        per_page = {"zcwj": 8, "zcjd": 6, "fgwj": 6, "tzgg": 8, "gkzn": 6, "ndbg": 6}
        zcwj = self.cols["zcwj"]
        for code, name in XXGK_COLUMNS:
            arts = self.cols[code]
            n = per_page[code]
            chunks = [arts[i : i + n] for i in range(0, len(arts), n)]
            for idx, chunk in enumerate(chunks):
                base_dir = f"/xxgk/{code}"
                items = [trs_list_item(a, base_dir) for a in chunk]
                extra = ""
                list_path = f"/xxgk/{code}/index.html" if idx == 0 else f"/xxgk/{code}/index_{idx}.html"
                page_ref = f"/xxgk/{code}/" if idx == 0 else list_path
                if code == "zcwj" and idx == 1:
                    # link.wrong (1): list item whose title names another document
                    wrong = Article(
                        path=zcwj[1].path,
                        title=WRONG_ANCHOR_LIST,
                        column="zcwj",
                        column_name="政策文件",
                        pub=date(2024, 3, 5),
                        written=date(2024, 3, 1),
                        org="临沂市人民政府",
                        list_title=WRONG_ANCHOR_LIST,
                    )
                    items.insert(3, trs_list_item(wrong, base_dir))
                    self.expect("link.wrong", zcwj[1].path, page_ref)
                if code == "tzgg" and idx == 0:
                    # link.hidden (4): visibility:hidden on an ancestor
                    extra = (
                        '<div class="friend-ad" style="visibility: hidden"><ul><li><span>'
                        f'<a href="{S}/loan/" target="_blank">无抵押贷款 当天放款</a></span></li></ul></div>\n'
                    )
                    self.expect("link.hidden", f"{S}/loan/", page_ref)
                if code == "ndbg":
                    items.append(
                        f'<li><a href="{P_BIG[len(base_dir) :].replace("/", "./", 1)}" title="2023年政府信息公开工作年度报告（全文）">'
                        f"2023年政府信息公开工作年度报告（全文）</a><span>2024-01-31</span></li>\n"
                    )
                charset = "gbk-meta" if code == "fgwj" else "utf-8"
                html = trs_list(code, name, "".join(items), idx, len(chunks), extra_html=extra, charset=charset)
                if charset == "utf-8":
                    self.main.add(list_path, Resource(body=html))
                else:
                    self.main.add(list_path, Resource(body=html, content_type=HTML_BARE, encoding="gbk"))

    def _hanweb(self) -> None:
        rng = self.rng
        dates = _workdays_desc(date(2024, 6, 21), len(HANWEB_TITLES), rng, 5, 12)
        arts = []
        for i, (title, d) in enumerate(zip(HANWEB_TITLES, dates)):
            art_id = 5678 + i * 7
            arts.append(
                Article(
                    path=f"/art/{d.year}/{d.month}/{d.day}/art_1234_{art_id}.html",
                    title=title,
                    column="col1234",
                    column_name="通知公告",
                    pub=d,
                    written=d - timedelta(days=rng.randint(1, 4)),
                    org=HANWEB_DEPT,
                    doc_no=f"临教发〔{d.year}〕{i + 5}号",
                    index_no=f"113713000043494970/{d.year}-{art_id:05d}",
                    topic="教育",
                    body=paragraphs(rng, rng.randint(3, 6)),
                    family="hanweb",
                )
            )
        self.hanweb = arts
        # link.broken (g): an invalid URL in an href
        a = arts[2]
        a.extra_html += f'<p>举报投诉请访问<a href="{INVALID_URL}" target="_blank">市市场监管局网站</a>。</p>\n'
        self.expect("link.broken", INVALID_URL, a.path)
        # look-alike: hidden (display:none) link to the same host is not 暗链
        arts[5].extra_html += '<div style="display:none"><a href="/col/col1234/index.html">通知公告</a></div>\n'
        for a in arts:
            res = Resource(body=hanweb_article(a))
            res.headers.append(("Last-Modified", _http_date(a.pub)))
            self.main.add(a.path, res)
        per_page = 6
        chunks = [arts[i : i + per_page] for i in range(0, len(arts), per_page)]
        for n, chunk in enumerate(chunks, start=1):
            html = hanweb_list(chunk, n, len(chunks))
            key = "/col/col1234/index.html" if n == 1 else f"/col/col1234/index.html?page={n}"
            self.main.add(key, Resource(body=html))

    def _home_and_misc(self) -> None:
        zcwj, tzgg, zcjd = self.cols["zcwj"], self.cols["tzgg"], self.cols["zcjd"]

        def li(a: Article) -> str:
            return f'<li><a href="{escape(a.path)}" title="{escape(a.title)}" target="_blank">{escape(truncate(a.title, 24))}</a><span>{a.pub:%m-%d}</span></li>'

        home = f"""<div class="main w1200">
<div class="banner"><img src="/images/logo.png" alt="{SITE_NAME}"></div>
<div class="block news"><div class="block-title"><a href="/xxgk/tzgg/">通知公告</a><a class="more" href="{JSESSION_HREF}">更多&gt;&gt;</a></div>
<ul>{"".join(li(a) for a in tzgg[:7])}</ul></div>
<div class="block policy"><div class="block-title"><a href="/xxgk/zcwj/">政策文件</a><a class="more" href="/xxgk/zcwj/">更多&gt;&gt;</a></div>
<ul>{"".join(li(a) for a in zcwj[:7])}</ul></div>
<div class="block jd"><div class="block-title"><a href="{SID_HREF}">政策解读</a></div>
<ul>{"".join(li(a) for a in zcjd[:4])}</ul></div>
<div class="block xxgk-entry"><a class="big-entry" href="/xxgk/">政府信息公开</a>
<a href="/xxgk/gkzn/">信息公开指南</a> <a href="/xxgk/ndbg/">信息公开年报</a> <a href="/col/col1234/index.html">市教育局</a>
<a href="{P_MOVED}">信息公开目录（旧版）</a></div>
<div class="block zt"><div class="block-title">专题专栏</div><ul>
<li><a href="{P_CHAIN[0]}">政策问答库</a></li>
<li><a href="{P_CAL}?month=2024-01">政务活动日历</a></li>
<li><a href="{P_429}">在线访谈</a></li>
<li><a href="{P_SLOW3}">临沂风光</a></li>
<li><a href="{P_OUT}">省政府信息公开平台</a></li>
<li><a href="{P_PRIVATE}">内部资料</a></li>
<li><a href="{P_BINARY}">宣传图片</a></li>
<li><a href="{WAF_HREF}">站内检索</a></li>
</ul></div>
<div class="block links"><div class="block-title">友情链接</div>
<a href="{O}/" target="_blank">山东省人民政府</a> <a href="{O}/news/index.html" target="_blank">山东政务要闻</a></div>
<div class="block contact">咨询电话：<a href="tel:0539-12345">0539-12345</a>　邮箱：<a href="mailto:zfxxgk@ly.sample.invalid">zfxxgk@ly.sample.invalid</a>
<a href="javascript:void(0)" onclick="toggleOld()">展开</a> <a href="#top">返回顶部</a></div>
<div style="display:none" id="old-nav"><a href="/xxgk/gkzn/index.html">政府信息公开指南（旧）</a></div>
<div style="display:none"><a href="{S}/casino/" target="_blank">澳门博彩 线上娱乐城</a></div>
</div>"""
        self.main.add("/index.html", Resource(body=page(SITE_NAME, home, nav_current="首页")))
        self.expect("link.hidden", f"{S}/casino/", "/")
        self.expect("link.redirect-chain", P_CHAIN[0], "/")
        self.expect("link.inconclusive", WAF_HREF, "/")

        # 政府信息公开 column home with CSS-hidden spam (link.hidden 2)
        blocks = []
        for code, name in XXGK_COLUMNS:
            lis = "".join(
                f'<li><a href="{escape(a.path)}" title="{escape(a.title)}">{escape(truncate(a.title, 22))}</a><span>{fmt_date(a.pub)}</span></li>'
                for a in self.cols[code][:5]
            )
            blocks.append(
                f'<div class="xxgk-block"><div class="xxgk-block-title"><a href="/xxgk/{code}/">{name}</a></div><ul>{lis}</ul></div>'
            )
        xxgk = f"""<div class="main w1200 clearfix">
{xxgk_sidebar("")}
<div class="xxgk-right">
{"".join(blocks)}
<div class="xxgk-block"><div class="xxgk-block-title">部门信息公开</div><ul><li><a href="/col/col1234/index.html">市教育局</a></li></ul></div>
<div class="xxgk-block"><div class="xxgk-block-title">依申请公开</div><ul><li><a href="{self.cols["gkzn"][1].path}">依申请公开办事指南</a></li></ul></div>
</div>
<div class="gg-x"><a href="{S}/lottery/" target="_blank">北京赛车pk10 彩票计划</a></div>
</div>"""
        style = "<style type=\"text/css\">.gg-x{position:absolute;left:-9999px;top:-9999px}</style>\n"
        self.main.add(
            "/xxgk/index.html",
            Resource(body=page("政府信息公开" + SITE_SUFFIX, xxgk, crumbs=[("首页", "/"), ("政府信息公开", None)], head_extra=style, nav_current="政府信息公开")),
        )
        self.expect("link.hidden", f"{S}/lottery/", "/xxgk/")

        # ordinary pages
        sitemap = "".join(f'<li><a href="/xxgk/{c}/">{n}</a></li>' for c, n in XXGK_COLUMNS)
        simple = {
            "/zwfw/index.html": ("政务服务", '<p>请通过<a href="/xxgk/gkzn/">政府信息公开指南</a>了解办事流程。</p>'),
            "/hdjl/index.html": ("互动交流", f'<ul><li><a href="{P_429}">在线访谈</a></li><li><a href="/lxwm/">联系我们</a></li></ul>'),
            "/zjly/index.html": ("走进临沂", f'<p>临沂，古称琅琊，地处山东省东南部。</p><p><a href="{P_SLOW3}">临沂风光</a></p>'),
            "/wzdt/index.html": ("网站地图", f'<ul><li><a href="/">首页</a></li><li><a href="/xxgk/">政府信息公开</a></li>{sitemap}<li><a href="/col/col1234/index.html">市教育局通知公告</a></li></ul>'),
            "/lxwm/index.html": ("联系我们", '<p>地址：临沂市北城新区北京路　邮编：276000</p><p>电话：<a href="tel:0539-8721234">0539-8721234</a></p>'),
            "/mzsm/index.html": ("免责声明", "<p>本网站所载内容仅供参考。</p>"),
            "/wza/index.html": ("无障碍浏览", "<p>无障碍浏览服务正在建设中。</p>"),
            "/search/index.html": ("站内搜索", "<p>请输入关键词进行搜索。</p>"),
        }
        for path, (title, inner) in simple.items():
            self.main.add(path, Resource(body=simple_page(title, inner, title)))

        self.main.add(
            P_PRIVATE,
            Resource(
                body=simple_page("内部资料", f'<p>本栏目仅限内部访问。</p><p><a href="{P_PRIVATE_MISSING}">2019年工作计划</a></p>', "内部资料"),
                page=False,  # disallowed by robots.txt
            ),
        )
        # assets
        self.main.add("/css/common.css", Resource(body=COMMON_CSS, content_type="text/css; charset=utf-8", page=False))
        self.main.add("/js/createPageHTML.js", Resource(body=PAGER_JS, content_type="application/javascript; charset=utf-8", page=False))
        self.main.add("/images/logo.png", Resource(body=files.make_png(), content_type=files.PNG_TYPE, page=False))
        self.main.add(
            "/robots.txt",
            Resource(body="User-agent: *\nDisallow: /private/\n", content_type="text/plain; charset=utf-8", page=False),
        )

    def _behaviours(self) -> None:
        m = self.main
        # link.broken (b): always 500
        m.add(P_ERROR_500, Resource(status=500, body="<h1>500 Internal Server Error</h1><p>java.lang.NullPointerException</p>", page=False))
        # link.broken (e): 12 s
        m.add(P_TIMEOUT, Resource(body=simple_page("旧版公文系统", "<p>加载完成。</p>"), delay=12.0, page=False))
        # redirect loop and chain
        m.add(P_LOOP_A, Resource(status=302, location=P_LOOP_B, body="", page=False))
        m.add(P_LOOP_B, Resource(status=302, location=P_LOOP_A, body="", page=False))
        codes = [301, 302, 307, 308]
        targets = P_CHAIN[1:] + [P_CHAIN_TARGET]
        for src, code, dst in zip(P_CHAIN, codes, targets):
            m.add(src, Resource(status=code, location=dst, body="", page=False))
        m.add(P_MOVED, Resource(status=301, location="/xxgk/index.html", body="", page=False))
        m.add(P_OUT, Resource(status=302, location=f"{O}/xxgk/index.html", body="", page=False))
        # soft 404 (a)
        m.add(
            P_SOFT404,
            Resource(
                body="""<!DOCTYPE html><html><head><meta charset="utf-8"><title>页面不存在</title></head>
<body><div class="error-page"><h1>页面不存在</h1><p>您访问的页面不存在，可能已被删除或更名。</p>
<p><a href="/">返回首页</a></p></div></body></html>
""",
                page=False,
            ),
        )
        # bot walls (link.inconclusive)
        m.add(P_WAF, Resource(status=412, body=_waf_page(), page=False))
        m.add(
            P_999,
            Resource(status=999, reason="Request denied", body="<html><body>Request denied</body></html>", page=False),
        )
        # look-alikes
        m.add(P_429, Resource(handler=_handler_429, page=True))
        m.add(P_SLOW3, Resource(body=simple_page("临沂风光", "<p>沂蒙山水，风光秀丽。</p>", "走进临沂"), delay=3.0))
        m.add(P_CAL, Resource(handler=_calendar, page=False))
        m.add(P_CAL + "index.html", Resource(handler=_calendar, page=False))
        m.add(P_BINARY, Resource(body=files.random_binary(), content_type="text/html", page=False))
        m.add(P_BIG, Resource(body=_big_report, page=False))

    def _lookalike_index(self) -> None:
        tzgg, fgwj = self.cols["tzgg"], self.cols["fgwj"]
        self.lookalikes.update(
            {
                "429-then-200": M + P_429,
                "slow-3s": M + P_SLOW3,
                "single-301": M + P_MOVED,
                "redirect-other-host": M + P_OUT,
                "cn-fullwidth-path": M + quote(tzgg[0].path),
                "jsessionid": M + JSESSION_HREF,
                "sid-query": M + SID_HREF,
                "calendar-trap": M + P_CAL + "?month=2024-01",
                "robots-private": M + P_PRIVATE,
                "robots-private-missing": M + P_PRIVATE_MISSING,
                "malformed-html": M + tzgg[4].path,
                "binary-as-html": M + P_BINARY,
                "big-3mb": M + P_BIG,
                "other-host-visible": O + "/",
                "hidden-same-host": M + "/xxgk/gkzn/index.html",
                "gbk-list-meta-gb2312": M + "/xxgk/fgwj/index.html",
                "gbk-meta-gb2312": M + fgwj[1].path,
                "gbk-no-charset": M + fgwj[2].path,
                "gbk-meta-utf8-lie": M + fgwj[3].path,
                "hanweb-list-page2": M + "/col/col1234/index.html?page=2",
                "title-with-site-suffix": M + self.cols["zcwj"][0].path,
            }
        )

    def _other_hosts(self) -> None:
        o = self.other
        o.add(
            "/index.html",
            Resource(
                body=_other_page(
                    "山东省人民政府",
                    '<ul><li><a href="/news/index.html">政务要闻</a></li><li><a href="/xxgk/index.html">政府信息公开</a></li></ul>',
                )
            ),
        )
        o.add(
            "/news/index.html",
            Resource(body=_other_page("政务要闻", '<ul><li><a href="/news/2024/0315/ok.html">省政府召开常务会议</a></li></ul>')),
        )
        o.add("/news/2024/0315/ok.html", Resource(body=_other_page("省政府召开常务会议", "<p>会议研究部署近期重点工作。</p>")))
        o.add("/xxgk/index.html", Resource(body=_other_page("山东省政府信息公开平台", '<p><a href="/news/index.html">政务要闻</a></p>')))
        o.add("/robots.txt", Resource(body="User-agent: *\nAllow: /\n", content_type="text/plain", page=False))
        spam = {
            "/casino/": "澳门博彩 线上娱乐城",
            "/lottery/": "彩票计划 北京赛车",
            "/game/": "真人棋牌",
            "/loan/": "无抵押贷款",
        }
        for path, title in spam.items():
            self.spam.add(
                path + "index.html",
                Resource(body=f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1></body></html>'),
            )


# ---------------------------------------------------------------------------
# dynamic handlers and special bodies


def _handler_429(req: Request) -> Response:
    if req.server.count(req.role, req.path) == 1:
        return Response(
            status=429,
            body="<html><head><title>429 Too Many Requests</title></head><body><h1>429 Too Many Requests</h1></body></html>",
            headers=[("Retry-After", "1")],
        )
    return Response(body=simple_page("在线访谈", "<p>本期访谈：优化营商环境，服务市场主体。</p>", "互动交流"))


def _calendar(req: Request) -> Response:
    month = req.param("month") or "2024-06"
    try:
        y, m = (int(x) for x in month.split("-", 1))
        if not 1 <= m <= 12 or not 1 <= y <= 99999:
            raise ValueError
    except ValueError:
        y, m = 2024, 6
    py, pm = (y, m - 1) if m > 1 else (y - 1, 12)
    ny, nm = (y, m + 1) if m < 12 else (y + 1, 1)
    days = "".join(f"<td>{d}</td>" + ("</tr><tr>" if d % 7 == 0 else "") for d in range(1, 29))
    inner = (
        f'<table class="calendar"><tr>{days}</tr></table>\n'
        f'<p><a href="{P_CAL}?month={py}-{pm:02d}">上一月</a> <a href="{P_CAL}?month={ny}-{nm:02d}">下一月</a></p>'
    )
    return Response(body=simple_page(f"{y}年{m}月政务活动日历", inner, "政务活动日历"))


def _waf_page() -> str:
    return """<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全拦截</title></head>
<body><div class="waf"><h1>网站防火墙</h1><p>您的访问被安全狗拦截！</p><p>请求存在威胁，已被拦截。</p>
<p>拦截时间：2024-06-30 10:00:00　事件ID：6f1c2a9e</p></div></body></html>
"""


def _other_page(title: str, inner: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_山东省人民政府</title></head>
<body><div class="header">山东省人民政府（样例）</div><div class="main"><h1>{title}</h1>{inner}</div>
<div class="footer">主办：山东省人民政府办公厅（样例）</div></body></html>
"""


def _other_error_page() -> str:
    # generic 200 answer of host 2 for every unknown path: a soft 404 without the usual
    # phrases (页面不存在, 信息已删除, 404 ...), only detectable by comparing with a random URL
    return """<!DOCTYPE html><html><head><meta charset="utf-8"><title>提示信息</title></head>
<body><div class="header">山东省人民政府（样例）</div><div class="tip"><h2>提示信息</h2>
<p>抱歉，您要查看的内容已被移除或调整。</p><p><a href="/">返回首页</a></p></div></body></html>
"""


def _malform(html: str) -> str:
    """Unclosed tags and stray end tags (a malformed but working page)."""
    broken = (
        '<p><b>报名时间：<font color="red">2024年3月1日至3月10日\n'
        "<table><tr><td>报名地点<td>市人力资源和社会保障局\n"
        "</div></div></span>\n"
        '<p>报名表下载见<a href="/xxgk/tzgg/">通知公告</a>栏目\n'
    )
    html = html.replace('<div id="zoom"><div class="TRS_Editor">', '<div id="zoom"><div class="TRS_Editor">\n' + broken, 1)
    return html.replace("</body>\n</html>", "", 1)


def _big_report() -> str:
    head = page(
        "临沂市人民政府2023年政府信息公开工作年度报告（全文）" + SITE_SUFFIX,
        '<div class="main w1200"><h1>临沂市人民政府2023年政府信息公开工作年度报告（全文）</h1>\n<table class="report">\n@@ROWS@@</table></div>',
        crumbs=[("首页", "/"), ("政府信息公开", "/xxgk/"), ("年度报告", "/xxgk/ndbg/")],
    )
    row = "<tr><td>{n}</td><td>主动公开政府信息情况</td><td>规章</td><td>本年制发件数</td><td>{v}</td><td>本年废止件数</td><td>0</td></tr>\n"
    rows, size, n = [], len(head.encode()), 0
    while size < BIG_SIZE + 1024:
        r = row.format(n=n, v=n % 97)
        rows.append(r)
        size += len(r.encode())
        n += 1
    return head.replace("@@ROWS@@", "".join(rows))


def build_full() -> SamplePortal:
    return FullPortalBuilder().build()
