"""A second generated portal style: 青山县人民政府 (sample), written from the CMS
descriptions of DOMAIN.md §7 (Hanweb JCMS ``/col/colN/`` columns with ``/art/…``
articles and the ``jpage`` data proxy, TRS-style department pages with
``createPageHTML``/``countPage`` pagers, ``.shtml``), not from the checks.

What makes it different from the "full" sample: list markup in ``<table>``,
``<dl>`` and ``<script type="text/xml"><datastore>`` records, a list that only
loads through ``/module/web/jpage/dataproxy.jsp`` (XML with CDATA records), the
信息公开目录 in an ``<iframe>``, pagers written by ``document.write``, chrome
(header, side block, footer) repeating on every page, article URLs outside the
column directories, and 相关文件 cross-links between articles — some of them
reached through a news article before any list shows them.

The forms real templates carry (:meth:`SecondPortalBuilder.real_forms`): on the home page
a hover dropdown menu, tab panels, a hidden 友情链接 list of another government's site and
``opacity:0`` share links revealed on hover (navigation: no finding); 暗链 in a 1-pixel
``<marquee>`` and in a block opened and closed by ``document.write`` (one ``link.hidden``
each); a ``display:none`` 本文件已废止 stamp left in a valid policy's template (no
finding); a UTF-16 page with a byte order mark and a page closing ``</html>`` after its
header (their planted personal data is found); ``/xxgk/flfg/`` and
``/xxgk/flfg/index.shtml`` (one page); a 1997 document republished in 2024 (not late).

Every planted defect is in ``portal.expected_templates`` (one per finding, with
its URL and page); every planted look-alike in ``portal.lookalikes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from urllib.parse import quote

from .model import MAIN, OTHER, SPAM, TOKENS, ExpectedFinding, Request, Resource, Response, SamplePortal, Site

M, O, S = TOKENS[MAIN], TOKENS[OTHER], TOKENS[SPAM]
SITE = "青山县人民政府"
SUFFIX = f"_{SITE}"
DISCLOSURE = "/col/col100/index.html"
TREE = "/module/xxgk/tree.jsp?divid=div100&webid=1"
PROXY = "/module/web/jpage/dataproxy.jsp"
PROXY_QUERY = ("webid=1&path=/&columnid={col}&unitid=9{col}&webname=" + quote(SITE) + "&permissiontype=0")
PER_PAGE = 8

COLUMN_NAMES = {10: "今日青山", 101: "公开指南", 103: "公开年报", 201: "政策文件", 202: "政策解读", 203: "通知公告",
                205: "法律法规", 301: "财政信息", 401: "工作动态"}
CHROME_NAV = [("首页", "/index.html"), ("政府信息公开", DISCLOSURE), ("政务服务", "/zwfw/index.html"),
              ("互动交流", "/hdjl/index.html"), ("走进青山", "/zjqs/index.html")]
CHROME_FOOT = [("网站地图", "/map/sitemap.html"), ("联系我们", "/lxwm/contact.html"), ("关于本网", "/gybw/about.html"),
               ("无障碍", "/wza/wza.html"), ("版权声明", "/bqsm/copyright.html")]
CHROME_SIDE = [("县长信箱", "/hdjl/xzxx/index.html"), ("依申请公开", "/ysqgk/index.html"),
               ("政务服务网", "/zwfw/index.html"), ("我要纠错", "/jiucuo/jiucuo.html")]


def id_number(prefix17: str) -> str:
    """A 居民身份证号 with its GB 11643 check character (DOMAIN.md §4.6)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(prefix17, weights))
    return prefix17 + "10X98765432"[total % 11]


def chrome(title: str, content: str, *, crumb: str = "") -> str:
    """A complete page: header nav, side block and footer repeat on every page."""
    nav = "".join(f'<li><a href="{h}">{t}</a></li>' for t, h in CHROME_NAV)
    side = "".join(f'<li><a href="{h}">{t}</a></li>' for t, h in CHROME_SIDE)
    foot = " | ".join(f'<a href="{h}">{t}</a>' for t, h in CHROME_FOOT)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{escape(title)}</title>
<script language="javascript" src="/module/web/jpage/jpage.js"></script></head>
<body><div class="head"><div class="logo"><a href="/index.html"><img src="/images/logo.png" alt="{SITE}"></a></div>
<ul class="menu">{nav}</ul></div>
<div class="location">您当前的位置：<a href="/index.html">首页</a> &gt; {escape(crumb or title)}</div>
<div class="main"><div class="left">{content}</div>
<div class="right"><h3>快捷入口</h3><ul class="quick">{side}</ul></div></div>
<div class="foot"><p>{foot}</p><p>友情链接：<a href="{O}/">邻县人民政府</a></p>
<p>主办：{SITE}办公室 网站标识码：3311270001 浙ICP备12345678号</p></div>
</body></html>
"""


@dataclass
class Doc:
    """One article (policy, 解读, notice, …) with its metadata and body."""

    key: str
    title: str
    published: date
    column: int
    path: str = ""
    signed: date | None = None
    doc_no: str = ""
    validity: str = "有效"
    body: list[str] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)   # (doc key or path, anchor)
    attachments: list[tuple[str, str]] = field(default_factory=list)
    list_date: date | None = None
    list_anchor: str | None = None
    meta_skip: tuple[str, ...] = ()
    served: bool = True   # False: the path answers with something else (set up separately)
    extra: str = ""
    index_no: str = ""
    trs: bool = False     # a TRS department page (:meth:`SecondPortalBuilder.trs_article`)
    news: bool = False    # … a news page: its date line is all it shows of its metadata


class SecondPortalBuilder:
    def __init__(self) -> None:
        self.main = Site(MAIN, SITE)
        self.other = Site(OTHER, "邻县人民政府")
        self.spam = Site(SPAM, "spam")
        self.expected: list[ExpectedFinding] = []
        self.lookalikes: dict[str, str] = {}
        self.docs: dict[str, Doc] = {}
        self.seq = 1000

    # -- helpers -----------------------------------------------------------
    def expect(self, check: str, url: str, page: str | None) -> None:
        def absolute(u: str) -> str:
            return u if "://" in u or u.startswith("@@") else M + u
        self.expected.append(ExpectedFinding(check, absolute(url), absolute(page) if page else None))

    def alike(self, name: str, path: str) -> None:
        self.lookalikes[name] = path if "://" in path or path.startswith("@@") else M + path

    def html(self, path: str, body: str, status: int = 200) -> None:
        self.main.add(path, Resource(body=body, status=status))

    def doc(self, d: Doc) -> Doc:
        self.seq += 1
        p = d.published
        d.path = d.path or f"/art/{p.year}/{p.month}/{p.day}/art_{d.column}_{self.seq}.html"
        d.index_no = f"001008003/{p.year}-{self.seq:05d}"
        self.docs[d.key] = d
        return d

    def href(self, ref: str) -> str:
        return self.docs[ref].path if ref in self.docs else ref

    # -- pages -----------------------------------------------------------
    def article(self, d: Doc) -> str:
        fields = [("索引号", d.index_no), ("发布机构", SITE),
                  ("公开方式", "主动公开"), ("组配分类", COLUMN_NAMES.get(d.column, "其他")), ("文号", d.doc_no),
                  ("成文日期", d.signed.strftime("%Y年%m月%d日") if d.signed else ""),
                  ("发布日期", d.published.isoformat()), ("有效性", d.validity)]
        cells = [(k, v) for k, v in fields if k not in d.meta_skip and (v or k not in ("文号", "成文日期"))]
        rows = "".join(
            "<tr>" + "".join(f'<th>{k}：</th><td>{escape(v)}</td>' for k, v in cells[i:i + 2]) + "</tr>"
            for i in range(0, len(cells), 2))
        body = "".join(f"<p>{escape(x)}</p>" for x in d.body)
        att = "".join(f'<p>附件：<a href="{h}">{escape(t)}</a></p>' for h, t in d.attachments)
        rel = "".join(f'<li><a href="{self.href(r)}">{escape(a)}</a></li>' for r, a in d.related)
        rel = f'<div class="xgwj"><h4>相关文件</h4><ul>{rel}</ul></div>' if rel else ""
        content = (f'<table class="xxgk_table">{rows}</table><div class="article"><h1>{escape(d.title)}</h1>'
                   f'<div class="article-content"><!--ContentStart-->{body}{att}<!--ContentEnd--></div>'
                   f'{d.extra}{rel}</div>')
        return chrome(d.title + SUFFIX, content, crumb="正文")

    def trs_article(self, d: Doc) -> str:
        """A TRS department page in the forms real ones take: the site's name before the
        title in <title>, a 友情链接 block headed by an <h2> before the article, the title in
        a <div>, a date line with one field and 字体【大 中 小】 buttons, and the metadata as
        a header row of labels over one row of values, whose 文号 cell, for a document
        without one, holds only the script that would write it."""
        no = escape(d.doc_no) if d.doc_no else (
            '<script>var fileNum = "";if(fileNum.indexOf("号") == -1){document.write(\'号\');}</script>')
        cells = [("索引号", escape(d.index_no)), ("发布机构", SITE), ("公开方式", "主动公开"),
                 ("发布日期", d.published.isoformat()), ("文号", no), ("有效性", d.validity)]
        table = ("<table class=\"xxgk\"><tr>" + "".join(f"<td>{k}</td>" for k, _ in cells) + "</tr><tr>"
                 + "".join(f"<td>{v}</td>" for _, v in cells) + "</tr></table>")
        zoom = " ".join(f'<a href="javascript:doZoom({n})">{t}</a>' for t, n in (("大", 18), ("中", 16), ("小", 14)))
        body = "".join(f"<p>{escape(x)}</p>" for x in d.body)
        content = (f'<div class="yqlj"><h2>友情链接</h2><ul><li><a href="{O}/">邻县人民政府</a></li>'
                   f'<li><a href="/index.html">{SITE}</a></li></ul></div>'
                   f'<div class="article"><div class="title">{escape(d.title)}</div>'
                   f'<p class="info">发布时间：{d.published.isoformat()} 来源：本网 字体：【{zoom}】</p>'
                   f'{"" if d.news else table}<div class="TRS_Editor">{body}</div>{d.extra}</div>')
        return chrome(f"{SITE}-{d.title}", content, crumb="正文")

    def register(self) -> None:
        for d in self.docs.values():
            if d.served:
                self.html(d.path, self.trs_article(d) if d.trs else self.article(d))

    def li(self, d: Doc, tag: str = "li") -> str:
        when = (d.list_date or d.published).isoformat()
        anchor = escape(d.list_anchor or d.title)
        if tag == "tr":
            return f'<tr><td class="bt"><a href="{d.path}" target="_blank">{anchor}</a></td><td>{when}</td></tr>'
        if tag == "dl":
            return f'<dl><dt><a href="{d.path}">{anchor}</a></dt><dd>{when}</dd></dl>'
        return f'<li><a href="{d.path}" title="{anchor}">{anchor}</a><span class="bt-data">{when}</span></li>'

    def of(self, column: int) -> list[Doc]:
        return sorted((d for d in self.docs.values() if d.column == column),
                      key=lambda d: (d.list_date or d.published, d.path), reverse=True)

    # -- content ---------------------------------------------------------
    def content(self) -> None:
        text = ["为深入贯彻落实党中央、国务院决策部署，结合我县实际，制定本文件。",
                "各乡镇人民政府、街道办事处，县政府各部门要提高认识，加强组织领导，确保各项任务落到实处。"]
        pol = [
            ("p01", "青山县人民政府关于印发青山县农村人居环境整治提升五年行动实施方案的通知", date(2024, 6, 3), "青政发〔2024〕8号"),
            ("p02", "青山县人民政府关于农村人居环境整治提升五年行动的实施意见", date(2024, 5, 27), "青政发〔2024〕7号"),
            ("p03", "青山县人民政府办公室关于印发青山县优化营商环境若干措施的通知", date(2024, 5, 20), "青政办发〔2024〕12号"),
            ("p04", "青山县人民政府办公室关于印发青山县促进民营经济发展若干措施的通知", date(2024, 5, 13), "青政办发〔2024〕11号"),
            ("p05", "青山县人民政府关于印发青山县城乡低保审批管理办法的通知", date(2024, 5, 6), "青政发〔2024〕6号"),
            ("p06", "青山县人民政府办公室关于印发青山县养老服务体系建设实施方案的通知", date(2024, 4, 29), "青政办发〔2024〕9号"),
            ("p07", "青山县人民政府办公室关于印发青山县促进家政服务业提质扩容实施方案的通知", date(2024, 4, 22), "青政办发〔2024〕8号"),
            ("p08", "青山县人民政府关于印发青山县科技创新券管理办法的通知", date(2024, 4, 15), "青政发〔2024〕5号"),
            ("p09", "青山县人民政府办公室关于印发青山县农业产业化龙头企业认定办法的通知", date(2024, 4, 8), "青政办发〔2024〕6号"),
            ("p10", "青山县人民政府办公室关于印发青山县城镇老旧小区改造实施方案的通知", date(2024, 3, 25), "青政办发〔2024〕5号"),
            ("p11", "青山县人民政府关于印发青山县城乡低保审批管理办法的通知", date(2019, 3, 4), "青政发〔2019〕5号"),
            ("p12", "青山县人民政府办公室关于印发青山县职业技能提升补贴办法的通知", date(2023, 3, 6), "青政办发〔2023〕4号"),
            ("p13", "青山县人民政府办公室关于印发青山县公共租赁住房管理办法的通知", date(2021, 2, 22), "青政办发〔2021〕3号"),
            ("p14", "青山县人民政府办公室关于印发青山县全民健身实施方案的通知", date(2024, 2, 26), "青政办发〔2024〕3号"),
        ]
        for key, title, day, no in pol:
            self.doc(Doc(key, title, day, 201, signed=day, doc_no=no, body=list(text)))
        d = self.docs
        # documents: validity and repeal
        d["p05"].body.append("本办法自2024年5月6日起施行，《青山县城乡低保审批管理办法》（青政发〔2019〕5号）同时废止。")
        d["p11"].body.append("本办法自2019年3月4日起施行。")
        self.expect("document.repealed-unmarked", d["p11"].path, None)
        d["p12"].body.append("本办法自2023年3月6日起施行，有效期5年。")
        d["p12"].validity = "失效"
        self.expect("document.marking-wrong", d["p12"].path, None)
        d["p13"].body.append("本办法自2021年3月1日起施行，有效期3年。")
        self.expect("document.expired-unmarked", d["p13"].path, None)
        # timeliness and metadata
        d["p14"].signed = date(2024, 1, 2)
        self.expect("disclosure.late", d["p14"].path, None)
        d["p10"].signed = date(2024, 3, 1)   # 15 working days: on time (look-alike)
        self.alike("disclosure-on-time", d["p10"].path)
        d["p09"].meta_skip = ("索引号",)
        self.expect("metadata.missing", d["p09"].path, None)
        d["p08"].list_date = date(2024, 4, 25)
        self.expect("metadata.inconsistent", d["p08"].path, None)
        # privacy: the policy whose first link comes from a news article's 相关文件
        d["p06"].body.append("联系人：王某某，身份证号：" + id_number("33012719850312631") + "。")
        self.expect("privacy.id-number", d["p06"].path, None)
        # interpretations (解读 column 202, <dl> list)
        jd = [("j01", "p01", date(2024, 6, 3)), ("j03", "p03", date(2024, 5, 20)), ("j05", "p05", date(2024, 5, 6)),
              ("j06", "p06", date(2024, 4, 29)), ("j07", "p07", date(2024, 5, 24)), ("j08", "p08", date(2024, 4, 15)),
              ("j09", "p09", date(2024, 4, 8)), ("j10", "p10", date(2024, 3, 25)), ("j13", "p13", date(2021, 2, 22))]
        for key, policy, day in jd:
            name = d[policy].title.split("关于印发")[-1].removesuffix("的通知")
            self.doc(Doc(key, f"《{name}》政策解读", day, 202,
                         body=[f"近日，{SITE}印发了《{name}》（以下简称《方案》）。现就有关内容解读如下。",
                               "一、出台背景。二、主要内容。三、保障措施。"],
                         related=[(policy, d[policy].title)]))
            d[policy].related.append((key, f"《{name}》政策解读"))
        self.expect("policy.late-interpretation", d["p07"].path, d["j07"].path)
        self.expect("policy.no-interpretation", d["p02"].path, None)
        self.expect("policy.no-interpretation", d["p04"].path, None)
        # a 解读 behind a bot wall: its list entry is the evidence (look-alike for p14's pairing)
        waf = self.doc(Doc("waf14", "《青山县全民健身实施方案》政策解读", date(2024, 2, 26), 202, served=False))
        self.main.add(waf.path, Resource(body=_waf(), status=412, content_type="text/html; charset=utf-8"))
        self.expect("link.inconclusive", waf.path, None)
        self.alike("interpretation-behind-waf", d["p14"].path)
        # wrong links between sibling documents of the same issuer, and their look-alikes
        d["j03"].related.append(("p04", d["p03"].title))
        self.expect("link.wrong", d["p04"].path, d["j03"].path)
        d["j01"].related.append(("p02", "《青山县农村人居环境整治提升五年行动实施方案》"))
        self.expect("link.wrong", d["p02"].path, d["j01"].path)
        d["j10"].related.append(("p10", "《老旧小区改造方案》"))            # abbreviated, same document
        d["j08"].related.append(("p08", "关于印发青山县科技创新券管理办法..."))  # truncated, same document
        self.alike("abbreviated-anchor", d["p10"].path)
        # notices (column 203, <table> list, ?pageNum= pager)
        notices = [("n01", "青山县2024年夏季防汛工作的通知", date(2024, 6, 26)),
                   ("n02", "关于开展2024年度城乡居民医保集中参保工作的通告", date(2024, 6, 18)),
                   ("n03", "青山县2024年公开招聘社区工作者公告", date(2024, 6, 6)),
                   ("n04", "关于2024年度县级残疾人两项补贴发放对象的公示", date(2024, 5, 30)),
                   ("n05", "关于做好2024年高温天气劳动保护工作的通知", date(2024, 5, 23)),
                   ("n06", "青山县2024年春季森林防火工作通知", date(2024, 3, 12)),
                   ("n07", "关于公布青山县第三批县级非物质文化遗产名录的公告", date(2024, 2, 2)),
                   ("n08", "关于2024年元旦春节期间安全生产工作的通知", date(2023, 12, 28)),
                   ("n09", "关于调整县城区公交线路的公告", date(2023, 11, 6)),
                   ("n10", "青山县2023年秋季征兵工作通告", date(2023, 8, 1))]
        for key, title, day in notices:
            self.doc(Doc(key, title, day, 203, body=list(text)))
        d["n01"].body.append("联系电话：13957112345（李科长），0571-63012345。")
        self.expect("privacy.mobile", d["n01"].path, None)
        d["n02"].body.append("咨询电话：139****2345；身份证号：330127********6311。")
        self.alike("masked-personal-data", d["n02"].path)
        d["n03"].body.append("报名人员：张某，身份证号：" + id_number("33012719900101123") + "，已通过资格审查。")
        self.expect("privacy.id-number", d["n03"].path, None)
        d["n04"].body.append("统一社会信用代码：123301275000123456X；编号：3301271985031263156。")
        self.alike("long-numbers", d["n04"].path)
        d["n05"].attachments = [("/uploads/2024/gwbh.pdf", "高温天气劳动保护措施.pdf")]
        self.main.add("/uploads/2024/gwbh.pdf", Resource(status=404, body="Not Found", content_type="text/html",
                                                        page=False))
        self.expect("attachment.broken", "/uploads/2024/gwbh.pdf", d["n05"].path)
        d["n06"].extra = (f'<div style="display:none"><a href="{S}/bet/index.html">体育投注</a>'
                          f'<a href="/index.html">首页</a></div>')
        self.expect("link.hidden", f"{S}/bet/index.html", d["n06"].path)
        d["n07"].related = [("/art/2022/1/1/art_203_999.html", "关于公布青山县第二批县级非物质文化遗产名录的公告"),
                            ("/art/2021/5/6/art_203_404.html", "关于公布青山县第一批县级非物质文化遗产名录的公告")]
        self.html("/art/2022/1/1/art_203_999.html", chrome("提示" + SUFFIX, "<p>您访问的页面不存在或已被删除！</p>"))
        self.expect("link.soft404", "/art/2022/1/1/art_203_999.html", d["n07"].path)
        self.expect("link.broken", "/art/2021/5/6/art_203_404.html", d["n07"].path)
        d["n08"].related = [("/r/a.html", "2023年安全生产工作总结"), ("/r/c1.html", "县应急管理局")]
        self.main.add("/r/a.html", Resource(status=302, location="/r/b.html", body=""))
        self.main.add("/r/b.html", Resource(status=302, location="/r/a.html", body=""))
        for i in range(1, 5):
            self.main.add(f"/r/c{i}.html", Resource(status=301, location=f"/r/c{i + 1}.html", body=""))
        self.main.add("/r/c5.html", Resource(body=chrome("县应急管理局" + SUFFIX, "<p>县应急管理局</p>")))
        self.expect("link.redirect-loop", "/r/a.html", d["n08"].path)
        self.expect("link.redirect-chain", "/r/c1.html", d["n08"].path)
        # regulations (column 205, TRS-style static list under /xxgk/flfg/)
        self.doc(Doc("r01", "中华人民共和国政府信息公开条例", date(2018, 3, 1), 205, trs=True,
                     path="/xxgk/flfg/201803/t20180301_5001.shtml",
                     body=["（2007年4月5日中华人民共和国国务院令第492号公布）",
                           "第一条 为了保障公民、法人和其他组织依法获取政府信息，制定本条例。"]))
        self.expect("regulation.stale", d["r01"].path, None)
        self.doc(Doc("r02", "优化营商环境条例", date(2024, 3, 1), 205, trs=True,
                     path="/xxgk/flfg/202403/t20240301_5002.shtml",
                     body=["（2019年10月22日中华人民共和国国务院令第722号公布 自2020年1月1日起施行）",
                           "第一条 为了持续优化营商环境，制定本条例。"]))
        self.alike("regulation-current", d["r02"].path)
        # 财政局 (column 301, inline datastore), 教育局 (TRS .shtml pager, stale)
        for i, (title, day) in enumerate([("青山县2024年5月财政收支情况", date(2024, 6, 14)),
                                          ("青山县2024年4月财政收支情况", date(2024, 5, 15)),
                                          ("青山县2023年度县级决算公开", date(2024, 4, 2))]):
            self.doc(Doc(f"c0{i}", title, day, 301, body=list(text)))
        for i in range(11):
            day = date(2023, 9, 1 + i)
            self.doc(Doc(f"e{i:02d}", f"青山县教育局召开2023年秋季学期第{i + 1}次工作例会", day, 401, trs=True,
                         path=f"/jyj/zwgk/{day:%Y%m}/t{day:%Y%m%d}_{7000 + i}.shtml", body=list(text)))
        # 工作动态 (column 402): a list without dates of news pages that show their date in
        # the date line only (fresh: the look-alike of an undated column)
        for i, day in enumerate([date(2024, 6, 25), date(2024, 6, 18), date(2024, 6, 11)]):
            self.doc(Doc(f"w0{i}", f"县政务服务中心开展窗口服务提升第{i + 1}次集中培训", day, 402, trs=True, news=True,
                         path=f"/zwdt/{day:%Y%m}/t{day:%Y%m%d}_{8000 + i}.shtml", body=list(text)))
        # news on the home page; their 相关文件 link policies and 解读 before any list does
        for i, (title, day, rel) in enumerate([
                ("县政府召开常务会议研究养老服务体系建设", date(2024, 6, 27), [("p06", d["p06"].title), ("j06", d["j06"].title)]),
                ("县长调研农村人居环境整治工作", date(2024, 6, 24), [("j01", d["j01"].title)]),
                ("我县举行2024年防汛应急演练", date(2024, 6, 20), [])]):
            self.doc(Doc(f"x0{i}", title, day, 10, body=list(text), related=rel))

    # -- lists -------------------------------------------------------------
    def lists(self) -> None:
        dl = "".join(self.li(x, "dl") for x in self.of(202))
        self.html("/col/col202/index.html", chrome("政策解读" + SUFFIX, f'<div class="jd-list">{dl}</div>'))
        rows = [self.li(x, "tr") for x in self.of(203)]
        for n, chunk in enumerate((rows[:6], rows[6:]), start=1):
            pager = ('<a href="?pageNum=2">下一页</a>' if n == 1 else '<a href="?pageNum=1">上一页</a>')
            body = chrome("通知公告" + SUFFIX, f'<table class="list" width="100%">{"".join(chunk)}</table>'
                                              f'<div class="pages">{pager}</div>')
            self.html("/col/col203/index.html" + ("" if n == 1 else "?pageNum=2"), body)
        # 政策文件: only the jpage proxy carries the list
        nextgroup = f'<a href="{PROXY}?page=1&{PROXY_QUERY.format(col=201)}"></a>'
        self.html("/col/col201/index.html", chrome("政策文件" + SUFFIX, (
            f'<div id="9201"><script type="text/xml"><datastore><column>201</column>'
            f'<nextgroup><![CDATA[{nextgroup}]]></nextgroup><recordset></recordset></datastore></script>'
            '<script>new Jpage({ "url": "/module/web/jpage/dataproxy.jsp", "proxy": true, "perpage": 8 });'
            '</script></div>')))
        records = [self.li(x) for x in self.of(201)]
        pages = (len(records) + PER_PAGE - 1) // PER_PAGE

        def proxy(req: Request) -> Response:
            try:
                no = max(1, int(req.param("page", "1") or 1))
            except ValueError:
                no = 1
            if req.param("columnid") != "201":
                return Response(status=404, body="Not Found", content_type="text/html")
            chunk = records[(no - 1) * PER_PAGE:no * PER_PAGE]
            recs = "".join(f"<record><![CDATA[{r}]]></record>" for r in chunk)
            xml = (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{len(records)}</totalrecord>'
                   f'<totalpage>{pages}</totalpage><recordset>{recs}</recordset></datastore>')
            return Response(body=xml, content_type="text/xml; charset=utf-8")

        self.main.add(PROXY, Resource(handler=proxy, page=False))
        # 财政局: records inline in the datastore
        recs = "".join(f"<record><![CDATA[{self.li(x)}]]></record>" for x in self.of(301))
        self.html("/col/col301/index.html", chrome("县财政局" + SUFFIX, (
            f'<div id="9301"><script type="text/xml"><datastore><totalrecord>{len(self.of(301))}</totalrecord>'
            f'<recordset>{recs}</recordset></datastore></script></div>')))
        self.html("/col/col302/index.html", chrome("县人社局" + SUFFIX, '<div class="list"><p>暂无信息</p></div>'))
        self.expect("column.empty", "/col/col302/index.html", None)
        self.html("/col/col102/index.html", chrome("政府信息公开制度" + SUFFIX, '<div class="list"><ul></ul></div>'))
        self.expect("column.empty", "/col/col102/index.html", None)
        self.html("/col/col101/index.html", chrome("政府信息公开指南" + SUFFIX, "".join(
            f"<p>{x}</p>" for x in ["为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制本指南。",
                                    "一、公开的主体和范围。本县各行政机关主动公开的政府信息，通过本网站政府信息公开专栏发布。",
                                    "二、依申请公开。公民、法人或者其他组织可以向本县各行政机关申请获取相关政府信息。",
                                    "三、监督和救济。公民、法人或者其他组织认为行政机关侵犯其合法权益的，可以依法投诉、举报。"] * 2)))
        self.alike("guide-with-text", "/col/col101/index.html")
        news = "".join(f'<li><a href="{x.path}">{escape(x.title)}</a></li>' for x in self.of(402))
        self.html("/col/col402/index.html", chrome("工作动态" + SUFFIX, f'<ul class="list">{news}</ul>'))
        self.alike("undated-list-dated-pages", "/col/col402/index.html")
        # 部门信息公开: a hub of /col/ sub-columns unrelated to its own path, plus a TRS department
        hub = "".join(f'<li><a href="{h}">{t}</a></li>' for t, h in [
            ("县财政局", "/col/col301/index.html"), ("县人社局", "/col/col302/index.html"),
            ("县教育局", "/jyj/zwgk/list_zw_wj.shtml")])
        self.html("/col/col204/index.html", chrome("部门信息公开" + SUFFIX, f'<ul class="bm-list">{hub}</ul>'))
        self.alike("department-hub", "/col/col204/index.html")
        # 教育局: createPageHTML('page_div', N, i, 'list_zw_wj', 'shtml', total)
        edu = [self.li(x, "tr") for x in self.of(401)]
        count = (len(edu) + 3) // 4
        for i in range(count):
            name = "list_zw_wj.shtml" if i == 0 else f"list_zw_wj_{i}.shtml"
            script = (f"<div id=\"page_div\"></div><script>createPageHTML('page_div', {count}, {i}, 'list_zw_wj',"
                      f" 'shtml', {len(edu)});</script>")
            self.html(f"/jyj/zwgk/{name}", chrome("教育局工作动态" + SUFFIX,
                                                  f'<table class="list">{"".join(edu[i * 4:(i + 1) * 4])}</table>{script}'))
        self.expect("column.stale", "/jyj/zwgk/list_zw_wj.shtml", None)
        # 法律法规: TRS static list with a countPage/document.write pager (one page)
        flfg = "".join(self.li(x) for x in self.of(205))
        self.html("/xxgk/flfg/index.shtml", chrome("法律法规" + SUFFIX, (
            f'<p class="crumb"><a href="/xxgk/flfg/">法律法规</a></p><ul class="list">{flfg}</ul><script>var countPage = 1; var currentPage = 0;'
            'if (countPage > 1) { document.write("<a href=\\"index_1.shtml\\">下一页</a>"); }</script>')))
        # 公开年报
        reports = [Doc("y23", "青山县人民政府2023年政府信息公开工作年度报告", date(2024, 1, 19), 103, body=list(
            ["根据《中华人民共和国政府信息公开条例》要求，编制本报告。"] * 3)),
            Doc("y22", "青山县人民政府2022年政府信息公开工作年度报告", date(2023, 1, 18), 103,
                body=["根据《中华人民共和国政府信息公开条例》要求，编制本报告。"] * 3)]
        for r in reports:
            self.doc(r)
        self.html("/col/col103/index.html", chrome("政府信息公开年报" + SUFFIX,
                                                   "<ul>" + "".join(self.li(r) for r in reports) + "</ul>"))
        # the disclosure hub and its 信息公开目录 iframe
        top = "".join(f'<li><a href="{h}">{t}</a></li>' for t, h in [
            ("政府信息公开指南", "/col/col101/index.html"), ("政府信息公开制度", "/col/col102/index.html"),
            ("政府信息公开年报", "/col/col103/index.html")])
        self.html(DISCLOSURE, chrome("政府信息公开" + SUFFIX, (
            f'<ul class="gk-top">{top}</ul><h3>信息公开目录</h3>'
            f'<iframe src="{TREE}" width="100%" height="600" frameborder="0" scrolling="no"></iframe>')))
        self.alike("disclosure-hub", DISCLOSURE)
        tree = "".join(f'<li><a href="{h}" target="_parent">{t}</a></li>' for t, h in [
            ("政策文件", "/col/col201/index.html"), ("政策解读", "/col/col202/index.html"),
            ("通知公告", "/col/col203/index.html"), ("部门信息公开", "/col/col204/index.html"),
            ("法律法规", "/xxgk/flfg/index.shtml"), ("工作动态", "/col/col402/index.html")])
        self.main.add(TREE, Resource(body=f'<html><head><meta charset="utf-8"><title>信息公开目录</title></head>'
                                          f'<body><ul class="tree">{tree}</ul></body></html>'))
        # home: fresh news (chrome + dated list) and the navigation forms of real templates
        news = "".join(self.li(x) for x in self.of(10))
        home = f'<div class="news"><h3>今日青山</h3><ul>{news}</ul></div>{self.home_navigation()}'
        self.html("/index.html", chrome(SITE, home))
        self.html("/", chrome(SITE, home))

    def home_navigation(self) -> str:
        """A hover dropdown, tab panels, a hidden 友情链接 list, opacity:0 share links."""
        closed = ' style="display:none"'
        panels = "".join(
            f'<div id="tab{i}" class="tab-panel"{"" if i == 1 else closed}>'
            f'<ul>{"".join(self.li(x) for x in self.of(column)[:4])}</ul></div>'
            for i, column in enumerate((203, 201), start=1))
        return (
            '<style>.dropdown .sub{display:none} .dropdown:hover .sub{display:block}</style>'
            '<ul class="dropdown"><li><a href="/zwfw/index.html">政务服务</a>'
            '<ul class="sub"><li><a href="/col/col202/index.html">政策解读</a></li>'
            '<li><a href="/col/col203/index.html">通知公告</a></li></ul></li></ul>'
            '<div class="tabs"><ul class="tab-title"><li onmouseover="tab(1)">通知公告</li>'
            f'<li onmouseover="tab(2)">政策文件</li></ul>{panels}</div>'
            '<script>function tab(n){for(var i=1;i<3;i++){document.getElementById("tab"+i).style.display='
            'i==n?"block":"none";}}</script>'
            f'<div class="yqlj"><span>友情链接</span><ul style="display:none"><li><a href="{O}/">邻县人民政府</a></li>'
            '</ul></div>'
            f'<div class="share"><a href="{O}/" style="opacity:0">分享到政务微博</a></div>'
            '<style>.share a:hover{opacity:1}</style>')

    def chrome_pages(self) -> None:
        for t, h in CHROME_NAV[2:] + CHROME_FOOT + CHROME_SIDE[:3]:
            if h not in self.main.resources:
                self.html(h, chrome(t + SUFFIX, f"<p>{t}页面。本页面为{SITE}网站的固定栏目。</p>"))
        self.main.add("/jiucuo/jiucuo.html", Resource(status=404, body="Not Found", content_type="text/html",
                                                     page=False))
        self.expect("link.broken", "/jiucuo/jiucuo.html", "/index.html")
        for image in ("/images/logo.png", "/images/fz.png"):
            self.main.add(image, Resource(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png", page=False))
        self.main.add("/module/web/jpage/jpage.js", Resource(body="function Jpage(o){}", page=False,
                                                             content_type="application/javascript"))
        self.main.add("/robots.txt", Resource(body="User-agent: *\nAllow: /\n", content_type="text/plain", page=False))
        self.other.add("/", Resource(body=f'<html><head><meta charset="utf-8"><title>邻县人民政府</title></head>'
                                          '<body><p>邻县人民政府</p></body></html>'))
        self.spam.resolvers.append(lambda path: Resource(body="<html><title>bet</title></html>"))

    def real_forms(self) -> None:
        """The forms of real templates (see the module docstring), planted and look-alike."""
        text = ["为深入贯彻落实党中央、国务院决策部署，结合我县实际，现将有关事项通知如下。"]
        d = self.docs
        d["p01"].extra = '<div class="fzbz" style="display:none"><img src="/images/fz.png" alt="已废止"><span>本文件已废止</span></div>'
        self.alike("hidden-repeal-stamp", d["p01"].path)
        d["n09"].extra = (f'<marquee height="1" width="1" scrollamount="3000"><a href="{S}/m/index.html">优惠活动</a>'
                          f'</marquee>')
        self.expect("link.hidden", f"{S}/m/index.html", d["n09"].path)
        d["n10"].extra = ('<script>document.write("<div style=\'display:none\'>");</script>'
                          f'<a href="{S}/w/index.html">网站建设</a><script>document.write("</div>");</script>')
        self.expect("link.hidden", f"{S}/w/index.html", d["n10"].path)
        old = self.doc(Doc("old", "青山县人民政府关于公布第一批县级文物保护单位的通告", date(2024, 6, 12), 203,
                           signed=date(1997, 3, 10), body=list(text)))
        self.alike("old-document-republished", old.path)
        u16 = self.doc(Doc("u16", "关于征集2024年民生实事项目建议的公告", date(2024, 6, 10), 203, served=False,
                           body=[*text, "联系电话：13857112346（张科长）。"]))
        self.expect("privacy.mobile", u16.path, None)
        early = self.doc(Doc("early", "关于开展2024年度防汛物资储备检查的通知", date(2024, 6, 14), 203, served=False,
                             body=[*text, "检查人员：赵某，身份证号：" + id_number("33012719870504231") + "。"]))
        self.expect("privacy.id-number", early.path, None)

    def real_pages(self) -> None:
        """Serve the UTF-16 page, the page with a stray </html> and the twin list address."""
        u16, early = self.docs["u16"], self.docs["early"]
        self.main.add(u16.path, Resource(body=self.article(u16).replace(
            '<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=unicode">'),
            content_type="text/html", encoding="utf-16"))
        self.html(early.path, self.article(early).replace(
            '<div class="location">', '</body></html>\n<!--end header-->\n<div class="location">', 1))
        # the list links its own directory (its breadcrumb), which answers with the same page
        self.html("/xxgk/flfg/", self.main.resources["/xxgk/flfg/index.shtml"].body)
        self.alike("directory-and-index", "/xxgk/flfg/")

    def build(self) -> SamplePortal:
        self.content()
        self.real_forms()
        self.lists()
        self.register()
        self.real_pages()
        self.chrome_pages()
        pages = sum(1 for r in self.main.resources.values() if r.page and r.status == 200)
        return SamplePortal(kind="second", sites={MAIN: self.main, OTHER: self.other, SPAM: self.spam},
                            expected_templates=self.expected, pages=pages, lookalikes=self.lookalikes,
                            description=f"{SITE}(sample): Hanweb JCMS + TRS department pages, second style")


def _waf() -> str:
    return ('<html><head><meta charset="utf-8"><title>访问被拦截</title></head><body>'
            '<p>您的请求存在威胁，已被网站防火墙拦截。</p></body></html>')


def build_second() -> SamplePortal:
    return SecondPortalBuilder().build()
