"""Sample pages for the timeliness, metadata, privacy and column checks (issue 4).

``add(builder)`` is called once by the full-portal builder after its own pages exist.
It adds a 法定主动公开内容 block of sub-columns to the 政府信息公开 page (/xxgk/), the
sub-columns and their articles, and two small extra sites (own home pages under /zhen/ and
/jd/, not linked from the portal) for the home-page rule; every planted defect goes into ``builder.expected``
and every look-alike into ``builder.lookalikes``.

Planted defects
---------------
disclosure.late
  /xxgk/gfxwj/…_5101 成文 2024-03-01 → 发布 2024-04-15 (30 working days; TRS, ISO dates)
  /xxgk/gfxwj/…_5102 成文 2023年9月25日 → 发布 2023年11月6日 (26 working days across 国庆;
      GBK page, dates in 年月日 form, signature 二〇二三年九月二十五日)
  /xxgk/xzcf/…_5201 行政处罚决定书 2024-04-26 → 2024-05-10 (8 working days > 7 across 五一;
      list dates 2024/05/10)
  /xxgk/xzcf/…_5203 准予行政许可决定书 2024-03-29 → 2024-04-12 (9 > 7 across 清明; Hanweb
      <ul> metadata layout, GBK)
metadata.missing
  /xxgk/gfxwj/…_5104 文号 “—” and 有效性 empty (规范性文件 column)
  /xxgk/gfxwj/…_5105 no metadata table at all
  /col/col5678/…  a Hanweb article whose 索引号 is empty
metadata.inconsistent
  /xxgk/gfxwj/…_5106 list shows 2024-05-20, table 发布日期 2024-05-22
  /xxgk/gfxwj/…_5107 signature 二〇二四年四月八日, table 成文日期 2024-04-18
  /xxgk/gfxwj/…_5108 发布日期 2024-03-10 before 成文日期 2024-03-15
  /art/…/art_5678_5404 (Hanweb, GBK) list shows [2024-06-10], table 发布日期 2024年6月11日
privacy.id-number
  /xxgk/rsxx/…_5301 two full IDs (one ending in X) in a 拟聘用人员 table
  /xxgk/rsxx/…_5304 an ID inside the DOCX the article body only links to
  /xxgk/rsxx/…/P020240621530501.xlsx the 2024年低保对象名单 spreadsheet linked from
      article _5305 (names, full IDs, mobiles); the finding's URL is the attachment
privacy.mobile
  /xxgk/rsxx/…_5301 a plain 11-digit mobile
  /xxgk/rsxx/…/P020240621530501.xlsx the same spreadsheet's 联系电话 column (numbers)
  /xxgk/rsxx/…_5302 GBK page: 139 0539 1234-style grouped and +86 135-… numbers
  /col/col5678/…_5402 a Hanweb article with a mobile
column.empty
  /xxgk/yjgl/ (TRS list saying 暂无信息), /xxgk/czyjs/js/ (a sub-column without items),
  /col/col5690/index.html (a Hanweb column with an empty list)
column.stale
  /xxgk/gzdt/ 工作动态 newest 2024年06月12日 (18 days > 2 weeks)
  /xxgk/gsgg/ 公示公告 newest 2023-12-10 (203 days > 6 months)
  /col/col5680/index.html 重大项目 (Hanweb) newest [2023-05-12] (415 days > 1 year)
site.home-stale
  a second site 某镇 at /zhen/index.html (same host, never linked from the portal; audit it
  as its own site, see EXTRA_SITES) whose newest home item is 2024年5月20日

Look-alikes (never flagged)
---------------------------
- 成文 2024-02-05 → 发布 2024-03-04: 28 calendar days but 16 working days (春节)
- 成文 2024-02-05 → 发布 2024-03-08: 24 weekdays but exactly 20 working days
- 成文 2023-09-25 → 发布 2023-10-27: 24 weekdays, 20 working days (国庆, GBK, 年月日 dates)
- a 行政处罚决定书 2024-04-26 → 2024-05-09: 9 weekdays but 7 working days (4-28 调休)
- a 关于印发《…行政处罚裁量基准》的通知 in the 行政处罚 column, 13 working days (20-day rule)
- a list showing the 成文日期 instead of the 发布日期; a text ending in “自2024年7月1日起施行”;
  a signature in Chinese numerals that matches the table; label variants 发文机关/发文字号/时效
- a 特困人员名单 XLSX (article _5306) whose IDs and mobiles are all masked
- masked IDs (3713**********1234, 371302********123X), an ID with a wrong check digit, one
  with month 13, one with an unknown province, a 统一社会信用代码 holding a mobile-like run,
  an order number holding a mobile, a landline, 138****1234, an amount in 元
- 部门动态 (2 weeks) updated 2024.06.25; 统计信息 (1 year) last updated 2023-09-15 (would be
  stale under the 6-month rule); the 财政预决算 hub whose entries are sub-columns; the
  机构职能 single page with its text
- a navigation-only home page (/jd/index.html, a third site) whose 二级 lists are fresh
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from html import escape

from . import files
from .model import HTML_BARE, MAIN, TOKENS, Resource
from .templates import SITE_SUFFIX, article_footer_links, hanweb_page, page, trs_list

M = TOKENS[MAIN]

# the extra sites of the home-page rule (on the main host, never linked from the portal):
# name -> path of the home page
EXTRA_SITES = {"某镇人民政府（样例）": "/zhen/index.html", "某街道办事处（样例）": "/jd/index.html"}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id(first17: str) -> str:
    """A made-up 居民身份证号 with a correct GB 11643 check character."""
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


ID_A = _id("37130219850314253")
ID_X = next(v for v in (_id(f"3713111992072{n:03d}1") for n in range(100)) if v.endswith("X"))
ID_DOCX = _id("37131219780926461")
MOBILE_A = "13905391234"
MOBILE_GROUPED = "139 0539 8765"
MOBILE_PLUS = "+86 135-0539-8899"
MOBILE_HANWEB = "18653917788"
# the 2024年低保对象名单 spreadsheet: (姓名, 身份证号, 手机号)
DIBAO_ROWS = (("刘某某", _id("37130219560812301"), 13805391122), ("陈某", _id("37132219630305402"), 15905394433),
              ("杨某某", _id("37132519710119283"), 18705396655))
# the full values that must never appear in any output (the test checks findings and report)
PRIVATE_VALUES = (ID_A, ID_X, ID_DOCX, MOBILE_A, MOBILE_GROUPED, "13905398765", "135-0539-8899", "13505398899",
                  MOBILE_HANWEB, *(v for _name, pid, mobile in DIBAO_ROWS for v in (pid, str(mobile))))
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def make_xlsx(title: str, header: tuple[str, ...], rows) -> bytes:
    """A one-sheet workbook (built in memory with openpyxl): a merged title row, a header
    row, the data rows and a 合计 row."""
    # deferred: openpyxl is heavy and only needed for the one sample workbook
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    ws.append(["合计", f"{len(rows)}户", None, None, None, sum(r[-1] for r in rows)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_BAD_CHECK = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
_BAD_MONTH = _id("37130219901345123")
_BAD_PROVINCE = _id("99130219900101123")

JIUCUO = "/site/jiucuo.html"   # the site's broken 我要纠错 footer link, on every article page
ORG = "临沂市人民政府"
OFFICE = "临沂市人民政府办公室"


@dataclass
class Doc:
    """One article of these columns."""

    slug: int
    title: str
    pub: date
    written: date
    org: str = OFFICE
    doc_no: str = ""
    validity: str = "有效"
    table: list[tuple[str, str]] | None = None   # explicit metadata (label, value); None = standard
    no_table: bool = False
    body: list[str] = field(default_factory=list)
    signature: str | None = None     # the 落款 date as printed
    list_date: str | None = None     # the date printed beside the list entry (default: pub, ISO)
    layout: str = "trs"              # trs | hanweb
    charset: str = "utf-8"           # utf-8 | gbk
    extra_html: str = ""
    path: str = ""

    def meta_rows(self, index_no: str) -> list[tuple[str, str]]:
        if self.table is not None:
            return self.table
        return [("索引号", index_no), ("主题分类", "综合政务"), ("发布机构", self.org),
                ("成文日期", self.written.isoformat()), ("发布日期", self.pub.isoformat()),
                ("文号", self.doc_no), ("有效性", self.validity), ("公开属性", "主动公开")]


_BODY = [
    "为进一步规范工作程序，提高行政效能，结合本市实际，现将有关事项通知如下。",
    "各县区、各有关部门要高度重视，加强组织领导，明确责任分工，确保各项措施落到实处。",
    "工作中遇到的问题，请及时报告市政府办公室。",
]


def _trs_article(doc: Doc, column: tuple[str, str]) -> str:
    code, name = column
    body = "".join(f'<p style="text-indent:2em">{escape(p)}</p>\n' for p in (doc.body or _BODY))
    if doc.signature:
        body += f'<p style="text-align:right">{escape(doc.org)}</p>\n<p style="text-align:right">{escape(doc.signature)}</p>\n'
    table = ""
    if not doc.no_table:
        rows = doc.meta_rows(_index_no(doc))
        cells = [f'<td class="td-label">{escape(k)}：</td><td class="td-value">{escape(v)}</td>' for k, v in rows]
        trs = "".join(f"<tr>{''.join(cells[i:i + 2])}</tr>\n" for i in range(0, len(cells), 2))
        table = f'<table class="xxgk_table" cellspacing="0" cellpadding="0">\n{trs}</table>\n'
    content = f"""<div class="main w1200">
<div class="xxgk-detail">
{table}<div class="article">
<h1 class="article-title">{escape(doc.title)}</h1>
<div id="zoom"><div class="TRS_Editor">
{body}{doc.extra_html}</div></div>
</div>
</div>
</div>"""
    return page(doc.title + SITE_SUFFIX, content,
                crumbs=[("首页", "/"), ("政府信息公开", "/xxgk/"), (name, f"/xxgk/{code}/"), ("正文", None)],
                charset="gbk-meta" if doc.charset == "gbk" else "utf-8",
                meta={"ArticleTitle": doc.title, "ColumnName": name}, nav_current="政府信息公开",
                article_footer=article_footer_links(JIUCUO))


def _hanweb_article(doc: Doc, dept: str) -> str:
    rows = doc.meta_rows(_index_no(doc))
    lis = "".join(f"<li><b>{escape(k)}：</b>{escape(v)}</li>" for k, v in rows)
    body = "".join(f"<p>{escape(p)}</p>\n" for p in (doc.body or _BODY))
    if doc.signature:
        body += f"<p>{escape(doc.org)}</p>\n<p>{escape(doc.signature)}</p>\n"
    content = f"""<ul class="xxgk-info">{lis}</ul>
<div class="bt-article">
<h1 class="art-title">{escape(doc.title)}</h1>
<div class="article-content" id="zoom">
{body}{doc.extra_html}</div>
</div>"""
    html = hanweb_page(f"{doc.title} {dept}", content, article_footer=article_footer_links(JIUCUO))
    if doc.charset == "gbk":
        html = html.replace('charset=utf-8" />', 'charset=gbk" />', 1)
    return html


def _index_no(doc: Doc) -> str:
    return f"11371300004349497N/{doc.pub.year}-{doc.slug:05d}"


def _li(href: str, title: str, when: str) -> str:
    return (f'<li><a href="{escape(href)}" title="{escape(title)}" target="_blank">{escape(title)}</a>'
            f"<span>{escape(when)}</span></li>\n")


def _resource(html: str, charset: str = "utf-8") -> Resource:
    if charset == "gbk":
        return Resource(body=html, content_type=HTML_BARE, encoding="gbk")
    return Resource(body=html)


class _Misc:
    def __init__(self, b):
        self.b = b
        self.block: list[str] = []

    # -- helpers -------------------------------------------------------------
    def expect(self, check: str, url: str, page_path: str) -> None:
        self.b.expect(check, url, page_path)

    def look(self, name: str, url: str) -> None:
        self.b.lookalikes[name] = url if url.startswith("@@") else M + url

    def trs_column(self, code: str, name: str, docs: list[Doc], *, list_charset: str = "utf-8",
                   date_format=lambda d: d.isoformat(), extra_items: str = "", extra_html: str = "") -> str:
        """A TRS column /xxgk/<code>/ with its articles; returns the column path."""
        base = f"/xxgk/{code}/"
        items = []
        for doc in sorted(docs, key=lambda d: d.pub, reverse=True):
            doc.path = f"{base}{doc.pub:%Y%m}/t{doc.pub:%Y%m%d}_{doc.slug}.html"
            items.append(_li("." + doc.path[len(base) - 1:], doc.title, doc.list_date or date_format(doc.pub)))
            self.b.main.add(doc.path, _resource(_trs_article(doc, (code, name)), doc.charset))
        html = trs_list(code, name, "".join(items) + extra_items, 0, 1, extra_html=extra_html,
                        charset="gbk-meta" if list_charset == "gbk" else "utf-8")
        self.b.main.add(base + "index.html", _resource(html, list_charset))
        return base

    def hanweb_column(self, col: int, name: str, dept: str, docs: list[Doc]) -> str:
        """A Hanweb column /col/col<col>/index.html with /art/ articles; returns its path."""
        lis = []
        for doc in sorted(docs, key=lambda d: d.pub, reverse=True):
            d = doc.pub
            doc.path = f"/art/{d.year}/{d.month}/{d.day}/art_{col}_{doc.slug}.html"
            when = doc.list_date or d.isoformat()
            lis.append(f'<li><a href="{doc.path}" target="_blank" title="{escape(doc.title)}">{escape(doc.title)}</a>'
                       f'<span class="bt-data-time">[{escape(when)}]</span></li>\n')
            self.b.main.add(doc.path, _resource(_hanweb_article(doc, dept), doc.charset))
        content = (f'<div class="default_pgContainer">\n<ul class="bt-list">\n{"".join(lis)}</ul>\n</div>\n'
                   f'<div class="default_pgPanel"><span>共1页 当前第1页</span></div>')
        path = f"/col/col{col}/index.html"
        self.b.main.add(path, Resource(body=hanweb_page(f"{name} {dept}", content)))
        return path

    def entry(self, path: str, name: str) -> None:
        self.block.append(f'<li><a href="{path}">{escape(name)}</a></li>')

    # -- build -----------------------------------------------------------------
    def build(self) -> None:
        self.gfxwj()
        self.xzcf()
        self.rsxx()
        self.hanweb_privacy()
        self.columns()
        self.extra_sites()
        self.link_block()

    def gfxwj(self) -> None:
        """规范性文件 (a policy column): late disclosure, missing and inconsistent metadata."""
        no = "临政发〔{}〕{}号"
        docs = {
            "late": Doc(5101, "临沂市人民政府关于印发临沂市公共数据管理办法的通知", date(2024, 4, 15), date(2024, 3, 1),
                        org=ORG, doc_no=no.format(2024, 11), signature="2024年3月1日"),
            "late_gbk": Doc(5102, "临沂市人民政府关于加强城市供水节水管理的意见", date(2023, 11, 6), date(2023, 9, 25),
                            org=ORG, doc_no=no.format(2023, 27), charset="gbk", signature="二〇二三年九月二十五日",
                            table=[("索引号", "11371300004349497N/2023-05102"), ("发布机构", ORG),
                                   ("成文日期", "2023年9月25日"), ("发布日期", "2023年11月6日"),
                                   ("文号", no.format(2023, 27)), ("有效性", "有效")]),
            "spring": Doc(5111, "临沂市人民政府关于做好2024年春季农业生产资金保障的通知", date(2024, 3, 4),
                          date(2024, 2, 5), org=ORG, doc_no=no.format(2024, 5)),
            "spring20": Doc(5112, "临沂市人民政府关于印发临沂市农村公路养护管理办法的通知", date(2024, 3, 8),
                            date(2024, 2, 5), org=ORG, doc_no=no.format(2024, 6)),
            "national20": Doc(5113, "临沂市人民政府关于印发临沂市城市排水管理办法的通知", date(2023, 10, 27),
                              date(2023, 9, 25), org=ORG, doc_no=no.format(2023, 26), charset="gbk",
                              table=[("索引号", "11371300004349497N/2023-05113"), ("发文机关", ORG),
                                     ("成文日期", "2023年09月25日"), ("发布日期", "2023年10月27日"),
                                     ("发文字号", no.format(2023, 26)), ("时效", "有效")]),
            "missing": Doc(5104, "临沂市人民政府办公室关于规范行政执法公示工作的通知", date(2024, 5, 17),
                           date(2024, 5, 14),
                           table=[("索引号", "11371300004349497N/2024-05104"), ("主题分类", "综合政务"),
                                  ("发布机构", OFFICE), ("成文日期", "2024-05-14"), ("发布日期", "2024-05-17"),
                                  ("文号", "—"), ("有效性", ""), ("公开属性", "主动公开")]),
            "no_table": Doc(5105, "临沂市人民政府办公室关于加强政务服务中心窗口管理的通知", date(2024, 6, 3),
                            date(2024, 5, 30), no_table=True),
            "list_vs_table": Doc(5106, "临沂市人民政府关于调整市级行政许可事项目录的通知", date(2024, 5, 22),
                                 date(2024, 5, 16), org=ORG, doc_no=no.format(2024, 15), list_date="2024-05-20"),
            "signature": Doc(5107, "临沂市人民政府关于印发临沂市城市道路管理办法的通知", date(2024, 4, 22),
                             date(2024, 4, 18), org=ORG, doc_no=no.format(2024, 13), signature="二〇二四年四月八日"),
            "pub_before": Doc(5108, "临沂市人民政府关于公布市级权责清单的通知", date(2024, 3, 10), date(2024, 3, 15),
                              org=ORG, doc_no=no.format(2024, 9)),
            # look-alikes
            "list_written": Doc(5121, "临沂市人民政府关于印发临沂市河长制工作规定的通知", date(2024, 6, 5),
                                date(2024, 6, 3), org=ORG, doc_no=no.format(2024, 18), list_date="2024-06-03",
                                signature="二〇二四年六月三日"),
            "effective": Doc(5122, "临沂市人民政府关于印发临沂市物业服务收费管理办法的通知", date(2024, 6, 20),
                             date(2024, 6, 17), org=ORG, doc_no=no.format(2024, 19),
                             body=_BODY + ["本办法自2024年7月1日起施行。"]),
        }
        path = self.trs_column("gfxwj", "规范性文件", list(docs.values()))
        self.entry(path, "规范性文件")
        for key in ("late", "late_gbk"):
            self.expect("disclosure.late", docs[key].path, path)
        self.expect("metadata.missing", docs["missing"].path, path)
        self.expect("metadata.missing", docs["no_table"].path, path)
        for key in ("list_vs_table", "signature", "pub_before"):
            self.expect("metadata.inconsistent", docs[key].path, path)
        for key in ("spring", "spring20", "national20", "list_written", "effective"):
            self.look(f"content-{key}", docs[key].path)

    def xzcf(self) -> None:
        """行政处罚 / 行政许可 decisions: the 7-working-day rule."""
        bureau = "临沂市生态环境局"
        body = ["当事人：临沂某化工有限公司。", "经查，当事人存在超标排放大气污染物的违法行为，依据有关规定，决定给予罚款的行政处罚。"]
        docs = {
            "late": Doc(5201, "临沂市生态环境局行政处罚决定书（临环罚〔2024〕12号）", date(2024, 5, 10),
                        date(2024, 4, 26), org=bureau, doc_no="临环罚〔2024〕12号", body=body),
            "ontime": Doc(5202, "临沂市生态环境局行政处罚决定书（临环罚〔2024〕11号）", date(2024, 5, 9),
                          date(2024, 4, 26), org=bureau, doc_no="临环罚〔2024〕11号", body=body),
            "policy": Doc(5204, "关于印发《临沂市生态环境行政处罚裁量基准》的通知", date(2024, 5, 22),
                          date(2024, 5, 6), org=bureau, doc_no="临环发〔2024〕8号"),
        }
        permit = Doc(5203, "准予行政许可决定书（临环许〔2024〕3号）", date(2024, 4, 12), date(2024, 3, 29),
                     org=bureau, doc_no="临环许〔2024〕3号", layout="hanweb", charset="gbk",
                     body=["申请人：临沂某建材有限公司。", "经审查，你单位提出的排污许可申请符合法定条件，决定准予行政许可。"],
                     table=[("索引号", "11371300004349497N/2024-05203"), ("发文机关", bureau),
                            ("发文字号", "临环许〔2024〕3号"), ("成文日期", "2024年3月29日"),
                            ("发布日期", "2024年4月12日"), ("主题分类", "行政许可")])
        path = self.trs_column("xzcf", "行政处罚", list(docs.values()), date_format=lambda d: f"{d:%Y/%m/%d}",
                               extra_items=_li(f"/art/2024/4/12/art_5679_{permit.slug}.html", permit.title, "2024/04/12"))
        permit.path = f"/art/2024/4/12/art_5679_{permit.slug}.html"
        self.b.main.add(permit.path, _resource(_hanweb_article(permit, bureau), "gbk"))
        self.entry(path, "行政处罚")
        self.expect("disclosure.late", docs["late"].path, path)
        self.expect("disclosure.late", permit.path, path)
        self.look("content-decision-7wd", docs["ontime"].path)
        self.look("content-decision-policy", docs["policy"].path)

    def rsxx(self) -> None:
        """人事信息: full IDs and mobiles, and the masked / longer-number look-alikes."""
        table = ("<table class=\"gs\"><tr><th>序号</th><th>姓名</th><th>身份证号</th><th>拟聘岗位</th></tr>"
                 f"<tr><td>1</td><td>张某某</td><td>{ID_A}</td><td>综合管理</td></tr>"
                 f"<tr><td>2</td><td>李某</td><td>{ID_X}</td><td>财务会计</td></tr>"
                 "<tr><td>3</td><td>王某</td><td>3713**********1234</td><td>文字综合</td></tr></table>\n"
                 f"<p>公示期间如有异议，请与市人社局联系，联系人：赵老师，手机：{MOBILE_A}。</p>\n")
        lookalike_text = (
            "<p>以下为脱敏后的信息：身份证号 3713**********1234、371302********123X，手机 138****1234。</p>\n"
            f"<p>经核查，身份证号 {_BAD_CHECK}（校验位错误）、{_BAD_MONTH}（出生月份错误）、{_BAD_PROVINCE}（地区码不存在）均为无效号码。</p>\n"
            "<p>中标单位统一社会信用代码：91371313905391234X，订单号：2024061513905391234，"
            "合同金额13500000000元，咨询电话：0539-8721234。</p>\n")
        docs = {
            "ids": Doc(5301, "2024年临沂市市直事业单位公开招聘拟聘用人员公示", date(2024, 6, 18), date(2024, 6, 17),
                       org="临沂市人力资源和社会保障局", extra_html=table),
            "gbk": Doc(5302, "关于2024年度专业技术人才评审材料报送的通知", date(2024, 6, 12), date(2024, 6, 11),
                       org="临沂市人力资源和社会保障局", charset="gbk",
                       extra_html=f"<p>联系人：孙老师，联系电话：{MOBILE_GROUPED}；钱老师 {MOBILE_PLUS}。</p>\n"),
            "lookalike": Doc(5303, "2024年临沂市市直机关公开遴选公务员拟遴选人员公示", date(2024, 6, 6),
                             date(2024, 6, 5), org="临沂市人力资源和社会保障局", extra_html=lookalike_text),
            "docx": Doc(5304, "2024年临沂市引进急需紧缺人才拟录用人员名单", date(2024, 5, 30), date(2024, 5, 29),
                        org="临沂市人力资源和社会保障局", body=["详见附件。"]),
        }
        docx_name = "P020240530530401.docx"
        docs["docx"].extra_html = f'<p>附件：<a href="./{docx_name}">拟录用人员名单.docx</a></p>\n'
        civil = "临沂市民政局"
        docs["dibao"] = Doc(5305, "关于2024年城乡最低生活保障对象名单的公示", date(2024, 6, 21), date(2024, 6, 20),
                            org=civil, body=["根据《社会救助暂行办法》和我市最低生活保障审核确认办法，经申请、"
                                             "入户调查、民主评议和审核确认，现将2024年低保对象名单予以公示。",
                                             "公示期为7天，如有异议，请向市民政局社会救助科反映。"])
        docs["tekun"] = Doc(5306, "关于2024年第二季度特困人员救助供养名单的公示", date(2024, 6, 7), date(2024, 6, 6),
                            org=civil, body=["根据《特困人员认定办法》，经审核确认，现将2024年第二季度特困人员"
                                             "救助供养名单予以公示，公示期为7天。"])
        dibao_name, tekun_name = "P020240621530501.xlsx", "P020240607530601.xlsx"
        docs["dibao"].extra_html = f'<p>附件：<a href="./{dibao_name}">2024年低保对象名单.xlsx</a></p>\n'
        docs["tekun"].extra_html = f'<p>附件：<a href="./{tekun_name}">2024年第二季度特困人员名单.xlsx</a></p>\n'
        path = self.trs_column("rsxx", "人事信息", list(docs.values()))
        header = ("序号", "姓名", "身份证号", "联系电话", "所属社区", "保障金额（元/月）")
        towns = ("兰山街道金雀山社区", "银雀山街道沂州路社区", "柳青街道南坊社区")
        dibao = [(i, name, pid, mobile, towns[i - 1], 780 + 40 * i)
                 for i, (name, pid, mobile) in enumerate(DIBAO_ROWS, start=1)]
        tekun = [(1, "吴某某", "371302********3617", "138****2233", towns[0], 1170),
                 (2, "郑某", "3713221948****4021", "159****7788", towns[1], 1170)]
        dibao_path = docs["dibao"].path.rsplit("/", 1)[0] + "/" + dibao_name
        tekun_path = docs["tekun"].path.rsplit("/", 1)[0] + "/" + tekun_name
        self.b.main.add(dibao_path, Resource(body=make_xlsx("2024年低保对象名单", header, dibao),
                                             content_type=XLSX_TYPE, page=False))
        self.b.main.add(tekun_path, Resource(body=make_xlsx("2024年第二季度特困人员救助供养名单", header, tekun),
                                             content_type=XLSX_TYPE, page=False))
        docx_path = docs["docx"].path.rsplit("/", 1)[0] + "/" + docx_name
        self.b.main.add(docx_path, Resource(
            body=files.make_docx(f"2024年临沂市引进急需紧缺人才拟录用人员名单 序号 1 姓名 周某某 身份证号 {ID_DOCX} 岗位 临床医学"),
            content_type=files.DOCX_TYPE, page=False))
        self.entry(path, "人事信息")
        self.expect("privacy.id-number", docs["ids"].path, path)
        self.expect("privacy.mobile", docs["ids"].path, path)
        self.expect("privacy.mobile", docs["gbk"].path, path)
        self.expect("privacy.id-number", docs["docx"].path, path)
        self.expect("privacy.id-number", dibao_path, docs["dibao"].path)
        self.expect("privacy.mobile", dibao_path, docs["dibao"].path)
        self.look("content-privacy-masked-xlsx", tekun_path)
        self.look("content-privacy-lookalikes", docs["lookalike"].path)

    def hanweb_privacy(self) -> None:
        """A department's Hanweb column: a mobile in an article, an empty 索引号."""
        dept = "临沂市退役军人事务局"
        docs = [
            Doc(5401, "关于开展2024年退役军人就业招聘活动的通知", date(2024, 6, 19), date(2024, 6, 18), org=dept,
                doc_no="临退役发〔2024〕6号", table=[("索引号", ""), ("发文机关", dept), ("发文字号", "临退役发〔2024〕6号"),
                                               ("成文日期", "2024-06-18"), ("发布日期", "2024-06-19"), ("有效性", "有效")]),
            Doc(5402, "关于做好2024年度优抚对象抚恤补助发放工作的通知", date(2024, 6, 14), date(2024, 6, 13), org=dept,
                doc_no="临退役发〔2024〕5号",
                extra_html=f"<p>业务咨询：优抚科，手机号码{MOBILE_HANWEB}（工作日）。</p>\n"),
            Doc(5403, "关于公布退役军人服务站联系方式的通知", date(2024, 6, 7), date(2024, 6, 6), org=dept,
                doc_no="临退役发〔2024〕4号",
                extra_html="<p>各服务站值班电话：0539-8120001，负责人手机 186****7788。</p>\n"),
            Doc(5404, "关于2024年度退役军人教育培训补助申领的通知", date(2024, 6, 11), date(2024, 6, 5), org=dept,
                doc_no="临退役发〔2024〕3号", charset="gbk", list_date="2024-06-10", signature="2024年6月5日",
                table=[("索引号", "11371300004349497N/2024-05404"), ("发文机关", dept), ("发文字号", "临退役发〔2024〕3号"),
                       ("成文日期", "2024年6月5日"), ("发布日期", "2024年6月11日"), ("有效性", "有效")]),
        ]
        path = self.hanweb_column(5678, "通知公告", dept, docs)
        self.entry(path, "退役军人事务局")
        self.expect("metadata.missing", docs[0].path, path)
        self.expect("privacy.mobile", docs[1].path, path)
        self.expect("metadata.inconsistent", docs[3].path, path)

    def columns(self) -> None:
        """Stale, fresh, empty and single-page columns."""
        def simple(slug: int, title: str, d: date, **kw) -> Doc:
            return Doc(slug, title, d, d, **kw)

        gzdt = [simple(5501 + i, t, d) for i, (t, d) in enumerate([
            ("市政府召开全市安全生产工作会议", date(2024, 6, 12)),
            ("市政府党组理论学习中心组举行集体学习", date(2024, 6, 5)),
            ("全市优化营商环境工作推进会召开", date(2024, 5, 28)),
            ("市政府与省农业科学院签署战略合作协议", date(2024, 5, 21)),
        ])]
        path = self.trs_column("gzdt", "工作动态", gzdt, date_format=lambda d: f"{d.year}年{d:%m}月{d:%d}日")
        self.entry(path, "工作动态")
        self.expect("column.stale", path, "/xxgk/")

        bmdt = [simple(5511 + i, t, d) for i, (t, d) in enumerate([
            ("市交通运输局开展汛期道路安全隐患排查", date(2024, 6, 25)),
            ("市农业农村局召开夏粮收购工作调度会", date(2024, 6, 14)),
        ])]
        path = self.trs_column("bmdt", "部门动态", bmdt, list_charset="gbk", date_format=lambda d: f"{d:%Y.%m.%d}")
        self.entry(path, "部门动态")
        self.look("content-fresh-news-column", path)

        gsgg = [Doc(5521 + i, t, d, d.replace(day=d.day - 2), org=OFFICE) for i, (t, d) in enumerate([
            ("临沂市2023年度市级文明单位拟命名名单公示", date(2023, 12, 10)),
            ("关于2023年度市级财政专项资金分配结果的公示", date(2023, 11, 20)),
            ("临沂市第二批市级特色小镇创建名单公示", date(2023, 10, 16)),
        ])]
        path = self.trs_column("gsgg", "公示公告", gsgg)
        self.entry(path, "公示公告")
        self.expect("column.stale", path, "/xxgk/")

        tjxx = [Doc(5531 + i, t, d, d.replace(day=d.day - 3), org="临沂市统计局") for i, (t, d) in enumerate([
            ("2023年上半年临沂市国民经济运行情况", date(2023, 9, 15)),
            ("2023年一季度临沂市国民经济运行情况", date(2023, 5, 19)),
        ])]
        path = self.trs_column("tjxx", "统计信息", tjxx)
        self.entry(path, "统计信息")
        self.look("content-yearly-column", path)

        zdxm = [Doc(5541 + i, t, d, d.replace(day=d.day - 4), org="临沂市发展和改革委员会") for i, (t, d) in enumerate([
            ("临沂市2023年市级重点项目名单", date(2023, 5, 12)),
            ("临沂市2023年重大项目建设推进情况", date(2023, 3, 24)),
        ])]
        path = self.hanweb_column(5680, "重大项目", "临沂市发展和改革委员会", zdxm)
        self.entry(path, "重大项目")
        self.expect("column.stale", path, "/xxgk/")

        # empty: a TRS list saying 暂无信息
        self.b.main.add("/xxgk/yjgl/index.html", Resource(body=trs_list(
            "yjgl", "应急管理", "", 0, 1, extra_html='<div class="no-data">暂无信息</div>\n')))
        self.entry("/xxgk/yjgl/", "应急管理")
        self.expect("column.empty", "/xxgk/yjgl/", "/xxgk/")

        # 财政预决算: a hub of two sub-columns, one of them empty
        ys = [Doc(5551, "临沂市2024年市级预算公开", date(2024, 2, 6), date(2024, 2, 2), org="临沂市财政局")]
        ys_path = self.trs_column("czyjs/ys", "财政预算", ys)
        self.b.main.add("/xxgk/czyjs/js/index.html", Resource(body=trs_list("czyjs/js", "财政决算", "", 0, 1)))
        hub = (f'<li><a href="{ys_path}">财政预算</a></li>\n<li><a href="/xxgk/czyjs/js/">财政决算</a></li>\n')
        self.b.main.add("/xxgk/czyjs/index.html", Resource(body=trs_list("czyjs", "财政预决算", hub, 0, 1)))
        self.entry("/xxgk/czyjs/", "财政预决算")
        self.expect("column.empty", "/xxgk/czyjs/js/", "/xxgk/czyjs/")
        self.look("content-hub-column", "/xxgk/czyjs/")

        # empty Hanweb column
        empty = ('<div class="default_pgContainer">\n<ul class="bt-list">\n</ul>\n</div>\n'
                 '<div class="default_pgPanel"><span>共0页 当前第1页</span></div>')
        self.b.main.add("/col/col5690/index.html", Resource(body=hanweb_page("安全生产 临沂市应急管理局", empty)))
        self.entry("/col/col5690/index.html", "安全生产")
        self.expect("column.empty", "/col/col5690/index.html", "/xxgk/")

        # single-page column with its own text (look-alike of column.empty)
        text = "".join(f'<p style="text-indent:2em">{p}</p>\n' for p in (
            "临沂市人民政府办公室是市政府的办事机构，协助市政府领导同志处理市政府日常工作。",
            "主要职责：负责市政府会议的准备工作，协助市政府领导同志组织会议决定事项的实施；"
            "负责起草或审核以市政府、市政府办公室名义发布的公文；研究各县区、各部门请示市政府的事项，提出审核意见。",
            "负责督促检查市政府各部门和各县区对市政府公文、会议决定事项及市政府领导同志指示的贯彻落实情况；"
            "负责全市政务公开、政务服务和政府网站的组织协调、指导推进和监督检查工作。",
            "承担市政府应急管理工作，负责协调处置需由市政府负责的突发事件，发挥运转枢纽作用。",
            "办理市委、市政府交办的其他事项。"))
        content = (f'<div class="main w1200"><div class="article"><h1 class="article-title">机构职能</h1>'
                   f'<div id="zoom"><div class="TRS_Editor">\n{text}</div></div></div></div>')
        self.b.main.add("/xxgk/jgzn/index.html", Resource(body=page("机构职能" + SITE_SUFFIX, content,
                                                                    crumbs=[("首页", "/"), ("政府信息公开", "/xxgk/"), ("机构职能", None)])))
        self.entry("/xxgk/jgzn/", "机构职能")
        self.look("content-single-page-column", "/xxgk/jgzn/")

    def extra_sites(self) -> None:
        """Two small sites beside the portal: a stale home page, a navigation-only home."""
        o = self.b.main

        def small_page(title: str, inner: str) -> str:
            return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
                    f'<body><div class="header">{escape(title)}</div>\n{inner}\n'
                    '<div class="footer">主办单位：样例（仅用于测试）</div></body></html>')

        news = [("镇党委召开党建工作会议", date(2024, 5, 20)), ("镇政府开展防汛应急演练", date(2024, 5, 8)),
                ("全镇小麦机收工作有序推进", date(2024, 4, 26)), ("镇卫生院开展义诊活动", date(2024, 4, 12))]
        items = []
        for i, (title, d) in enumerate(news, start=1):
            href = f"/zhen/art/{d:%Y%m%d}_{i}.html"
            items.append(f'<li><a href="{href}">{escape(title)}</a><span>{d.year}年{d.month}月{d.day}日</span></li>')
            o.add(href, Resource(body=small_page(title, f"<h1>{escape(title)}</h1><p>{escape(title)}。</p>")))
        home = f'<div class="nav"><a href="/zhen/index.html">首页</a></div><ul class="news">{"".join(items)}</ul>'
        o.add("/zhen/index.html", Resource(body=small_page("某镇人民政府", home)))
        self.expect("site.home-stale", "/zhen/index.html", "/zhen/index.html")

        lists = {"tzgg": ("通知公告", [("关于做好夏季防溺水工作的通知", date(2024, 6, 27))]),
                 "gzdt": ("工作动态", [("街道召开社区治理工作推进会", date(2024, 6, 20))])}
        nav = []
        for code, (name, entries) in lists.items():
            lis = []
            for i, (title, d) in enumerate(entries, start=1):
                href = f"/jd/{code}/{d:%Y%m%d}_{i}.html"
                lis.append(f'<li><a href="{href}">{escape(title)}</a><span>{d.isoformat()}</span></li>')
                o.add(href, Resource(body=small_page(title, f"<h1>{escape(title)}</h1><p>{escape(title)}。</p>")))
            o.add(f"/jd/{code}/index.html", Resource(body=small_page(name, f'<ul>{"".join(lis)}</ul>')))
            nav.append(f'<a href="/jd/{code}/index.html">{name}</a>')
        nav.insert(0, '<a href="/jd/index.html">首页</a>')
        o.add("/jd/index.html", Resource(body=small_page("某街道办事处", f'<div class="nav">{" ".join(nav)}</div>')))
        self.look("content-navigation-home", "/jd/index.html")

    def link_block(self) -> None:
        """The 法定主动公开内容 block on the 政府信息公开 page that leads to all of the above."""
        res = self.b.main.resources["/xxgk/index.html"]
        marker = '<div class="xxgk-right">'
        if not isinstance(res.body, str) or marker not in res.body:
            raise RuntimeError("content_misc: the /xxgk/ page has no xxgk-right block to extend")
        block = ('<div class="xxgk-block"><div class="xxgk-block-title">法定主动公开内容</div><ul>'
                 + "".join(self.block) + "</ul></div>\n")
        res.body = res.body.replace(marker, marker + "\n" + block, 1)


def add(builder) -> None:
    """Add the pages of these checks to a full-portal builder (called once from its build())."""
    _Misc(builder).build()
