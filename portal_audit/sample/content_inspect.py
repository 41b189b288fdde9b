"""Sample pages for the inspection and text checks (issue 15).

``add(builder)`` is called once by the full-portal builder after content_misc and
content_policy. It completes the portal's 政府信息公开 专栏, plants 公开属性 and 错别字
defects in existing articles, and adds two small extra sites on the main host (their own
home pages, never linked from the portal; audit them as sites, see ``EXTRA_SITES``).

Planted defects
---------------
column.required-missing
  某县 (/xian/): its 政务公开 page has 信息公开指南 and a 法定主动公开内容 heading but no
  政府信息公开制度 and no 政府信息公开年报 (two findings on /xian/zwgk/index.html)
report.annual-missing
  某县: no 2023 年度报告 at all
report.annual-late
  某区 (/qu/): its 2023年政府信息公开工作年度报告 published 2024-02-05
metadata.disclosure-attribute
  a Hanweb 通知 without 公开方式; a 政策文件 whose 公开属性 says 依申请公开 but whose full text
  is published; a 通知公告 whose 公开属性 is “公开”
interaction.unanswered
  某区 区长信箱: a message of 2024-02-10 still 未回复; a message of 2023-12-01 answered on
  2024-03-15 (105 days); 某县 (only a 网上信访 link), 某镇 and 某街道 (content_misc): no
  online 咨询建言 channel
text.serious-error
  “扫黑险恶” in a 通知公告 article (which also writes 扫黑除恶 correctly)
text.typo
  “布署” and “政府信息工开条例” in another 通知公告 article

Look-alikes (never flagged)
---------------------------
- the portal names its columns 公开指南 / 信息公开指南, 信息公开制度, 年度报告 / 信息公开年报, and
  法定主动公开内容 is only a heading above its sub-columns
- the portal's 2023 年度报告 is published on 2024-01-31 exactly; 某区's 2022 report on 2023-01-20
- 某区: a message answered after 89 days (2024-01-15 → 2024-04-13); one of 2024-05-20 still
  办理中 (not yet 3 months); an unanswered one of 2023-05-01 (outside the year)
- 某区: a 依申请公开 catalogue entry whose page shows only a short notice, not the text
- the portal's 市长信箱 (a page, not a column) is its 咨询建言 channel
"""

from __future__ import annotations

from datetime import date
from html import escape

from .content_misc import Doc, _Misc, _index_no, small_page
from .model import Resource
from .templates import hanweb_article, trs_article

# name -> path of the home page of the extra sites of these checks
EXTRA_SITES = {"某县人民政府（样例）": "/xian/index.html", "某区人民政府（样例）": "/qu/index.html"}

SERIOUS_TEXT = "<p>要坚持把扫黑险恶专项斗争同基层“拍蝇”结合起来，推动扫黑除恶常态化。</p>\n"
TYPO_TEXT = "<p>请各单位按照《中华人民共和国政府信息工开条例》要求认真布署，抓好落实。</p>\n"

# 区长信箱 messages: (slug, title, asked, answered, state)
MESSAGES = [
    (601, "小区门口路灯损坏何时维修", date(2024, 2, 10), None, "未回复"),
    (602, "咨询老旧小区加装电梯补贴政策", date(2024, 1, 15), date(2024, 4, 13), "已回复"),
    (603, "反映农贸市场周边占道经营问题", date(2023, 12, 1), date(2024, 3, 15), "已回复"),
    (604, "咨询2024年秋季入学报名时间", date(2024, 5, 20), None, "办理中"),
    (605, "建议增设公交站点", date(2023, 5, 1), None, "未回复"),
]


def _doc_page(doc: Doc, extra: str = "") -> str:
    """An article of an extra site: its metadata table and its text."""
    rows = "".join(f"<tr><td>{escape(k)}：</td><td>{escape(v)}</td></tr>" for k, v in doc.meta_rows(_index_no(doc)))
    body = "".join(f"<p>{escape(p)}</p>" for p in doc.body)
    return small_page(doc.title, f'<table class="xxgk_table">{rows}</table>\n<div class="article">'
                                 f'<h1>{escape(doc.title)}</h1><div id="zoom">{body}{extra}</div></div>')


def _li(href: str, title: str, when: date) -> str:
    return f'<li><a href="{escape(href)}">{escape(title)}</a><span>{when.isoformat()}</span></li>'


class _Inspect:
    def __init__(self, b):
        self.b = b
        self.misc = _Misc(b)

    def add_page(self, path: str, html: str) -> None:
        self.b.main.add(path, Resource(body=html))

    def column(self, base: str, name: str, docs: list[Doc]) -> list[tuple[str, Doc]]:
        """A list page ``base``index.html of an extra site with its articles."""
        items, out = [], []
        for doc in sorted(docs, key=lambda d: d.pub, reverse=True):
            doc.path = f"{base}{doc.pub:%Y%m}/{doc.pub:%Y%m%d}_{doc.slug}.html"
            self.add_page(doc.path, _doc_page(doc))
            items.append(_li(doc.path, doc.title, doc.pub))
            out.append((doc.path, doc))
        self.add_page(base + "index.html", small_page(name, f'<ul class="list">{"".join(items)}</ul>'))
        return out

    def text_page(self, path: str, name: str, text: str) -> None:
        self.add_page(path, small_page(name, f'<div class="article"><h1>{escape(name)}</h1><div id="zoom">'
                                             f'<p>{escape(text)}</p></div></div>'))

    # -- the portal ----------------------------------------------------------------
    def portal(self) -> None:
        b = self.b
        # 政府信息公开制度 under another wording, as a column of its own on /xxgk/
        rules = Doc(5901, "临沂市人民政府办公室政府信息公开工作制度", date(2024, 3, 12), date(2024, 3, 8),
                    body=["为规范政府信息公开工作，依据《中华人民共和国政府信息公开条例》，结合工作实际，制定本制度。",
                          "本制度自印发之日起施行。"])
        path = self.misc.trs_column("gkzd", "信息公开制度", [rules])
        res = b.main.resources["/xxgk/index.html"]
        marker = '<div class="xxgk-right">'
        res.body = res.body.replace(marker, marker + '\n<div class="xxgk-block"><div class="xxgk-block-title">'
                                    f'<a href="{path}">信息公开制度</a></div><ul><li><a href="{rules.path}">'
                                    f"{escape(rules.title)}</a><span>{rules.pub.isoformat()}</span></li></ul></div>", 1)
        b.lookalikes["required-columns-other-wording"] = "@@MAIN@@/xxgk/"
        # a 咨询建言 channel that is a page, not a column
        home = b.main.resources["/index.html"]
        home.body = home.body.replace('<div class="block contact">',
                                      '<div class="block contact"><a href="/hdjl/szxx.html">市长信箱</a>　', 1)
        self.text_page("/hdjl/szxx.html", "市长信箱", "欢迎您通过市长信箱反映问题、提出意见建议，我们将在15个工作日内答复。")
        # 公开属性: missing (Hanweb), 依申请公开 but published in full, an invalid value
        zcwj, tzgg = b.cols["zcwj"], b.cols["tzgg"]
        for art, value in ((b.hanweb[8], ""), (zcwj[10], "依申请公开"), (tzgg[12], "公开")):
            art.disclosure = value
            self.rerender(art)
            b.expect("metadata.disclosure-attribute", art.path, art.path)
        # 错别字 and 严重表述错误
        for art, html, code in ((tzgg[5], SERIOUS_TEXT, "text.serious-error"), (tzgg[6], TYPO_TEXT, "text.typo")):
            art.extra_html += html
            self.rerender(art)
            b.expect(code, art.path, art.path)
        b.lookalikes["annual-report-on-jan-31"] = "@@MAIN@@" + b.cols["ndbg"][0].path

    def rerender(self, art) -> None:
        html = hanweb_article(art) if art.path.startswith("/art/") else trs_article(art)
        self.b.main.resources[art.path].body = html

    # -- 某县: two required columns and the 年度报告 missing, no 咨询 channel ------------------
    def county(self) -> None:
        b = self.b
        notices = self.column("/xian/zwgk/tzgg/", "通知公告", [
            Doc(6101, "某县人民政府办公室关于做好2024年防汛工作的通知", date(2024, 6, 24), date(2024, 6, 21)),
            Doc(6102, "某县人民政府办公室关于开展安全生产检查的通知", date(2024, 6, 12), date(2024, 6, 7))])
        self.text_page("/xian/zwgk/gkzn/index.html", "信息公开指南",
                       "本指南依据《中华人民共和国政府信息公开条例》编制。公民、法人或者其他组织可以通过本网站"
                       "政务公开栏目获取本机关主动公开的政府信息；需要获取主动公开范围以外的政府信息的，可以向本机关"
                       "提出申请。本机关政府信息公开工作机构为县政府办公室，办公地址为县政府大楼，办公时间为工作日"
                       "上午9:00至12:00、下午13:00至17:00，联系电话0539-1234567。申请人可以通过当面、信函、传真等"
                       "方式提交申请，本机关收到申请后依法在20个工作日内予以答复。")
        disclosure = ('<div class="block"><a href="/xian/zwgk/gkzn/index.html">信息公开指南</a></div>\n'
                      '<div class="block"><div class="block-title">法定主动公开内容</div><ul>'
                      '<li><a href="/xian/zwgk/tzgg/index.html">通知公告</a></li></ul></div>')
        self.add_page("/xian/zwgk/index.html", small_page("政务公开", disclosure))
        self.text_page("/xian/xf.html", "网上信访", "网上信访请登录省网上信访信息系统。")
        news = "".join(_li(p, d.title, d.pub) for p, d in notices)
        self.add_page("/xian/index.html", small_page("某县人民政府", (
            '<div class="nav"><a href="/xian/index.html">首页</a> <a href="/xian/zwgk/index.html">政务公开</a> '
            f'<a href="/xian/xf.html">网上信访</a></div><ul class="news">{news}</ul>')))
        # two findings (政府信息公开制度, 政府信息公开年报) on the same page: one expected entry
        b.expect("column.required-missing", "/xian/zwgk/index.html", "/xian/zwgk/index.html")
        b.expect("report.annual-missing", "/xian/zwgk/index.html", "/xian/zwgk/index.html")
        b.expect("interaction.unanswered", "/xian/index.html", "/xian/index.html")

    # -- 某区: complete 专栏, a late 年度报告, the 区长信箱 ------------------------------------
    def district(self) -> None:
        b = self.b
        policies = self.column("/qu/xxgk/zcwj/", "政策文件", [
            Doc(6201, "某区人民政府关于印发某区优化营商环境若干措施的通知", date(2024, 6, 20), date(2024, 6, 17),
                org="某区人民政府", doc_no="某政发〔2024〕8号"),
            Doc(6202, "某区人民政府办公室关于调整区政府工作规则的通知", date(2024, 5, 10), date(2024, 5, 8),
                org="某区人民政府办公室", doc_no="某政办发〔2024〕5号",
                table=[("索引号", "11371300004349497N/2024-06202"), ("发布机构", "某区人民政府办公室"),
                       ("成文日期", "2024-05-08"), ("发布日期", "2024-05-10"), ("文号", "某政办发〔2024〕5号"),
                       ("有效性", "有效"), ("公开属性", "依申请公开")],
                body=["该文件属依申请公开信息，如需获取请依法提出申请。"])])
        b.lookalikes["on-request-catalogue-entry"] = "@@MAIN@@" + policies[1][0]
        reports = self.column("/qu/xxgk/nb/", "政府信息公开年报", [
            Doc(6301, "某区人民政府2023年政府信息公开工作年度报告", date(2024, 2, 5), date(2024, 2, 1)),
            Doc(6302, "某区人民政府2022年政府信息公开工作年度报告", date(2023, 1, 20), date(2023, 1, 18))])
        b.expect("report.annual-late", reports[0][0], "/qu/xxgk/nb/index.html")
        self.text_page("/qu/xxgk/zn/index.html", "政府信息公开指南",
                       "本指南依据《中华人民共和国政府信息公开条例》编制，说明本机关主动公开的政府信息的范围、"
                       "公开方式和获取途径，以及依申请公开的受理机构、申请方式、办理时限和救济途径。申请人可以通过"
                       "当面、信函、网络等方式提交政府信息公开申请，本机关依法在20个工作日内予以答复；对答复不服的，"
                       "可以依法申请行政复议或者提起行政诉讼。本机关政府信息公开工作机构为区政府办公室，办公时间为"
                       "工作日上午9:00至12:00、下午13:00至17:00。")
        self.text_page("/qu/xxgk/zd/index.html", "政府信息公开制度",
                       "为规范本机关政府信息公开工作，建立健全政府信息公开审查、发布、保密审查、依申请公开办理、"
                       "政府信息公开工作年度报告、监督检查和责任追究等工作制度。各科室应当按照本制度的规定，及时、"
                       "准确地公开政府信息，依法保障公民、法人和其他组织获取政府信息的权利，提高政府工作的透明度，"
                       "充分发挥政府信息对人民群众生产、生活和经济社会活动的服务作用。涉及国家秘密、商业秘密、个人隐私的"
                       "政府信息，依法不予公开或者经权利人同意后公开。本制度由区政府办公室负责解释，自印发之日起施行。")
        disclosure = ('<div class="block"><a href="/qu/xxgk/zn/index.html">政府信息公开指南</a> '
                      '<a href="/qu/xxgk/zd/index.html">政府信息公开制度</a> '
                      '<a href="/qu/xxgk/nb/index.html">政府信息公开年报</a></div>\n'
                      '<div class="block"><div class="block-title">法定主动公开内容</div><ul>'
                      '<li><a href="/qu/xxgk/zcwj/index.html">政策文件</a></li></ul></div>')
        self.add_page("/qu/xxgk/index.html", small_page("政府信息公开", disclosure))
        items = []
        for slug, title, asked, answered, state in MESSAGES:
            path = f"/qu/hdjl/qzxx/{asked:%Y%m}/xj{asked:%Y%m%d}_{slug}.html"
            rows = [("标题", title), ("留言时间", asked.isoformat()), ("办理状态", state)]
            reply = ""
            if answered:
                rows.append(("回复时间", answered.isoformat()))
                reply = "<p>答复内容：您反映的问题已转相关部门办理，感谢您的关注。</p>"
            table = "".join(f"<tr><td>{k}：</td><td>{escape(v)}</td></tr>" for k, v in rows)
            self.add_page(path, small_page(title, f'<table class="letter">{table}</table><div class="letter-body">'
                                                  f"<p>留言内容：{escape(title)}，请有关部门予以答复。</p>{reply}</div>"))
            items.append(_li(path, title, asked))
            if slug in (601, 603):
                b.expect("interaction.unanswered", path, "/qu/hdjl/qzxx/index.html")
        b.lookalikes["message-answered-after-89-days"] = "@@MAIN@@/qu/hdjl/qzxx/202401/xj20240115_602.html"
        self.add_page("/qu/hdjl/qzxx/index.html", small_page("区长信箱", f'<ul class="letters">{"".join(items)}</ul>'))
        news = "".join(_li(p, d.title, d.pub) for p, d in policies)
        self.add_page("/qu/index.html", small_page("某区人民政府", (
            '<div class="nav"><a href="/qu/index.html">首页</a> <a href="/qu/xxgk/index.html">政府信息公开</a> '
            f'<a href="/qu/hdjl/qzxx/index.html">区长信箱</a></div><ul class="news">{news}</ul>')))

    def build(self) -> None:
        self.portal()
        self.county()
        self.district()
        # content_misc's two small sites show no online 咨询建言 channel either
        for path in ("/zhen/index.html", "/jd/index.html"):
            self.b.expect("interaction.unanswered", path, path)


def add(builder) -> None:
    """Add the pages of these checks to a full-portal builder (called once from its build())."""
    _Inspect(builder).build()
