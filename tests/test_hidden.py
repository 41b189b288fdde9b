"""How links are hidden: the forms 暗链 take on infected pages, and the hidden navigation of
real templates (menus, tab panels, 友情链接 lists, responsive footers) that is not 暗链."""

from __future__ import annotations

from crawler import extract
from crawler.hidden import dark_link, government_host, never_visible, spam_words

PAGE = """<html><head><style>
.fl9x{position:absolute;top:-9999px;left:-9999px}
.sub{display:none}
.nav li:hover .sub{display:block}
.tab-panel{display:none}
.tab-panel.on{display:block}
#lone{display:none}
.webs-box{font-size:0}
.webs-box .item{font-size:14px}
@media (max-width: 768px) { .mfooter{display:none} }
</style></head><body>
<div class="fl9x"><a href="http://yule.example/">大发娱乐</a></div>
<marquee height=1 width=5 scrollamount=3000><a href="http://ssc.example/">时时彩</a></marquee>
<script>document.write("<div style='display:none'>");</script><a href="http://zr.example/">真人</a><script>document.write("</div>");</script>
<div style="color:#fff;background:#ffffff"><a href="http://white.example/">白字</a></div>
<p style="text-indent:-9999px"><a href="http://logo.example/"><img src="/logo.png" alt="标志"></a></p>
<div id="lone"><a href="http://lone.example/">孤立隐藏</a></div>
<ul class="nav"><li>机构<ul class="sub"><li><a href="http://weibo.example/">官方微博</a></li></ul></li>
<li>专题<ul style="left:-1067px;position:absolute"><li><a href="http://flyout.example/">浮动菜单</a></li></ul></li></ul>
<div class="tab-panel"><a href="http://tab.example/">标签页</a></div>
<div class="webs-box"><span class="item"><a href="http://www.cae.cn/">中国工程院</a></span></div>
<div class="mfooter"><a href="http://m.example/">移动版</a></div>
<select style="display:none"><option>友情链接</option></select>
<div style="display:none"><a href="http://www.hebei.gov.cn/">河北省人民政府</a></div>
</body></html>"""


def reasons() -> dict[str, str | None]:
    return {link.href: link.hidden for link in extract.iter_links(extract.parse_tree(PAGE)) if link.tag == "a"}


def test_the_forms_of_dark_links_are_never_visible():
    r = reasons()
    assert r["http://yule.example/"] == "off-screen left:-9999px (<style> .fl9x)"
    assert r["http://ssc.example/"] == "marquee 1px"
    assert r["http://zr.example/"] == "document.write display:none"
    assert r["http://white.example/"] == "color=background #ffffff"
    assert r["http://lone.example/"] == "style-rule display:none (<style> #lone)"
    assert all(never_visible(r[u]) for u in ("http://yule.example/", "http://ssc.example/", "http://zr.example/",
                                             "http://white.example/", "http://lone.example/"))


def test_navigation_hidden_by_templates_only_collapses():
    r = reasons()
    assert r["http://weibo.example/"] == "collapsed display:none (<style> .sub)"   # opened by :hover
    assert r["http://tab.example/"] == "collapsed display:none (<style> .tab-panel)"   # .tab-panel.on shows it
    assert r["http://flyout.example/"] is None          # a flyout a few hundred pixels aside
    assert r["http://logo.example/"] is None            # an image link shows whatever hides its text
    assert r["http://www.cae.cn/"] == "collapsed font-size:0 (<style> .webs-box)"   # a layout container
    assert r["http://m.example/"] is None               # hidden on small screens only
    assert not any(never_visible(r[u]) for u in ("http://weibo.example/", "http://tab.example/", "http://www.cae.cn/"))


def test_dark_link_needs_a_foreign_host_and_a_never_visible_form_or_spam_words():
    assert dark_link("marquee 1px", "时时彩", "http://ssc.example/", "ssc.example")["never_visible"]
    assert dark_link("display:none", "澳门博彩", "http://c.example/", "c.example")["spam_words"] == ["博彩"]
    assert dark_link("collapsed display:none (<style> .sub)", "官方微博", "http://weibo.example/", "weibo.example") is None
    assert dark_link("off-screen left:-9999px", "河北省", "http://www.hebei.gov.cn/", "www.hebei.gov.cn") is None
    assert dark_link(None, "博彩", "http://c.example/", "c.example") is None
    assert government_host("gov.cn") and government_host("WWW.GOV.CN") and not government_host("gov.cn.example")
    assert spam_words("代孕 发票", "http://x/pk10/") == ["代孕", "发票", "pk10"]
