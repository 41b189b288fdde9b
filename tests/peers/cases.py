"""The peers' cases, re-implemented: one :class:`Case` per LinkChecker data file and lychee
fixture or extractor test, with the links the peer reports for it and the peer's verdict.

Pages are our own, written for each case; ``{SITE}`` is the site (the peers' ``localhost``),
``{EXT}`` a second loopback host standing in for the peers' internet hosts
(``www.example.com``), ``{DEAD}`` a closed port, ``{PORT}`` the server's port.

Verdicts: ``ok``, ``broken`` (an error: HTTP 4xx/5xx, DNS, refused, invalid URL),
``anchor`` (the page opened, its fragment is missing: LinkChecker's warning, lychee's
fragment error), ``inconclusive``, ``skipped`` (recorded, not fetched: mailto:, data:,
unknown schemes). A peer verdict of ``?`` cannot be decided on loopback (a mail server's
answer). Our verdict ``absent`` is a link we do not extract. ``ours``/``why`` mark a deliberate difference; ``why`` is a key of
:data:`DIFFERENCES`, whose lines the README's link section carries word for word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OK, BROKEN, ANCHOR, SKIP, INC, UNDECIDED = "ok", "broken", "anchor", "skipped", "inconclusive", "?"
ABSENT = "absent"   # not extracted

DIFFERENCES = {
    "nofollow": "`rel=nofollow` links are checked (lychee skips them): a visitor can click them.",
    "pre": "Links inside `<pre>`/`<code>` are checked (lychee skips verbatim blocks): a visitor can click them.",
    "bare-email": "`href=\"name@host\"` without `mailto:` is a relative link the browser follows, so it is "
                  "checked (lychee drops it) and is broken when the page it names is missing.",
    "srcset-at": "A `srcset` candidate containing `@` (`v2@1.5x.png`) is an image URL and is checked (lychee "
                 "drops it as a possible e-mail address).",
    "virtual-css": "A stylesheet under `/@…` is checked like any other (lychee skips such dev-server paths): on a "
                   "published portal it is what the browser loads.",
    "input-src": "`<input src>` is read only for `type=image` (lychee reads `src` on every element): a text "
                 "field's `src` is never loaded by a browser.",
    "applet": "`<applet code|archive>` are links (as LinkChecker reads them; lychee reads only `codebase`): the "
              "browser loads them.",
    "mail": "`mailto:` links are recorded and not checked (LinkChecker and lychee look the mail server up, "
            "which no loopback test can decide).",
}


@dataclass(frozen=True)
class Link:
    href: str                    # as written in the page (placeholders allowed)
    peer: str                    # the peer's verdict
    ours: str | None = None      # our verdict, when it differs on purpose
    why: str | None = None       # the DIFFERENCES key of that difference
    line: int | None = None      # the line where the tag starts, when the peer reports it

    @property
    def expected(self) -> str:
        return self.ours or self.peer


@dataclass(frozen=True)
class Case:
    peer: str                              # "linkchecker", "lychee" or "ours"
    name: str
    pages: dict[str, str]                  # file name in the case's directory → HTML
    links: tuple[Link, ...]                # the links the peer reports
    extra: tuple[Link, ...] = ()           # links we extract that the peer does not (peer verdict "")
    start: str = "index.html"
    ok: tuple[str, ...] = ()               # other paths answering 200 (relative: in the case's directory)
    ext: tuple[str, ...] = ()              # paths answering 200 on {EXT}
    special: dict[str, tuple] = field(default_factory=dict)   # path → (status, headers) answers

    @property
    def directory(self) -> str:
        return f"/{self.peer}/{self.name}/"


PAGE = "<html><head><title>{title}</title></head><body>{body}</body></html>"


def page(body: str, title: str = "case") -> str:
    return PAGE.format(title=title, body=body)


LINKCHECKER = [
    Case("linkchecker", "http", {"http.html": """<html><head><title>http</title>
<link rel="stylesheet" href="file.css">
<style>@import url(file.txt);</style>
</head><body>
<object classid="clsid:12345-67890"></object>
<a href="dns://www.example.org">dns</a> <a href="dns://www.example.com">dns</a>
<a href="http://www.nx-host.invalid/">bad url</a>
<a href="/?d=directory&amp;p=page">should not be cached</a>
<a href="/?d=directory&amp;p=page1">should not be cached</a>
<a href="/?q=&uuml;">html entities</a>
<a href="file.html">file</a>
<div style="background-image: url(file.asc)">CSS urls</div>
<a href="{EXT}/foo/ #a=1,2,3">space</a>
<a href="http://.example.org/">Error</a>
</body></html>"""}, (
        Link("clsid:12345-67890", SKIP), Link("dns://www.example.org", SKIP), Link("dns://www.example.com", SKIP),
        Link("http://www.nx-host.invalid/", BROKEN), Link("/?d=directory&p=page", OK),
        Link("/?d=directory&p=page1", OK), Link("/?q=ü", OK), Link("file.html", OK), Link("file.css", OK),
        Link("file.asc", OK), Link("file.txt", OK), Link("{EXT}/foo/ #a=1,2,3", BROKEN),
        Link("http://.example.org/", BROKEN)),
        start="http.html", ok=("file.html", "file.css", "file.asc", "file.txt", "/")),
    Case("linkchecker", "misc", {"misc.html": """<html><head><title>misc</title>
<link rel="shortcut icon" href="favicon.ico"></head>
<body><a href="{EXT}/">home</a><embed src="test.swf" type="application/x-shockwave-flash"></body></html>"""},
         (Link("{EXT}/", OK), Link("favicon.ico", OK), Link("test.swf", OK)),
         start="misc.html", ok=("favicon.ico", "test.swf"), ext=("/",)),
    Case("linkchecker", "http_anchor", {"http_anchor.html": page(
        '<a name="good">target</a>\n<a href="http_anchor.html#bad">a_bad</a>\n<a href="http_anchor.html#good">a_good</a>')},
         (Link("http_anchor.html#bad", ANCHOR), Link("http_anchor.html#good", OK)), start="http_anchor.html"),
    Case("linkchecker", "allrefs", {
        "allrefs1.html": page("""<a name="oneone">one one</a>
<a href="allrefs1.html">first</a> <a href="allrefs1.html">second</a>
<a href="allrefs1.html#oneone">oneone first</a> <a href="#oneone">oneone second</a>
<a href="allrefs1.html#onebroken">onebroken first</a> <a href="allrefs1.html#onebroken">onebroken second</a>
<a href="#onebroken">onebroken third</a>
<a href="allrefs2.html">two</a> <a href="allrefs2.html#twoone">twoone</a> <a href="allrefs2.html#twobroken">twobroken</a>"""),
        "allrefs2.html": page('<a id="twoone">two one</a> <a href="allrefs3.html">allrefs3 only</a>'),
        "allrefs3.html": page("three")},
         (Link("allrefs1.html", OK), Link("allrefs1.html#oneone", OK), Link("#oneone", OK),
          Link("allrefs1.html#onebroken", ANCHOR), Link("#onebroken", ANCHOR), Link("allrefs2.html", OK),
          Link("allrefs2.html#twoone", OK), Link("allrefs2.html#twobroken", ANCHOR), Link("allrefs3.html", OK)),
         start="allrefs1.html"),
    Case("linkchecker", "anchor", {
        "anchor1.html": page('<a name="oneone">1</a><a name="onetwo">2</a><a name="onethree">3</a><a name="onefour">4</a>'
                             '<a href="#oneone">one from 1</a> <a href="anchor2.html#twotwo">two from 1</a>'
                             ' <a href="anchor2.html#twothree">three from 1</a>'),
        "anchor2.html": page('<a name="twoone">1</a><a name="twotwo">2</a><a name="twothree">3</a><a name="twofour">4</a>'
                             '<a href="#twoone">one from 2</a> <a href="#twofour">four from 2</a>'
                             ' <a href="anchor3.html#threetwo">two from 2</a> <a href="anchor3.html#threethree">three</a>'),
        "anchor3.html": page('<p id="threeone">1</p><p id="threetwo">2</p><p id="threethree">3</p><p id="threefour">4</p>'
                             '<a href="#threeone">one from 3</a> <a href="#threefour">four from 3</a>'
                             ' <a href="anchor1.html#onetwo">two</a> <a href="anchor1.html#onethree">three</a>'
                             ' <a href="anchor1.html#onefour">four</a>')},
         tuple(Link(h, OK) for h in ("#oneone", "anchor2.html#twotwo", "anchor2.html#twothree", "#twoone", "#twofour",
                                     "anchor3.html#threetwo", "anchor3.html#threethree", "#threeone", "#threefour",
                                     "anchor1.html#onetwo", "anchor1.html#onethree", "anchor1.html#onefour")),
         start="anchor1.html"),
    Case("linkchecker", "urlencoding_anchor", {"urlencoding_anchor.html": page("""
<a name="fine">Good target</a>
<a name="bars_|_and_brackets_(and—long-dashes)">Needs-encoded target #1</a>
<a name="other_bars_|_and_brackets_(and—long-dashes)">Needs-encoded target #2</a>
<a name="half_|_(encoded_long—dash)">partially-encoded target</a>
<a href="urlencoding_anchor.html#fine">Good anchor</a>
<a href="urlencoding_anchor.html#wrong">Bad anchor</a>
<a href="urlencoding_anchor.html#bars_|_and_brackets_(and—long-dashes)">Non-encoded anchor</a>
<a href="urlencoding_anchor.html#bars_|_and_brackets_%28and%E2%80%94long-dashes%29">Partially-encoded</a>
<a href="urlencoding_anchor.html#bars_%7C_and_brackets_%28and%E2%80%94long-dashes%29">Fully-encoded</a>
<a href="urlencoding_anchor.html#other_bars_%7C_and_brackets_%28and%E2%80%94long-dashes%29">Distinct encoded</a>
<a href="urlencoding_anchor.html#wrong_|_%28and%E2%80%94long-dashes%29">Bad encoded, partially</a>
<a href="urlencoding_anchor.html#wrong_%7C_%28and%E2%80%94long-dashes%29">Bad encoded, fully</a>
<a href="urlencoding_anchor.html#half_%7C_(encoded_long—dash)">Partially-encoded anchor</a>""")},
         (Link("urlencoding_anchor.html#fine", OK), Link("urlencoding_anchor.html#wrong", ANCHOR),
          Link("urlencoding_anchor.html#bars_|_and_brackets_(and—long-dashes)", OK),
          Link("urlencoding_anchor.html#bars_|_and_brackets_%28and%E2%80%94long-dashes%29", OK),
          Link("urlencoding_anchor.html#bars_%7C_and_brackets_%28and%E2%80%94long-dashes%29", OK),
          Link("urlencoding_anchor.html#other_bars_%7C_and_brackets_%28and%E2%80%94long-dashes%29", OK),
          Link("urlencoding_anchor.html#wrong_|_%28and%E2%80%94long-dashes%29", ANCHOR),
          Link("urlencoding_anchor.html#wrong_%7C_%28and%E2%80%94long-dashes%29", ANCHOR),
          Link("urlencoding_anchor.html#half_%7C_(encoded_long—dash)", OK)),
         start="urlencoding_anchor.html"),
    Case("linkchecker", "http_invalid_host", {"index.html": page('<a href="http://localhost]">ValueError</a>')},
         (Link("http://localhost]", BROKEN),)),
    Case("linkchecker", "http_url_quote", {"index.html": page(
        '<a href="{DEAD}/?quoted=ü">l1</a> <a href="{DEAD}/?quoted=%FF">l2</a>'
        ' <a href="mailto:ölvin@users.example.org">l3</a> <a href="mailto:%E4lvin@users.example.org">l4</a>')},
         (Link("{DEAD}/?quoted=ü", BROKEN), Link("{DEAD}/?quoted=%FF", BROKEN),
          Link("mailto:ölvin@users.example.org", UNDECIDED, SKIP, "mail"),
          Link("mailto:%E4lvin@users.example.org", UNDECIDED, SKIP, "mail"))),
    Case("linkchecker", "http_quotes", {"index.html": page(
        '<a href={EXT}/>unquoted</a> <a href=/linkchecker/http_quotes/stalter&sohn>unquoted ampersand</a>'
        ' <a href={EXT}/">no beginning quote</a>')},
         (Link("{EXT}/", OK), Link("/linkchecker/http_quotes/stalter&sohn", BROKEN), Link('{EXT}/"', BROKEN)),
         ext=("/",)),
    Case("linkchecker", "http_slash", {"index.html": page(
        '<a href="http:">no url, no slash</a> <a href="http:/">no url, one slash</a> <a href="http://">no url</a>'
        ' <a href="http:www.example.com/">no slash</a> <a href="http:/www.example.com/">one slash</a>'
        ' <a href="{EXT}/">ok example</a>')},
         (Link("http:", BROKEN), Link("http:/", BROKEN), Link("http://", BROKEN), Link("http:www.example.com/", BROKEN),
          Link("http:/www.example.com/", BROKEN), Link("{EXT}/", OK)), ext=("/",)),
    Case("linkchecker", "http_lowercase", {"index.html": page('<a href="HtTP://127.0.0.2:{PORT}/">l1</a>')},
         (Link("HtTP://127.0.0.2:{PORT}/", OK),), ext=("/",)),
    Case("linkchecker", "redir", {"index.html": page('<a href="redirect_newhost.html">redirect to new host</a>')},
         (Link("redirect_newhost.html", OK),), ext=("/",),
         special={"redirect_newhost.html": (302, {"Location": "{EXT}/"})}),
    Case("linkchecker", "archive", {"index.html": page('<object archive="file.html,{EXT}/"></object>')},
         (Link("file.html", OK), Link("{EXT}/", OK)), ok=("file.html",), ext=("/",)),
    Case("linkchecker", "all_parts_linenos", {"index.html": """<html>
<head>
<title>lines</title>
<link rel="alternate"
  href="base2.html">
</head>
<body><p>text</p><a
 href="file.html"
 >x</a></body></html>"""}, (Link("base2.html", OK, line=4), Link("file.html", OK, line=7)),
         ok=("base2.html", "file.html")),
    Case("linkchecker", "base", {"index.html": """<html><head><base href="{SITE}/linkchecker/base/sub/">
<title>base</title></head><body><a href="page.html">in base</a> <a href="../up.html">up</a></body></html>"""},
         (Link("page.html", OK), Link("../up.html", OK)), ok=("sub/page.html", "up.html")),
    Case("linkchecker", "frames", {"index.html": """<html><head><title>frames</title></head>
<frameset cols="50%,50%"><frame src="frame1.html"><frame src="frame2.html"></frameset></html>"""},
         (Link("frame1.html", OK), Link("frame2.html", OK)), ok=("frame1.html", "frame2.html")),
    Case("linkchecker", "sitemapindex", {"index.html": page("sitemaps"),
                                         "sitemapindex.xml": """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{SITE}/linkchecker/sitemapindex/sitemap.xml</loc></sitemap>
</sitemapindex>""", "sitemap.xml": """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{SITE}/linkchecker/sitemapindex/listed.html</loc><lastmod>2024-01-01</lastmod></url>
  <url><loc>{SITE}/linkchecker/sitemapindex/listed.html?ascii=nø</loc></url>
  <url><loc>{SITE}/linkchecker/sitemapindex/removed.html</loc></url>
</urlset>"""},
         (Link("{SITE}/linkchecker/sitemapindex/sitemap.xml", OK),
          Link("{SITE}/linkchecker/sitemapindex/listed.html", OK),
          Link("{SITE}/linkchecker/sitemapindex/listed.html?ascii=nø", OK),
          Link("{SITE}/linkchecker/sitemapindex/removed.html", BROKEN)), ok=("listed.html",)),
]

LYCHEE = [
    Case("lychee", "html5", {"index.html": """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <link rel="home" href="{EXT}/head/home" />
    <title>HTML5</title>
    <link rel="icon" type="image/png" sizes="32x32" href="images/icon.png" />
    <link
      rel="stylesheet"
      type="text/css"
      href="{EXT}/css/full.css"
    />
    <link rel="stylesheet" type="text/css" href="css/relative.css" />
    <script defer src="js/script.js"></script>
  </head>
  <body>
    Hello.
    <a href="{EXT}/body/a">Link in body</a>
    <div><a href="{EXT}/body/div_empty_a" /></div>
  </body>
</html>"""}, (Link("{EXT}/head/home", OK), Link("images/icon.png", OK), Link("{EXT}/css/full.css", OK),
              Link("css/relative.css", OK), Link("js/script.js", OK), Link("{EXT}/body/a", OK),
              Link("{EXT}/body/div_empty_a", OK)),
         ok=("images/icon.png", "css/relative.css", "js/script.js"),
         ext=("/head/home", "/css/full.css", "/body/a", "/body/div_empty_a")),
    Case("lychee", "html5_minified", {"index.html": '<!doctype html><html lang=en class=no-js><head> '
         '<link href={EXT}/ rel=canonical> <link rel="shortcut icon" href={EXT}/favicon.ico> '
         '<link rel=preconnect href=http://fonts.nx-host.invalid crossorigin></head><body><header><nav>'
         '<a href={EXT}/docs/ title="Docs"></a> <div> <a href={EXT}/ title="Home"></a> </div></nav></header>'
         '<ul><li><a href="{EXT}/forum">Forum</a></li></ul></body></html>'},
         (Link("{EXT}/", OK), Link("{EXT}/favicon.ico", OK), Link("{EXT}/docs/", OK), Link("{EXT}/forum", OK)),
         ext=("/", "/favicon.ico", "/docs/", "/forum")),
    Case("lychee", "html5_malformed", {"index.html": page(
        '<a href="https;//example.com/malformed_one">Malformed</a> <a href="https://example]org/malformed_two">'
        'Malformed</a> <a href="{EXT}/valid">Valid</a>')},
         (Link("https;//example.com/malformed_one", BROKEN), Link("https://example]org/malformed_two", BROKEN),
          Link("{EXT}/valid", OK)), ext=("/valid",)),
    Case("lychee", "test_html", {"index.html": page(
        '<ul><li><a href="{EXT}/2020/rust-compile-times/"\n>Compile times</a\n></li>'
        '<li><a href="{EXT}/10/">Hello</a></li><li><a href="20/">Hello</a></li></ul>')},
         (Link("{EXT}/2020/rust-compile-times/", OK), Link("{EXT}/10/", OK), Link("20/", OK)),
         ok=("20/",), ext=("/2020/rust-compile-times/", "/10/")),
    Case("lychee", "invalid_urls", {"index.html": page(
        '<ul><li><a href="{EXT}/status/404">404</a></li><li><a href="{EXT}/status/500">500</a></li>'
        '<li><a href="{EXT}/status/502">502</a></li></ul>')},
         (Link("{EXT}/status/404", BROKEN), Link("{EXT}/status/500", BROKEN), Link("{EXT}/status/502", BROKEN))),
    Case("lychee", "http", {"index.html": '<a href="{EXT}">Insecure HTTP link</a>'}, (Link("{EXT}", OK),), ext=("/",)),
    Case("lychee", "link_period", {"index.html": '<a href="{EXT}/smth.">link</a>'}, (Link("{EXT}/smth.", OK),),
         ext=("/smth.",)),
    Case("lychee", "data_uris", {"index.html": """<a href="{EXT}/2000/svg">False positive link</a>
<a href="data:,Hello%2C%20World%21">Hello World</a>
<a href="data:text/plain;base64,SGVsbG8sIFdvcmxkIQ==">Plaintext</a>
<a
  href="data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 147 40'"
  >data URI</a
>
<a href="{SITE}/lychee/data_uris/bg-water.webp">normal link</a>"""},
         (Link("{EXT}/2000/svg", OK), Link("{SITE}/lychee/data_uris/bg-water.webp", OK)),
         extra=(Link("data:,Hello%2C%20World%21", "", SKIP), Link("data:text/plain;base64,SGVsbG8sIFdvcmxkIQ==", "", SKIP),
                Link("data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 147 40'", "", SKIP)),
         ok=("bg-water.webp",), ext=("/2000/svg",)),
    Case("lychee", "verbatim", {"index.html": """<html><head><title>Verbatim</title></head><body>
<pre>{EXT}/pre</pre>
<pre>
  <a href="{EXT}/pre/a" target="_blank" rel="noopener">example</a>
</pre>
<code>{EXT}/code</code> <samp> {EXT}/samp </samp> <kbd>{EXT}/kbd</kbd> <var>{EXT}/var</var>
<script>
  // {EXT}/script
  "{EXT}/script";
</script>
</body></html>"""}, (), extra=(Link("{EXT}/pre/a", "", OK, "pre"),), ext=("/pre/a",)),
    Case("lychee", "anchors", {"index.html": """<!DOCTYPE html>
<html><head><title>Anchors</title></head><body>
<a href="#section-2">Jump to section 2</a><br />
<a href="#section-3">Jump to section 3</a><br />
<a href="#missing-section-4">Jump to section 4</a><br />
<h2 id="section-1">Section 1</h2><h2 id="section-2">Section 2</h2><h2 id="section-3">Section 3</h2>
<p>Go to the <a href="#section-1">top</a>.</p>
<a href="other.html#anchor-1">Go to an anchor on a different HTML page</a>
</body></html>""", "other.html": page('<p id="anchor-1">here</p>')},
         (Link("#section-2", OK), Link("#section-3", OK), Link("#missing-section-4", ANCHOR), Link("#section-1", OK),
          Link("other.html#anchor-1", OK))),
    Case("lychee", "fragments", {"index.html": """<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>Fragments</title></head><body>
<section id="in-the-beginning"><p id="Upper-ÄÖö"><div id="tangent%3A-kustomize"></div>
To start <a href="file1.html#fragment-1">let's run away.</a></p></section>
<section><p id="a-word">Word</p>
<a href="#in-the-beginning">back we go</a><br>
<a href="#in-THE-begiNNing">upper does not work</a><br>
<a href="#tangent%3A-kustomize">id with percent encoding</a><br>
<a href="#Upper-ÄÖö">back to Upper-ÄÖö</a><br>
<a href="#Upper-%C3%84%C3%96%C3%B6">encoded</a><br>
<a href="#in-the-end">doesn't exist</a><br>
<a href="#">To the top</a><br>
<a href="#top">To the top alt</a><br>
</section></body></html>""", "file1.html": page('<h2 id="fragment-1">Fragment 1</h2>')},
         (Link("file1.html#fragment-1", OK), Link("#in-the-beginning", OK), Link("#in-THE-begiNNing", ANCHOR),
          Link("#tangent%3A-kustomize", OK), Link("#Upper-ÄÖö", OK), Link("#Upper-%C3%84%C3%96%C3%B6", OK),
          Link("#in-the-end", ANCHOR), Link("#", OK), Link("#top", OK))),
    Case("lychee", "encoded_fragments", {"index.html": page('<a href="/lychee/encoded_fragments/about.html#about">About</a>'),
                                         "about.html": page("<h1>About Page</h1>")},
         (Link("/lychee/encoded_fragments/about.html#about", ANCHOR),)),
    Case("lychee", "skip_verbatim", {"index.html": """<html><body id="content">
<p>Inline <code id="inline-code">{EXT}/code</code> and a normal <a href="{EXT}/org">example</a></p>
<pre>
  Some text {EXT}/foo and {EXT}/bar/some/path
  <a href="{EXT}/baz">example link inside pre</a>
</pre></body></html>"""}, (Link("{EXT}/org", OK),), extra=(Link("{EXT}/baz", "", OK, "pre"),),
         ext=("/org", "/baz")),
    Case("lychee", "nofollow", {"index.html": page(
        '<a rel="nofollow" href="{EXT}/foo">do not follow me</a>'
        ' <a rel="canonical,nofollow,dns-prefetch" href="{EXT}/com">do not follow me</a>'
        ' <a href="{EXT}/org">fine</a> <a href="{EXT}/later" rel="nofollow">order</a>')},
         (Link("{EXT}/org", OK),),
         extra=(Link("{EXT}/foo", "", OK, "nofollow"), Link("{EXT}/com", "", OK, "nofollow"),
                Link("{EXT}/later", "", OK, "nofollow")), ext=("/foo", "/com", "/org", "/later")),
    Case("lychee", "script_tags", {"index.html": page(
        '<script>\nvar foo = "{EXT}/in-script";\n</script>\n<a href="{EXT}/org">fine</a>')},
         (Link("{EXT}/org", OK),), ext=("/org",)),
    Case("lychee", "tel_and_mail", {"index.html": page(
        '<a href="tel:1234567890">call</a> <a href="mailto:foo@bar.example.org">mail</a> <a href="foo@bar.html">x</a>')},
         (Link("tel:1234567890", SKIP), Link("mailto:foo@bar.example.org", UNDECIDED, SKIP, "mail")),
         extra=(Link("foo@bar.html", "", BROKEN, "bare-email"),)),
    Case("lychee", "srcset", {"index.html": page(
        '<img srcset="v2@1.5x.png" alt="Wikipedia">\n'
        '<img srcset="/lychee/srcset/format=webp,width=640/https://img.example/max.jpg 640w,'
        ' /lychee/srcset/format=webp,width=750/https://img.example/max.jpg 750w"'
        ' src="/lychee/srcset/format=webp,width=3840/https://img.example/max.jpg">\n'
        '<picture><source srcset="/lychee/srcset/300.png 300w,/lychee/srcset/600.png 600w,'
        'http://img.nx-host.invalid/a.png 1000w,relative.png 10w"><img src="relative.png"></picture>')},
         (Link("/lychee/srcset/format=webp,width=640/https://img.example/max.jpg", OK),
          Link("/lychee/srcset/format=webp,width=750/https://img.example/max.jpg", OK),
          Link("/lychee/srcset/format=webp,width=3840/https://img.example/max.jpg", OK),
          Link("/lychee/srcset/300.png", OK), Link("/lychee/srcset/600.png", OK),
          Link("http://img.nx-host.invalid/a.png", BROKEN), Link("relative.png", OK)),
         extra=(Link("v2@1.5x.png", "", OK, "srcset-at"),),
         ok=("v2@1.5x.png", "format=webp,width=640/https://img.example/max.jpg",
             "format=webp,width=750/https://img.example/max.jpg",
             "format=webp,width=3840/https://img.example/max.jpg", "300.png", "600.png", "relative.png")),
    Case("lychee", "hints", {"index.html": """<html lang="en-EN" prefix="og: {EXT}/ns#"><head>
<link rel="preconnect" href="{EXT}/pre1"><link href="{EXT}/pre2" rel="preconnect">
<link rel="dns-prefetch" href="{EXT}/dns1"><link href="{EXT}/dns2" rel="dns-prefetch">
</head><body><a href="{EXT}/">real</a>https://ignore.example/text</body></html>"""},
         (Link("{EXT}/", OK),), ext=("/",)),
    Case("lychee", "virtual_css", {"index.html": '<html><head><link href="/@global/global.css" rel="stylesheet">'
                                                 '</head><body>x</body></html>'},
         (), extra=(Link("/@global/global.css", "", BROKEN, "virtual-css"),)),
    Case("lychee", "css", {"index.html": """<html><head><title>CSS</title><style>
a { background: url("{EXT}/images/double.jpg"); }
b { background: url('{EXT}/images/single.jpg'); }
i { background: url({EXT}/images/unquoted.jpg); }
u { background: url("data:image/jpeg;base64,iRxVB0"); }
s { background-image: url("star.gif"); list-style-image: url('../css/bullet.jpg'); }
q { content: url("my-icon.jpg"); cursor: url(my-cursor.cur); }
p { border-image-source: url(/lychee/css/diamonds.png); }
@font-face { font-family: f; src: url('fantastic-font.woff'); }
em { offset-path: url(#path); mask-image: url("masks.svg#mask1"); }
dt { cursor: url(pointer.cur), pointer; background: url('star.gif') bottom right repeat-x blue; }
dd { background-image: cross-fade(20% url(first.png), url(second.png)); }
dl { mask-image: image(url(mask.png), skyblue, linear-gradient(black, transparent)); }
ol { content: url(star.svg) url(star.svg) url(star.svg) url(star.svg) url(star.svg); }
@import url("{EXT}/style.css");
ul { filter: url("my-file.svg#svg-blur"); }
li { filter: url("#svg-blur"); background: url(  "./image.png"  ); }
h1 { background: url(''); color: red; }
</style></head><body><svg><path id="path" d="M0 0"/><filter id="svg-blur"/></svg></body></html>"""},
         tuple(Link(h, OK) for h in (
             "{EXT}/images/double.jpg", "{EXT}/images/single.jpg", "{EXT}/images/unquoted.jpg", "star.gif",
             "../css/bullet.jpg", "my-icon.jpg", "my-cursor.cur", "/lychee/css/diamonds.png", "fantastic-font.woff",
             "#path", "masks.svg#mask1", "pointer.cur", "first.png", "second.png", "mask.png", "star.svg",
             "{EXT}/style.css", "my-file.svg#svg-blur", "#svg-blur", "./image.png"))
         + (Link("data:image/jpeg;base64,iRxVB0", SKIP),),
         ok=("star.gif", "bullet.jpg", "my-icon.jpg", "my-cursor.cur", "diamonds.png", "fantastic-font.woff",
             "masks.svg", "pointer.cur", "first.png", "second.png", "mask.png", "star.svg", "my-file.svg", "image.png"),
         ext=("/images/double.jpg", "/images/single.jpg", "/images/unquoted.jpg", "/style.css")),
    Case("lychee", "elements", {"index.html": """<html manifest="app.appcache"><head><title>elements</title></head>
<body background="bg.gif">
<img src="a.png" longdesc="desc.html"> <input type="image" src="btn.png"> <input type="text" src="not-a-link.png">
<video src="movie.mp4" poster="poster.jpg"><source src="movie.webm"><track src="subs.vtt"></video>
<audio src="sound.mp3"></audio> <iframe src="frame.html"></iframe>
<form action="search.html"><button formaction="other-search.html">go</button></form>
<blockquote cite="quote.html">q</blockquote> <q cite="q.html">q</q> <ins cite="ins.html">i</ins> <del cite="del.html">d</del>
<object data="movie.swf" codebase="/lychee/elements/"></object> <applet code="Applet.class" archive="applet.jar"></applet>
<map name="m"><area href="area.html"></map>
</body></html>"""}, tuple(Link(h, OK) for h in (
        "app.appcache", "bg.gif", "a.png", "desc.html", "btn.png", "movie.mp4", "poster.jpg", "movie.webm", "subs.vtt",
        "sound.mp3", "frame.html", "search.html", "other-search.html", "quote.html", "q.html", "ins.html", "del.html",
        "movie.swf", "/lychee/elements/", "area.html")) + (Link("not-a-link.png", OK, ABSENT, "input-src"),),
         extra=(Link("Applet.class", "", OK, "applet"), Link("applet.jar", "", OK, "applet")),
         ok=("app.appcache", "bg.gif", "a.png", "desc.html", "btn.png", "movie.mp4", "poster.jpg", "movie.webm",
             "subs.vtt", "sound.mp3", "frame.html", "search.html", "other-search.html", "quote.html", "q.html",
             "ins.html", "del.html", "movie.swf", "", "Applet.class", "applet.jar", "area.html", "not-a-link.png")),
]

PEER_CASES = LINKCHECKER + LYCHEE

# Our own cases, for what the peers' suites do not cover (asserted, not scored).
OURS = [
    Case("ours", "refresh", {"index.html": '<html><head><meta http-equiv="refresh" content="0; url=real.html">'
                                           '<title>跳转</title></head><body>正在跳转…</body></html>',
                             "real.html": page('<a href="a.html">甲</a> <a href="gone.html">乙</a>')},
         (Link("a.html", OK), Link("gone.html", BROKEN)), ok=("a.html",)),
    Case("ours", "script_redirect", {"index.html": '<html><head><script>\n  window.location.href = "target.html";\n'
                                                   '</script></head><body></body></html>',
                                     "target.html": page('<a href="b.html">乙</a>')},
         (Link("b.html", OK),), ok=("b.html",)),
    Case("ours", "conditional_redirect", {"index.html": page(
        '<script>if (/Mobile/.test(navigator.userAgent)) { location.href = "m.html"; }</script>'
        '<a href="desk.html">桌面版</a>')}, (Link("desk.html", OK),), ok=("desk.html",)),
    Case("ours", "robots_home", {"index.html": page('<a href="a.html">甲</a>')}, ()),
    Case("ours", "statuses", {"index.html": page('<a href="noloc.html">无 Location 的跳转</a>')},
         (Link("noloc.html", INC),), special={"noloc.html": (302, {})}),
    Case("ours", "gbk", {"index.html": '<html><head><meta charset="gbk"><title>\xb9\xab\xbf\xaa</title></head><body>'
                                       '<a href="search.html?kw=%B9%AB%BF%AA">s</a> <a href="list.html?q=%FF">ff</a>'
                                       ' <a href="list.html?q=%FC">fc</a> <a href="a//b.html">double slash</a>'
                                       ' <a href="find.html?kw=\xb9\xab\xbf\xaa">query in the page\'s charset</a>'
                                       '</body></html>'},
         (Link("search.html?kw=%B9%AB%BF%AA", OK), Link("list.html?q=%FF", OK), Link("list.html?q=%FC", OK),
          Link("a//b.html", OK), Link("find.html?kw=公开", OK)), ok=("search.html", "list.html", "a//b.html", "find.html")),
    Case("ours", "unfollowable", {"index.html": page(
        '<a href="file:///C:/docs/a.doc">本机文件</a> <a href="htp://www.example.gov.cn/">htp</a>'
        ' <a href="https;//www.example.gov.cn/">分号</a> <a href="D:\\文件\\a.doc">盘符</a> <a href="http://">空</a>'
        ' <a href="ftp://127.0.0.1/pub/a.txt">ftp</a> <a href="mailto:a@b.example">信</a> <a href="tel:12345">电话</a>'
        ' <a href="javascript:void(0)">js</a> <a href="data:,x">data</a>')},
         (Link("file:///C:/docs/a.doc", BROKEN), Link("htp://www.example.gov.cn/", BROKEN),
          Link("https;//www.example.gov.cn/", BROKEN), Link("D:\\文件\\a.doc", BROKEN), Link("http://", BROKEN),
          Link("ftp://127.0.0.1/pub/a.txt", INC), Link("mailto:a@b.example", SKIP), Link("tel:12345", SKIP),
          Link("javascript:void(0)", SKIP), Link("data:,x", SKIP))),
    Case("ours", "stylesheet", {"index.html": '<html><head><link rel="stylesheet" href="site.css"></head>'
                                              '<body>x</body></html>',
                                "site.css": 'body { background: url(bg.png) }\n.x { background: url("missing.png") }\n'
                                            '@import "more.css";\n',
                                "more.css": '.y { background: url(deep.png) }'},
         (Link("site.css", OK), Link("bg.png", OK, line=1), Link("missing.png", BROKEN, line=2),
          Link("more.css", OK, line=3), Link("deep.png", OK)), ok=("bg.png", "deep.png")),
    Case("ours", "forms", {"index.html": page('<form action="search.do" method="post"><input name="q"></form>'
                                             '<form action="gone.do"><input name="q"></form>')},
         (Link("search.do", OK), Link("gone.do", BROKEN)), special={"search.do": (405, {})}),
]
