"""Sample government portal generator and loopback HTTP server.

Usage::

    from portal_audit.sample import build_portal, serve
    portal = build_portal(kind="full")            # or build_portal("bench", pages=20000)
    srv = serve(portal)                            # 127.0.0.1 / .2 / .3, one shared port
    srv.base_url, srv.url("/xxgk/"), srv.expected, srv.lookalikes
    srv.stop()

Only loopback addresses are ever bound.  Host roles: ``main`` = 127.0.0.1 (临沂市政府
sample), ``other`` = 127.0.0.2 (another government domain; answers every unknown
path with 200 + a generic 提示信息 page), ``spam`` = 127.0.0.3 (暗链 targets).
Requests are dispatched by Host header (``srv.vhosts`` / ``srv.add_host``).

Planted defects of the "full" portal (all listed in ``srv.expected``)
----------------------------------------------------------------------
link.broken
  (a) /xxgk/zcwj/202301/t20230105_400404.html (404), from a 政策文件 article
  (b) /ysqgk/apply.jsp (always 500), from the 依申请公开办事指南 article
  (c) http://dead-host.invalid/ (unresolvable), from a 通知公告 article
  (d) http://127.0.0.1:<closed port>/ (connection refused), from a 政策解读 article
  (e) /oldoa/view.html (answers after 12 s), from a 法规文件 article
  (f) /site/jiucuo.html (404) "我要纠错" in the footer of every article page (one finding)
  (g) ``http://exa mple.gov.cn:abc/x`` (invalid URL), from a Hanweb article
attachment.broken
  P0....9.pdf (404); P0....2.docx (HEAD 405, GET 404); P0....3.xls (410)
link.redirect-loop
  /r/loop-a.html -302-> /r/loop-b.html -302-> /r/loop-a.html
link.redirect-chain
  /r/chain-1.html -301-> chain-2 -302-> chain-3 -307-> chain-4 -308-> /xxgk/zcjd/index.html
link.soft404
  (a) /xxgk/tzgg/202312/t20231208_300404.html (200, 页面不存在)
  (b) http://127.0.0.2:PORT/some/gone.html (200, host 2's generic 提示信息 page)
link.wrong
  list item 关于印发《临沂市优化营商环境若干措施》的通知 on /xxgk/zcwj/index_1.html -> the
  安全生产大检查 notice; body link 关于进一步加强城乡环境卫生整治工作的实施意见 in a 解读
  article -> the 城乡居民基本医疗保险 notice
link.hidden (links to http://127.0.0.3:PORT/...)
  /casino/ display:none on the home page; /lottery/ via the embedded CSS rule
  ``.gg-x{position:absolute;left:-9999px;top:-9999px}`` on /xxgk/; /game/ with
  font-size:0 in a 解读 article; /loan/ under a visibility:hidden ancestor on /xxgk/tzgg/
link.inconclusive
  /jsearch/search.do?... (412, 安全狗 WAF page); /share/weibo.html (999)
site.unreachable
  not in the portal: use ``closed_port()`` to build a second, dead site URL

Planted look-alikes that must NOT be flagged (``srv.lookalikes`` has their URLs)
-------------------------------------------------------------------------------
- /hdjl/zxft/index.html: 429 + ``Retry-After: 1`` on the first request, then 200
  (counter reset by ``srv.reset()``)
- an attachment P0....5.pdf answering HEAD with 405 but GET with 200 (Range -> 206)
- /r/moved.html: a single 301 to /xxgk/index.html
- /zjly/lyfg/index.html: answers 200 after 3 s
- mailto:, tel:, javascript:void(0), javascript:window.print(), #top links
- display:none links to the same host (home page, a Hanweb article): not 暗链
- visible links to http://127.0.0.2:PORT/ (友情链接) that work
- anchors whose target title matches closely: list anchors truncated with "...",
  解读 articles linking their policy file with the full title while the target's
  <title> carries the suffix _临沂市人民政府
- an article whose URL holds Chinese characters and a full-width space
  (关于做好2024年　汛期安全防范工作的通知.html), served under its UTF-8 percent-encoding
- session ids: /xxgk/tzgg/index.html;jsessionid=ABC123 and /xxgk/zcjd/index.html?sid=123
- calendar trap /cal/?month=2024-01 linking to the previous/next month forever
- robots.txt disallows /private/; /private/index.html (linked from home) links to
  /private/old.html, a 404 only reachable by ignoring robots.txt
- a malformed HTML article (unclosed tags, stray </div>), /uploads/banner_20240301.html
  (random bytes after a PNG signature served as text/html), /xxgk/ndbg/2023qw.html
  (3 MB page)
- /r/out.html: 302 to http://127.0.0.2:PORT/xxgk/index.html (working, title matches the anchor)
- GBK pages: /xxgk/fgwj/index.html and one 法规 article with a gb2312 meta and no
  charset in the header; one GBK article with no charset anywhere; one GBK article
  whose meta claims utf-8 (decoding it as utf-8 would also fake a link.wrong)
- a working .docx attachment; the Hanweb list paginated with index.html?page=N

Sitemaps: ``/sitemap.xml`` lists a portal's articles with their ``<lastmod>`` (an index of
``/sitemap_N.xml`` beyond 1,000); the bench portal serves it, the full portal when served with
``sitemap=True``. ``srv.edit(path, html)`` moves the page's lastmod to the time of the edit
(``lastmod=False``: a site whose sitemap lies); ``srv.set_lastmod(path, text)`` sets any text.
"""

from __future__ import annotations

from .bench import build_bench
from .full import build_full
from .model import ExpectedFinding, Resource, Response, SamplePortal, closed_port
from .server import SampleServer, serve


def build_portal(kind: str = "full", pages: int = 20000) -> SamplePortal:
    """Build a sample portal: ``"full"`` (defect-rich, ~130 pages) or ``"bench"`` (``pages`` pages)."""
    if kind == "full":
        return build_full()
    if kind == "second":
        from .second import build_second

        return build_second()
    if kind == "bench":
        return build_bench(pages=pages)
    raise ValueError(f"unknown sample portal kind {kind!r} (expected 'full', 'second' or 'bench')")


__all__ = [
    "ExpectedFinding",
    "Resource",
    "Response",
    "SamplePortal",
    "SampleServer",
    "build_portal",
    "closed_port",
    "serve",
]
