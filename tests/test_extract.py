"""Extraction and URL handling on real-world shaped input: charsets, hidden links,
pagination scripts, full-width and invalid URLs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crawler import extract, linkparse, robots
from core.fragments import fragment_found
from crawler.urls import (InvalidURL, fragment_of, is_attachment, looks_like_trap_path, normalize_href,
                          skipped_scheme, trap_key)

BASE = "http://127.0.0.1:8000/xxgk/zcwj/index.html"


@pytest.mark.parametrize("href, expected", [
    ("./202403/t20240315_1.html", "http://127.0.0.1:8000/xxgk/zcwj/202403/t20240315_1.html"),
    ("  ../a b.html\u3000", "http://127.0.0.1:8000/xxgk/a%20b.html"),
    ("政策 文件.html", "http://127.0.0.1:8000/xxgk/zcwj/%E6%94%BF%E7%AD%96%20%E6%96%87%E4%BB%B6.html"),
    ("ｈｔｔｐ：／／127.0.0.1:8000／x（1）.html", "http://127.0.0.1:8000/x%EF%BC%881%EF%BC%89.html"),
    ("http://例子.政务/a?b=2&a=1#frag", "http://xn--fsqu00a.xn--zfr164b/a?a=1&b=2"),
    ("/x;jsessionid=ABC?sid=1&p=2", "http://127.0.0.1:8000/x?p=2"),
    ("search.jsp?kw=%B9%AB%BF%AA", "http://127.0.0.1:8000/xxgk/zcwj/search.jsp?kw=%B9%AB%BF%AA"),   # GBK kept
    ("?q=%fc", "http://127.0.0.1:8000/xxgk/zcwj/index.html?q=%FC"),
    ("/a//b.html", "http://127.0.0.1:8000/a//b.html"),
    ("HtTP://WwW.Example.CN:80/?", "http://www.example.cn/"),
])
def test_normalize_href(href, expected):
    assert normalize_href(href, BASE) == expected


@pytest.mark.parametrize("href", ["http://exa mple.gov.cn:abc/x", "http://[bad/", "javascript:void(0)",
                                  "http://127.0.0.1:99999/", "", "   ", "http://", "http:", "http:www.a.cn/",
                                  "https;//www.a.cn/", "htp://www.a.cn/", "file:///C:/a.doc", "D:\\文件\\a.doc",
                                  "http://.a.cn/", "http://a..cn/", "http://localhost]"])
def test_invalid_hrefs(href):
    with pytest.raises(InvalidURL):
        normalize_href(href, BASE)


def test_attachment_and_traps():
    assert is_attachment("http://h/P020240315.PDF") and is_attachment("http://h/a/b.wps")
    assert not is_attachment("http://h/a/b.html") and not is_attachment("http://h/v1.2/")
    assert trap_key("http://h/cal/?month=2024-01") == trap_key("http://h/cal/?month=2024-02")
    assert trap_key("http://h/list?page=3") is None
    assert looks_like_trap_path("http://h/a/b/a/b/a/b/c.html")
    assert not looks_like_trap_path("http://h/xxgk/zcwj/202403/t1.html")


def test_decode_gbk_with_meta_only_without_any_charset_and_with_a_lying_declaration():
    text = "<html><head><title>关于印发政务公开工作要点的通知</title></head><body>正文</body></html>"
    meta = text.replace("<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    decoded, charset = extract.decode_html(meta.encode("gbk"), None)
    assert "政务公开工作要点" in decoded and charset == "gb18030"
    decoded, charset = extract.decode_html(text.encode("gbk"), None)
    assert "政务公开工作要点" in decoded and charset == "gb18030"
    liar = text.replace("<head>", '<head><meta charset="utf-8">').encode("gbk")
    decoded, _ = extract.decode_html(liar, "utf-8")
    assert "政务公开工作要点" in decoded
    decoded, charset = extract.decode_html(text.encode("utf-8"), None)
    assert "政务公开工作要点" in decoded and charset == "utf-8"


def test_utf16_pages_are_pages_not_binaries():
    """Word's "Unicode" web pages: UTF-16 with a byte order mark or none, whatever they declare."""
    text = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=unicode">'
            "<title>市文广新旅局召开座谈会</title></head><body><p>正文</p></body></html>")
    for body, codec in ((b"\xff\xfe" + text.encode("utf-16-le"), "utf-16-le"), (text.encode("utf-16-le"), "utf-16-le"),
                        (b"\xfe\xff" + text.encode("utf-16-be"), "utf-16-be"), (text.encode("utf-16-be"), "utf-16-be")):
        assert not extract.looks_binary(body) and extract.looks_html(body)
        decoded, charset = extract.decode_html(body, "utf-16")
        assert charset == codec and decoded.startswith("<html>")
        assert extract.page_title(extract.parse_tree(decoded)) == "市文广新旅局召开座谈会"
    assert extract.looks_binary(b"\xd0\xcf\x11\xe0" + bytes(300)) and extract.looks_binary(b"\x00\x01" * 100)


def test_a_stray_end_of_document_before_the_body_ends_is_ignored():
    """A header include closing </html> early: the page goes on, as in a browser."""
    page = ("<html><head><title>t</title></head><body><div class='header'>头部</div></body></html>\n"
            "<!--end header--><div class='content'><h1>关于批准的决议</h1><p>会议决定：批准。</p>"
            "<a href='/x'>附件</a></div></body></html>")
    tree = extract.parse_tree(page)
    assert "会议决定" in extract.visible_text(tree) and "头部" in extract.visible_text(tree)
    assert [link.href for link in extract.iter_links(tree)] == ["/x"]


def test_tag_soup_deeper_than_libxml2_goes_is_rebuilt_by_beautifulsoup():
    soup = "<html><body>" + "<div><font>" * 300 + "".join(f'<a href="/x{i}">文件{i}</a>' for i in range(10))
    tree = extract.parse_tree(soup + "</body></html>")
    assert [link.href for link in extract.iter_links(tree)] == [f"/x{i}" for i in range(10)]
    assert extract.page_title(extract.parse_tree("<title>标题</title>" + soup)) == "标题"


def test_binary_and_empty_and_malformed_html():
    assert extract.looks_binary(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert extract.parse_tree("") is None
    tree = extract.parse_tree("<html><body><div><p>未闭合<a href='/x'>链接</div></div></span><table><tr><td>表")
    assert tree is not None
    assert [link.href for link in extract.iter_links(tree)] == ["/x"]
    tree = extract.parse_tree('<?xml version="1.0" encoding="gbk"?><html><head><title>标题</title></head></html>')
    assert extract.page_title(tree) == "标题"


HIDDEN_PAGE = """<html><head><style>
.gg-x{position:absolute;left:-9999px;top:-9999px}
#hide2 { display : none }
.menu a { color: red }
</style></head><body>
<div style="display:none"><a href="http://spam.example/1">博彩1</a></div>
<div class="gg-x"><p><a href="http://spam.example/2">博彩2</a></p></div>
<span style="font-size:0px"><a href="http://spam.example/3">博彩3</a></span>
<div style="visibility: hidden"><ul><li><a href="http://spam.example/4">博彩4</a></li></ul></div>
<div id="hide2"><a href="http://spam.example/5">博彩5</a></div>
<div style="font-size:12px"><a href="http://ok.example/">可见链接</a></div>
<div class="menu"><a href="/visible">菜单</a></div>
<ul><li><a href="/a1.html">通知一</a><span>2024-03-15</span></li></ul>
<a href="mailto:x@y.cn">邮件</a><img src="/logo.png" alt="标志">
</body></html>"""


def test_hidden_links_by_inline_and_embedded_css():
    links = {link.href: link for link in extract.iter_links(extract.parse_tree(HIDDEN_PAGE))}
    assert links["http://spam.example/1"].hidden == "display:none"
    assert links["http://spam.example/2"].hidden == "off-screen left:-9999px (<style> .gg-x)"
    assert links["http://spam.example/3"].hidden == "font-size:0"
    assert links["http://spam.example/4"].hidden == "visibility:hidden"
    assert links["http://spam.example/5"].hidden == "style-rule display:none (<style> #hide2)"
    assert links["http://ok.example/"].hidden is None
    assert links["/visible"].hidden is None
    assert links["/a1.html"].list_date == "2024-03-15"
    assert links["/logo.png"].tag == "img" and links["/logo.png"].anchor == "标志"
    assert links["mailto:x@y.cn"].line is not None


def test_month_day_list_dates_take_their_year_from_the_audit_date():
    from datetime import date

    tree = extract.parse_tree("""<ul>
      <li><a href="/a.html">关于做好汛期安全工作的通知</a><span>06-26</span></li>
      <li><a href="/b.html">年终总结</a><span>[12-28]</span></li>
      <li><a href="/c.html">2024年经济运行情况</a><span>3月5日</span></li>
      <li><a href="/d.html">增长1.5个百分点</a></li>
      <li><a href="/e.html">会议 10:30 召开</a></li></ul>""")
    got = {link.href: link.list_date for link in extract.iter_links(tree, date(2024, 6, 30))}
    assert got == {"/a.html": "2024-06-26", "/b.html": "2023-12-28", "/c.html": "2024-03-05",
                   "/d.html": None, "/e.html": None}
    assert {link.list_date for link in extract.iter_links(tree)} == {None}


def test_trs_pagination_script():
    html = '<script>createPageHTML(12, 0, "index", "html");</script>'
    assert extract.pagination_hrefs(html) == [f"index_{i}.html" for i in range(1, 12)]
    assert extract.pagination_hrefs("<script>createPageHTML('3','1','index','shtml')</script>") == [
        "index_1.shtml", "index_2.shtml"]
    assert extract.pagination_hrefs("<p>no pager</p>") == []


def test_not_found_and_waf_pages():
    assert extract.says_not_found("页面不存在", "")
    assert extract.says_not_found("提示", "对不起，您访问的页面不存在！")
    assert not extract.says_not_found("关于404工作组的通知", "正文" * 2000 + "404")
    assert extract.is_waf_page("安全拦截", "您的访问被安全狗拦截")
    assert not extract.is_waf_page("403 Forbidden", "You don't have permission")


def test_a_query_is_encoded_in_the_page_charset_as_browsers_do():
    assert normalize_href("s.jsp?kw=公开#段", BASE, "gb18030") == "http://127.0.0.1:8000/xxgk/zcwj/s.jsp?kw=%B9%AB%BF%AA"
    assert normalize_href("文件/s.jsp?kw=公开", BASE, "utf-8").endswith("/%E6%96%87%E4%BB%B6/s.jsp?kw=%E5%85%AC%E5%BC%80")
    assert normalize_href("文件/s.jsp?kw=公开", BASE, "gb18030").endswith("/%E6%96%87%E4%BB%B6/s.jsp?kw=%B9%AB%BF%AA")


def test_skipped_schemes_and_scheme_typos():
    assert [skipped_scheme(h) for h in ("mailto:a@b.cn", "dns://x", "clsid:1", "weixin://x")] == [
        "mailto", "dns", "clsid", "weixin"]
    assert [skipped_scheme(h) for h in ("htp://x", "https://x", "ftp://x", "file:///x", "x.html")] == [None] * 5


def test_fragments_are_found_as_browsers_find_them():
    assert fragment_of("#名称 x", BASE) == "%E5%90%8D%E7%A7%B0%20x" and fragment_of("a.html", BASE) is None
    names = {"名称", "a|b", "x%3Ay"}
    assert all(fragment_found(f, names) for f in ("%E5%90%8D%E7%A7%B0", "a%7Cb", "a|b", "x%3Ay", "", "TOP", "##"))
    assert not any(fragment_found(f, names) for f in ("%FF", "A|B", "nothing"))


def test_srcset_css_refresh_and_script_redirects():
    assert linkparse.srcset_urls("a.png 1x, /i/format=webp,w=9/b.png 2x,c.png 10w,d.png,") == [
        "a.png", "/i/format=webp,w=9/b.png", "c.png", "d.png"]
    css = '@import "a.css"; /* url(no.png) */ b { background: url( "x.png" ) } i { c: url(y.png), url(\'\') }'
    assert [(a, u) for a, u, _ in linkparse.css_urls(css)] == [("import", "a.css"), ("url", "x.png"), ("url", "y.png")]
    assert [linkparse.refresh_url(c) for c in ("0; url=a.html", "5;URL='b.html'", "300", "url=c.html")] == [
        "a.html", "b.html", None, "c.html"]
    redirect = extract.parse_tree("<html><head><script>// go\nwindow.location.href='n.html';</script></head></html>")
    assert linkparse.client_redirect(redirect) == ("script", "n.html")
    replace = extract.parse_tree("<html><body><script>location.replace(\"r.html\")</script></body></html>")
    assert linkparse.client_redirect(replace) == ("script", "r.html")
    absolute = extract.parse_tree("<script>\n<!--\n  top.location = 'http://www.gov.cn/a.html'; // moved\n--></script>")
    assert linkparse.client_redirect(absolute) == ("script", "http://www.gov.cn/a.html")
    conditional = extract.parse_tree("<script>if (m) { location.href = 'm.html'; }</script><p>x</p>")
    assert linkparse.client_redirect(conditional) is None


def test_links_of_every_element_with_the_line_where_the_tag_starts():
    html = ('<html><head><link rel="dns-prefetch" href="//hint.cn"><link rel="stylesheet"\n href="s.css">'
            '<style>\nb { background: url(bg.png) }</style></head>\n<body background="b.gif">\n<a\n href="a.html"\n>甲</a>'
            '<img src="i.png" srcset="i2.png 2x"><input type="image" src="go.png"><input src="no.png">'
            '<form action="s.do"></form><div style="background:url(d.png)">x</div></body></html>')
    links = [(l.tag, l.attr, l.href, l.line, l.resource, l.form, l.css)
             for l in extract.iter_links(extract.parse_tree(html), text=html)]
    assert links == [("link", "href", "s.css", 1, True, False, True),
                     ("body", "background", "b.gif", 4, True, False, False),
                     ("a", "href", "a.html", 5, False, False, False),
                     ("img", "src", "i.png", 7, True, False, False), ("img", "srcset", "i2.png", 7, True, False, False),
                     ("input", "src", "go.png", 7, True, False, False), ("form", "action", "s.do", 7, False, True, False),
                     ("style", "url", "bg.png", 3, True, False, False), ("div", "style", "d.png", 7, True, False, False)]


def test_robots_rule_and_sitemaps():
    text = "User-agent: *\nDisallow: /private/\nAllow: /private/open/\n\nUser-agent: portal-audit\nDisallow: /\n" \
           "Sitemap: http://h/sitemap.xml\n"
    assert robots.disallow_rule(text, "Mozilla/5.0 (compatible; portal-audit/0.1)", "http://h/a.html") == "Disallow: /"
    assert robots.disallow_rule(text, "other", "http://h/private/x.html") == "Disallow: /private/"
    assert robots.disallow_rule(text, "other", "http://h/private/open/x.html") is None
    assert robots.sitemaps_in(text) == ["http://h/sitemap.xml"]
    kind, locs = robots.sitemap_locs(b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                                     b'sitemap/0.9">\n<sitemap><loc> http://h/s1.xml </loc></sitemap></sitemapindex>')
    assert (kind, locs) == ("sitemapindex", [("http://h/s1.xml", 2, None)])
    kind, locs = robots.sitemap_locs(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                                     b'<url><loc>http://h/a.html</loc><lastmod> 2024-01-05 </lastmod></url>\n'
                                     b'<url><loc>http://h/b.html</loc></url></urlset>')
    assert (kind, locs) == ("urlset", [("http://h/a.html", 2, "2024-01-05"), ("http://h/b.html", 3, None)])
    assert robots.sitemap_locs(b"<html><body>not a sitemap</body></html>") == ("", [])


def test_a_lastmod_counts_as_the_latest_instant_it_can_mean():
    """A sitemap lastmod is trusted only to say a page has not changed since: a date, month or
    year ends in the last time zone to end it (UTC-12), a time without a zone is read there too,
    a time ends with its last second (or minute); anything else is no lastmod."""
    def utc(text):
        value = robots.lastmod_time(text)
        return None if value is None else datetime.fromtimestamp(value, timezone.utc).isoformat()

    assert utc("2024-01-05") == "2024-01-06T12:00:00+00:00"
    assert utc("2024-02") == "2024-03-01T12:00:00+00:00"
    assert utc("2024") == "2025-01-01T12:00:00+00:00"
    assert utc("2024-01-05T10:00:00+08:00") == "2024-01-05T02:00:01+00:00"
    assert utc("2024-01-05T10:00:00.250Z") == "2024-01-05T10:00:01+00:00"
    assert utc("2024-01-05T10:00Z") == "2024-01-05T10:01:00+00:00"
    assert utc("2024-01-05 10:00:00") == "2024-01-05T22:00:01+00:00"
    assert [utc(t) for t in ("", "garbage", "2024-13-01", "2024-02-30", "2024-01-05T25:00Z", "05/01/2024")] == [None] * 6


def test_links_resolved_once_resolve_as_from_the_page():
    """An absolute link, or a path from the root, is resolved from a cache shared by every page
    of the site (keyed on what of the page's URL it depends on): the same URL as resolving it
    against the page itself, and a relative or scheme-relative link is never taken from it."""
    for page in ("http://h.gov.cn/xxgk/a/b.html?x=1", "http://h.gov.cn:80/other/", "http://u:p@h.gov.cn/x"):
        assert normalize_href("http://e.cn/a?b=2&a=1#f", page) == "http://e.cn/a?a=1&b=2"
    assert normalize_href("/xxgk/index.html", "http://h.gov.cn/xxgk/a/b.html?x=1") == "http://h.gov.cn/xxgk/index.html"
    assert normalize_href("/xxgk/index.html", "http://h.gov.cn:80/other/") == "http://h.gov.cn/xxgk/index.html"
    assert normalize_href("/xxgk/index.html", "http://u:p@h.gov.cn/x") == "http://u:p@h.gov.cn/xxgk/index.html"
    assert normalize_href("/x", "https://H.gov.cn/a/") == "https://h.gov.cn/x"
    assert normalize_href("//e.cn/x", "https://h.gov.cn/a/") == "https://e.cn/x"   # scheme-relative
    assert normalize_href("/\\e.cn/x", "http://h.gov.cn/a/") == "http://e.cn/x"    # WHATWG: \ is /
    assert normalize_href("c.html", "http://h.gov.cn/a/b.html") == "http://h.gov.cn/a/c.html"
    assert normalize_href("c.html", "http://h.gov.cn/z/b.html") == "http://h.gov.cn/z/c.html"
    assert normalize_href("/s?kw=公开", "http://h.gov.cn/", "gb18030") == "http://h.gov.cn/s?kw=%B9%AB%BF%AA"
    assert normalize_href("/s?kw=公开", "http://h.gov.cn/") == "http://h.gov.cn/s?kw=%E5%85%AC%E5%BC%80"
    with pytest.raises(InvalidURL):
        normalize_href("http:x", "http://h.gov.cn/")
