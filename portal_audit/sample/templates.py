"""HTML templates of the sample portal: TRS WCM family and Hanweb family.

Plain string building (no jinja2) so that a 20,000-page benchmark portal renders
quickly on demand.  Every text is escaped with :func:`html.escape` except the
pre-built HTML fragments passed in ``*_html`` arguments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from html import escape

SITE_NAME = "临沂市人民政府"
SITE_SUFFIX = "_" + SITE_NAME
SAMPLE_NOTE = "临沂市政府(sample)"

UTF8_META = '<meta charset="utf-8">\n<meta http-equiv="X-UA-Compatible" content="IE=edge">'
GB2312_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
LYING_UTF8_META = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'

ON = ' class="on"'

NAV = [
    ("首页", "/"),
    ("政府信息公开", "/xxgk/"),
    ("政务服务", "/zwfw/"),
    ("互动交流", "/hdjl/"),
    ("走进临沂", "/zjly/"),
]

# TRS sub-columns of 政府信息公开: code -> name
XXGK_COLUMNS = [
    ("zcwj", "政策文件"),
    ("zcjd", "政策解读"),
    ("fgwj", "法规文件"),
    ("tzgg", "通知公告"),
    ("gkzn", "公开指南"),
    ("ndbg", "年度报告"),
]

PAGER_JS = r"""/* TRS WCM pager: createPageHTML(nPageCount, nCurrIndex, sPageName, sPageExt) */
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {
  if (_nPageCount == null || _nPageCount <= 1) { return; }
  var nCurrIndex = _nCurrIndex || 0;
  var html = "<span class=\"page-count\">共" + _nPageCount + "页</span>";
  function name(i) { return i == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt; }
  if (nCurrIndex == 0) { html += "<span>首页</span><span>上一页</span>"; }
  else { html += "<a href=\"" + name(0) + "\">首页</a><a href=\"" + name(nCurrIndex - 1) + "\">上一页</a>"; }
  for (var i = 0; i < _nPageCount; i++) {
    html += (i == nCurrIndex) ? "<span class=\"cur\">" + (i + 1) + "</span>" : "<a href=\"" + name(i) + "\">" + (i + 1) + "</a>";
  }
  if (nCurrIndex == _nPageCount - 1) { html += "<span>下一页</span><span>尾页</span>"; }
  else { html += "<a href=\"" + name(nCurrIndex + 1) + "\">下一页</a><a href=\"" + name(_nPageCount - 1) + "\">尾页</a>"; }
  document.write(html);
}
"""

COMMON_CSS = """body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333}
a{color:#333;text-decoration:none}a:hover{color:#c00}
.w1200{width:1200px;margin:0 auto}.header{height:120px;background:#b5121b}
.nav li{display:inline-block;padding:0 30px}.position{padding:10px 0;border-bottom:1px solid #ddd}
.list-ul li{height:36px;line-height:36px;border-bottom:1px dashed #ccc}.list-ul li span{float:right}
.xxgk_table{width:100%;border-collapse:collapse}.xxgk_table td{border:1px solid #ddd;padding:4px 8px}
.footer{background:#eee;text-align:center;padding:20px 0;margin-top:30px}
"""

PARAGRAPHS = [
    "为深入贯彻落实党中央、国务院和省委、省政府决策部署，进一步提升政府治理能力和服务水平，结合我市实际，制定本方案。",
    "各县区人民政府，市政府各部门、各直属机构要高度重视，切实加强组织领导，明确责任分工，确保各项任务落到实处。",
    "坚持以人民为中心的发展思想，完整、准确、全面贯彻新发展理念，统筹发展和安全，推动经济社会高质量发展。",
    "到2025年底，全市重点领域改革取得明显成效，营商环境持续优化，市场主体活力不断增强，群众满意度显著提升。",
    "加强部门协同联动，建立健全工作推进机制，定期调度工作进展，及时研究解决工作中遇到的困难和问题。",
    "强化督导考核，将工作落实情况纳入年度综合考核，对工作推进不力的单位予以通报。",
    "各有关部门要加大政策宣传解读力度，通过政府网站、政务新媒体等渠道及时回应社会关切，营造良好舆论氛围。",
    "本通知自印发之日起施行，有效期至2026年12月31日。此前有关规定与本通知不一致的，以本通知为准。",
    "加快推进数字技术与政务服务深度融合，推动更多事项“一网通办”“跨省通办”，让数据多跑路、群众少跑腿。",
    "严格落实安全生产责任制，全面排查整治各类风险隐患，坚决防范遏制重特大事故发生。",
    "统筹用好各级财政资金，积极争取上级政策支持，引导社会资本参与项目建设，形成多元化投入格局。",
    "健全完善监测预警机制，加强信息报送，遇有重大情况要第一时间报告，不得迟报、漏报、瞒报。",
    "各县区要结合实际制定具体实施方案，于每季度末将工作进展情况报送市政府办公室。",
    "持续深化“放管服”改革，全面推行证明事项告知承诺制，进一步压减审批环节和办理时限。",
    "加强耕地保护和粮食安全工作，稳定粮食播种面积，提高农业综合生产能力。",
    "广泛动员社会力量参与，充分发挥行业协会、商会桥梁纽带作用，凝聚推动发展的强大合力。",
    "对在工作中表现突出的单位和个人，按照有关规定给予表扬激励；对失职失责的，依规依纪严肃追责问责。",
    "本办法由市司法局负责解释，具体执行中的问题由市有关部门按照职责分工负责解释。",
    "进一步完善社会保障体系，扎实做好就业、教育、医疗、养老、住房等民生实事，不断增进民生福祉。",
    "加强生态环境保护，深入打好蓝天、碧水、净土保卫战，推动绿色低碳发展。",
]


def paragraphs(rng: random.Random, n: int) -> list[str]:
    return rng.sample(PARAGRAPHS, min(n, len(PARAGRAPHS)))


def fmt_date(d: date) -> str:
    return d.isoformat()


def truncate(title: str, limit: int = 28) -> str:
    return title if len(title) <= limit else title[:limit] + "..."


@dataclass
class Article:
    """Data of one article page (both template families)."""

    path: str
    title: str
    column: str  # column code (TRS) or column id (Hanweb)
    column_name: str
    pub: date
    written: date
    org: str
    doc_no: str = ""
    index_no: str = ""
    topic: str = "综合政务"
    validity: str = "有效"
    body: list[str] = field(default_factory=list)
    extra_html: str = ""  # inserted into the body (links, hidden blocks)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    related: list[tuple[str, str]] = field(default_factory=list)  # (href, anchor text)
    family: str = "trs"
    charset: str = "utf-8"  # utf-8 | gbk-meta | gbk-none | gbk-lie
    list_title: str | None = None  # anchor text on the list page (default: truncated title)
    list_href: str | None = None  # href on the list page (default: relative path)
    label_style: int = 0  # varies the metadata labels (full-width spaces etc.)
    disclosure: str = "主动公开"  # the 公开属性 shown in the metadata ("" = not shown)


# ---------------------------------------------------------------------------
# page skeleton


def meta_for(charset: str) -> str:
    if charset == "gbk-meta":
        return GB2312_META
    if charset == "gbk-none":
        return ""
    if charset == "gbk-lie":
        return LYING_UTF8_META
    return UTF8_META


def page(
    title: str,
    content: str,
    *,
    crumbs: list[tuple[str, str | None]] | None = None,
    charset: str = "utf-8",
    head_extra: str = "",
    meta: dict[str, str] | None = None,
    article_footer: str | None = None,
    body_class: str = "",
    nav_current: str = "",
) -> str:
    """A complete TRS-style page of the main site."""
    metas = "".join(f'<meta name="{k}" content="{escape(v)}">\n' for k, v in (meta or {}).items())
    nav = "".join(
        f'<li{ON if text == nav_current else ""}><a href="{href}">{text}</a></li>' for text, href in NAV
    )
    bc = ""
    if crumbs:
        parts = []
        for text, href in crumbs:
            parts.append(f'<a href="{href}">{escape(text)}</a>' if href else f"<span>{escape(text)}</span>")
        bc = '<div class="position w1200">当前位置：' + " &gt; ".join(parts) + "</div>\n"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{meta_for(charset)}
<title>{escape(title)}</title>
<meta name="SiteName" content="{SITE_NAME}">
<meta name="SiteDomain" content="www.linyi.gov.cn">
<meta name="SiteIDCode" content="3713000001">
{metas}<link rel="stylesheet" type="text/css" href="/css/common.css">
<script type="text/javascript" src="/js/createPageHTML.js"></script>
{head_extra}</head>
<body class="{body_class}">
<a name="top" id="top"></a>
<div class="top-bar"><div class="w1200"><span class="welcome">欢迎访问{SAMPLE_NOTE}网站！</span>
<span class="tools"><a href="javascript:void(0)" onclick="SetHome(this,window.location)">设为首页</a> | <a href="javascript:void(0)" onclick="AddFavorite(document.title,window.location)">加入收藏</a> | <a href="/wza/">无障碍浏览</a></span></div></div>
<div class="header"><div class="w1200"><a class="logo" href="/"><img src="/images/logo.png" alt="{SITE_NAME}"></a>
<form class="search" action="/search/index.html" method="get"><input type="text" name="q" placeholder="请输入关键词"><button type="submit">搜索</button></form></div></div>
<div class="nav"><ul class="w1200">{nav}</ul></div>
{bc}{content}
<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/mzsm/">免责声明</a>{article_footer or ""}</p>
<p>主办单位：临沂市人民政府办公室　承办单位：临沂市大数据局　地址：山东省临沂市北城新区北京路</p>
<p>网站标识码：3713000001　鲁ICP备05001234号-1　鲁公网安备 37130202000123号</p>
<p>版权所有：临沂市人民政府（样例站点，仅用于测试）</p>
</div>
</body>
</html>
"""


def xxgk_sidebar(current: str) -> str:
    items = "".join(
        f'<li{ON if code == current else ""}><a href="/xxgk/{code}/">{name}</a></li>'
        for code, name in XXGK_COLUMNS
    )
    return (
        '<div class="xxgk-left"><div class="xxgk-left-title">政府信息公开</div>'
        f'<ul class="xxgk-menu"><li><a href="/xxgk/">信息公开首页</a></li>{items}</ul></div>'
    )


# ---------------------------------------------------------------------------
# TRS family


def trs_list_item(art: Article, base_dir: str) -> str:
    href = art.list_href or ("." + art.path[len(base_dir) :] if art.path.startswith(base_dir) else art.path)
    anchor = art.list_title if art.list_title is not None else truncate(art.title)
    return (
        f'<li><a href="{escape(href)}" title="{escape(art.title)}" target="_blank">{escape(anchor)}</a>'
        f"<span>{fmt_date(art.pub)}</span></li>\n"
    )


def trs_list(
    code: str,
    name: str,
    items_html: str,
    page_index: int,
    page_count: int,
    *,
    extra_html: str = "",
    charset: str = "utf-8",
) -> str:
    content = f"""<div class="main w1200 clearfix">
{xxgk_sidebar(code)}
<div class="xxgk-right">
<div class="list-title"><span>{name}</span></div>
<ul class="list-ul">
{items_html}</ul>
<div class="page"><script type="text/javascript">createPageHTML({page_count}, {page_index}, "index", "html");</script></div>
{extra_html}</div>
</div>"""
    title = f"{name}{SITE_SUFFIX}"
    return page(
        title,
        content,
        crumbs=[("首页", "/"), ("政府信息公开", "/xxgk/"), (name, f"/xxgk/{code}/")],
        charset=charset,
        meta={"ColumnName": name, "ColumnType": "政府信息公开"},
        nav_current="政府信息公开",
    )


_LABELS = [
    ("索 引 号：", "主题分类：", "发布机构：", "成文日期：", "发布日期：", "文　　号：", "有 效 性：", "公开属性："),
    ("索引号：", "主题分类：", "发布机构：", "成文日期：", "发布日期：", "文号：", "有效性：", "公开属性："),
    ("索　引　号：", "主　　题：", "发布机构：", "成文日期：", "发布日期：", "发文字号：", "有　效　性：", "公开方式："),
]


def xxgk_table(art: Article) -> str:
    lb = _LABELS[art.label_style % len(_LABELS)]
    values = (
        art.index_no,
        art.topic,
        art.org,
        fmt_date(art.written),
        fmt_date(art.pub),
        art.doc_no,
        art.validity,
        art.disclosure,
    )
    rows = []
    for i in range(0, 8, 2):
        rows.append(
            f'<tr><td class="td-label">{lb[i]}</td><td class="td-value">{escape(values[i])}</td>'
            f'<td class="td-label">{lb[i + 1]}</td><td class="td-value">{escape(values[i + 1])}</td></tr>'
        )
    return '<table class="xxgk_table" cellspacing="0" cellpadding="0">\n' + "\n".join(rows) + "\n</table>"


def article_footer_links(jiucuo_href: str | None) -> str:
    return f' | <a href="{jiucuo_href}" target="_blank">我要纠错</a>' if jiucuo_href else ""


def _attachments_html(art: Article) -> str:
    if not art.attachments:
        return ""
    items = "".join(f'<p><a href="{escape(h)}" target="_blank">{escape(t)}</a></p>' for h, t in art.attachments)
    return f'<div class="fj"><p class="fj-title">附件：</p>{items}</div>\n'


def _related_html(art: Article) -> str:
    if not art.related:
        return ""
    items = "".join(f'<li><a href="{escape(h)}" target="_blank">{escape(t)}</a></li>' for h, t in art.related)
    return f'<div class="related"><div class="related-title">相关链接</div><ul>{items}</ul></div>\n'


def trs_article(art: Article, *, jiucuo_href: str | None = "/site/jiucuo.html") -> str:
    body = "".join(f'<p style="text-indent:2em">{escape(p)}</p>\n' for p in art.body)
    content = f"""<div class="main w1200">
<div class="xxgk-detail">
{xxgk_table(art)}
<div class="article">
<h1 class="article-title">{escape(art.title)}</h1>
<div class="article-info"><span>发布日期：{fmt_date(art.pub)} 10:20</span><span>来源：{escape(art.org)}</span><span>字号：【<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span></div>
<div id="zoom"><div class="TRS_Editor">
{body}{art.extra_html}</div></div>
{_attachments_html(art)}{_related_html(art)}<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a> <a href="#top">【返回顶部】</a></div>
</div>
</div>
</div>"""
    return page(
        art.title + SITE_SUFFIX,
        content,
        crumbs=[("首页", "/"), ("政府信息公开", "/xxgk/"), (art.column_name, f"/xxgk/{art.column}/"), ("正文", None)],
        charset=art.charset,
        meta={
            "ArticleTitle": art.title,
            "PubDate": f"{fmt_date(art.pub)} 10:20",
            "ContentSource": art.org,
            "ColumnName": art.column_name,
        },
        article_footer=article_footer_links(jiucuo_href),
        nav_current="政府信息公开",
    )


# ---------------------------------------------------------------------------
# Hanweb family (department sub-site: 临沂市教育局)

HANWEB_DEPT = "临沂市教育局"


def hanweb_page(title: str, content: str, *, article_footer: str = "") -> str:
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{escape(title)}</title>
<meta name="SiteName" content="{HANWEB_DEPT}" />
<meta name="ColumnName" content="通知公告" />
<link rel="stylesheet" type="text/css" href="/css/common.css" />
</head>
<body>
<div id="container">
<div class="hw-head"><div class="hw-logo"><a href="/col/col1234/index.html">{HANWEB_DEPT}</a></div>
<div class="hw-nav"><a href="/">{SITE_NAME}首页</a> <a href="/xxgk/">政府信息公开</a> <a href="/col/col1234/index.html">通知公告</a></div></div>
<div class="hw-main">
<div class="bt-position">您当前的位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a> &gt; <a href="/col/col1234/index.html">通知公告</a></div>
{content}
</div>
<div class="hw-foot"><table width="100%"><tr><td align="center">
<a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a>{article_footer}<br />
主办：{HANWEB_DEPT}　网站标识码：3713000014　鲁ICP备05001234号-3<br />
技术支持：大汉网络（样例）</td></tr></table></div>
</div>
</body>
</html>
"""


def hanweb_list(items: list[Article], page_no: int, page_count: int) -> str:
    lis = "".join(
        f'<li><a href="{a.list_href or a.path}" target="_blank" title="{escape(a.title)}">'
        f'{escape(a.list_title if a.list_title is not None else truncate(a.title, 26))}</a>'
        f'<span class="bt-data-time">[{fmt_date(a.pub)}]</span></li>\n'
        for a in items
    )
    pager = [f"<span>共{page_count}页 当前第{page_no}页</span>", '<a href="index.html">首页</a>']
    if page_no > 1:
        prev = "index.html" if page_no == 2 else f"index.html?page={page_no - 1}"
        pager.append(f'<a href="{prev}">上一页</a>')
    if page_no < page_count:
        pager.append(f'<a href="index.html?page={page_no + 1}">下一页</a>')
    pager.append(f'<a href="index.html?page={page_count}">尾页</a>')
    content = f"""<div class="default_pgContainer">
<ul class="bt-list">
{lis}</ul>
</div>
<div class="default_pgPanel">{" ".join(pager)}</div>"""
    return hanweb_page(f"通知公告 {HANWEB_DEPT}", content)


def hanweb_article(art: Article, *, jiucuo_href: str | None = "/site/jiucuo.html") -> str:
    info = [
        ("索引号：", art.index_no),
        ("发文机关：", art.org),
        ("发文字号：", art.doc_no),
        ("成文日期：", fmt_date(art.written)),
        ("发布日期：", fmt_date(art.pub)),
        ("主题分类：", art.topic),
        ("有效性：", art.validity),
    ] + ([("公开方式：", art.disclosure)] if art.disclosure else [])
    lis = "".join(f"<li><b>{k}</b>{escape(v)}</li>" for k, v in info)
    body = "".join(f"<p>{escape(p)}</p>\n" for p in art.body)
    content = f"""<ul class="xxgk-info">{lis}</ul>
<div class="bt-article">
<h1 class="art-title">{escape(art.title)}</h1>
<div class="art-info">发布时间：{fmt_date(art.pub)}　来源：{escape(art.org)}</div>
<div class="article-content" id="zoom">
{body}{art.extra_html}</div>
{_attachments_html(art)}{_related_html(art)}<div class="art-tools"><a href="javascript:window.print();">打印本页</a> <a href="javascript:window.close();">关闭窗口</a></div>
</div>"""
    return hanweb_page(f"{art.title} {HANWEB_DEPT}", content, article_footer=article_footer_links(jiucuo_href))


# ---------------------------------------------------------------------------
# simple generic pages


def simple_page(title: str, inner_html: str, crumb: str | None = None) -> str:
    crumbs = [("首页", "/")] + ([(crumb, None)] if crumb else [])
    return page(title + SITE_SUFFIX, f'<div class="main w1200"><h1>{escape(title)}</h1>\n{inner_html}\n</div>', crumbs=crumbs)


def error_404_page() -> str:
    return """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>404 页面不存在</title></head>
<body><div class="error"><h1>404</h1><p>抱歉，您访问的页面不存在或已被删除。</p><p><a href="/">返回首页</a></p></div></body></html>
"""
