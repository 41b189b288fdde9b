"""Reading documents: main text and 信息公开 metadata from real-world shaped TRS / Hanweb /
generic templates (GBK included), and the text of PDF / DOCX / XLSX attachments."""

from __future__ import annotations

import pytest

from core.text import parse_date
from crawler import content, documents, extract
from portal_audit.sample import files
from portal_audit.sample.content_policy import cjk_pdf


def tree_of(html: str, charset: str = "utf-8"):
    text, _ = extract.decode_html(html.encode(charset), None)
    return extract.parse_tree(text)


TRS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于印发临沂市数字政府建设实施方案的通知_临沂市人民政府</title>
<meta name="ArticleTitle" content="临沂市人民政府关于印发临沂市数字政府建设实施方案的通知"></head>
<body><div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/xxgk/">政府信息公开</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; 政策文件</div>
<table class="xxgk_table"><tr><td>索 引 号：</td><td>11371300004349497N/2024-00123</td><td>主题分类：</td><td>综合政务\\通知</td></tr>
<tr><td>发布机构：</td><td>临沂市人民政府</td><td>成文日期：</td><td>2024-03-08</td></tr>
<tr><td>发布日期：</td><td>2024-03-12</td><td>文　　号：</td><td>临政发〔2024〕31号</td></tr>
<tr><td>有 效 性：</td><td>有效</td><td>公开属性：</td><td>主动公开</td></tr></table>
<div class="article"><h1>临沂市人民政府关于印发临沂市数字政府建设实施方案的通知</h1>
<div class="article-info"><span>发布日期：2024-03-12 10:20</span><span>来源：临沂市人民政府</span></div>
<div id="zoom"><div class="TRS_Editor"><style>.x{color:red}</style>
<p>各县区人民政府，市政府各部门：</p><p>现将《临沂市数字政府建设实施方案》印发给你们，请认真贯彻执行。</p>
<p>本方案自印发之日起施行，有效期至2027年12月31日。</p></div></div>
<div class="fj"><a href="./P020240312.pdf">附件1</a></div></div>
<div class="footer"><p>主办单位：临沂市人民政府办公室</p><p>网站标识码：3713000001</p></div></body></html>"""


def test_trs_table_and_editor():
    tree = tree_of(TRS)
    meta = content.extract_metadata(tree)
    assert meta["索引号"] == "11371300004349497N/2024-00123"
    assert meta["文号"] == "临政发〔2024〕31号" and meta["有效性"] == "有效"
    assert meta["成文日期"] == "2024-03-08" and meta["发布日期"] == "2024-03-12"
    assert meta["公开属性"] == "主动公开" and meta["主题分类"] == "综合政务\\通知"
    text = content.extract_main_text(tree)
    assert text.startswith("各县区人民政府") and text.endswith("有效期至2027年12月31日。")
    assert "color:red" not in text and "主办单位" not in text and "附件1" not in text


HANWEB = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" /><title>通知 临沂市教育局</title></head>
<body><div id="container"><div class="hw-nav"><a href="/">首页</a> <a href="/xxgk/">政府信息公开</a></div>
<ul class="xxgk-info"><li><b>索引号：</b>113713000043494970/2024-05685</li><li><b>发文机关：</b>临沂市教育局</li>
<li><b>发文字号：</b>临教发〔2024〕6号</li><li><b>生成日期：</b>2024年06月08日</li><li><b>公开日期：</b>2024.06.11</li>
<li><b>时效：</b>有效</li></ul>
<div class="bt-article"><h1 class="art-title">关于做好2024年义务教育招生入学工作的通知</h1>
<div class="article-content" id="zoom"><p>各县区教育和体育局：</p><p>为做好2024年义务教育招生入学工作，现就有关事项通知如下。</p></div>
</div></div></body></html>"""


def test_hanweb_ul_li_with_label_variants():
    tree = tree_of(HANWEB)
    meta = content.extract_metadata(tree)
    assert meta == {"索引号": "113713000043494970/2024-05685", "发布机构": "临沂市教育局", "文号": "临教发〔2024〕6号",
                    "成文日期": "2024年06月08日", "发布日期": "2024.06.11", "有效性": "有效"}
    assert content.extract_main_text(tree) == ("各县区教育和体育局： 为做好2024年义务教育招生入学工作，现就有关事项通知如下。")


def test_dl_without_colons_span_pairs_and_one_line_pairs():
    dl = """<html><body><div class="xxgk-meta"><dl><dt>索 引 号</dt><dd>A-1</dd><dt>发文机关</dt><dd>临沂市人民政府</dd>
    <dt>发文字号</dt><dd>临政发〔2024〕33号</dd><dt>生成日期</dt><dd>2024.04.12</dd><dt>时效</dt><dd>废止</dd></dl></div>
    <div class="bt-article-content" id="zoomcon"><p>正文第一段内容，正文第一段内容。</p></div></body></html>"""
    meta = content.extract_metadata(tree_of(dl))
    assert meta == {"索引号": "A-1", "发布机构": "临沂市人民政府", "文号": "临政发〔2024〕33号",
                    "成文日期": "2024.04.12", "有效性": "废止"}
    spans = """<html><body><div class="info"><div class="row"><span class="l">索引号：</span><span class="v">B-2</span></div>
    <div class="row"><span class="l">发布机构：</span><span class="v">临沂市人民政府办公室</span></div>
    <p>成文日期：2024年4月3日　发布日期：2024年4月9日　文号：临政办发〔2024〕36号</p></div></body></html>"""
    meta = content.extract_metadata(tree_of(spans))
    assert meta == {"索引号": "B-2", "发布机构": "临沂市人民政府办公室", "成文日期": "2024年4月3日",
                    "发布日期": "2024年4月9日", "文号": "临政办发〔2024〕36号"}


def test_body_sentences_are_not_metadata_and_a_lone_source_line_is_not_a_table():
    html = """<html><body><div class="article-info">来源：临沂市人民政府</div>
    <div id="zoom"><p>报名时间：2024年3月1日至3月10日。项目名称：城市更新。</p><p>发布日期：以正式文件为准的说明文字很长很长很长</p></div>
    </body></html>"""
    assert content.extract_metadata(tree_of(html)) == {}


@pytest.mark.parametrize("line, shown", [
    ("<p>发布时间：2023-05-06 来源：本网</p>", "2023-05-06"),
    ("<div>时间发布：2023-06-12 09:51 阅读次数: 次</div>", "2023-06-12"),
    ("<div><span>来源：北京机关党建</span> <span>时间：2023年11月14日</span></div>", "2023-11-14"),
    ("<div>2025年06月03日 13时44分 来源: 四川省卫生健康委员会网站 【字体： 大 中 小 】</div>", "2025-06-03"),
    ("<div>来源：宣教中心 2022-11-14 14:59:48 【字体：大 中 小】</div>", "2022-11-14"),
    ("<h2>关于开展主题宣传活动的通知 <small class='Article-time'>( 2024-05-11)</small></h2>", "2024-05-11"),
    # not date lines: a meeting's time, another field, the clock, a sidebar entry, a body sentence
    ("<p>时间：2024年5月8日上午9:00 地点：县政府三楼会议室</p>", None),
    ("<div>开始时间：2024-05-08 结束时间：2024-05-10 来源：本网</div>", None),
    ("<div class='top'>今天是2024年6月30日 星期日</div>", None),
    ("<ul><li><a href='/a.html'>相关新闻</a> <span class='date'>2024-01-25</span></li></ul>", None),
    ("<p>2024年5月8日，县长主持召开常务会议，研究部署防汛工作，来源：本网。</p>", None),
    ("<p>" + "美术馆是收藏和陈列书画精品的场所，" * 10 + "1997年6月21日正式开馆。</p>", None),
])
def test_the_date_line_in_its_usual_forms(line, shown):
    html = f"<html><body><h1>县政府召开常务会议</h1>{line}<div id='zoom'><p>正文第一段内容，正文第一段内容。</p></div></body></html>"
    found = parse_date(content.extract_metadata(tree_of(html)).get("发布日期"))
    assert (found.isoformat() if found else None) == shown


def test_pubdate_meta_only_without_a_shown_date_and_kept_apart():
    head = "<html><head><meta name='PubDate' content='2022-04-24 10:00'></head><body>"
    shown = content.extract_metadata(tree_of(head + "<p>发布日期：2017-05-15 来源：本网</p></body></html>"))
    assert shown == {"发布日期": "2017-05-15", "来源": "本网"}
    assert content.extract_metadata(tree_of(head + "<p>正文。</p></body></html>")) == {"PubDate": "2022-04-24 10:00"}


def test_a_header_row_table_of_one_document_but_not_a_list():
    one = ("<table><tr><td>索取号</td><td>发布时间</td><td>发布机构</td><td>文件编号</td></tr>"
           "<tr><td>0764/2024-00112</td><td></td><td>上海市卫生健康委员会</td><td>"
           "<script>var fileNum = '';document.write('号');</script></td></tr></table>")
    assert content.extract_metadata(tree_of(f"<html><body>{one}</body></html>")) == {
        "索引号": "0764/2024-00112", "发布机构": "上海市卫生健康委员会"}
    rows = "".join(f"<tr><td><a href='/{i}.html'>文件{i}</a></td><td>A/{i}</td><td>县政府</td><td>2024-01-0{i}</td></tr>"
                   for i in range(1, 4))
    listing = f"<table><tr><td>名称</td><td>索引号</td><td>发布机构</td><td>发布日期</td></tr>{rows}</table>"
    assert content.extract_metadata(tree_of(f"<html><body>{listing}</body></html>")) == {}


def test_source_is_no_publisher_and_stand_in_labels():
    html = ("<html><body><table><tr><td>信息索引：</td><td>360A12-07</td><td>信息来源：</td><td>本网</td></tr>"
            "<tr><td>生成日期：</td><td>2024-06-04</td><td>发文机构：</td><td>教育部办公厅</td></tr></table></body></html>")
    meta = content.extract_metadata(tree_of(html))
    assert meta["索引号"] == "360A12-07" and meta["来源"] == "本网" and meta["发布机构"] == "教育部办公厅"
    assert meta["成文日期"] == "2024-06-04"
    both = html.replace("</table>", "<tr><td>成文日期：</td><td>2024-05-30</td></tr></table>")
    assert content.extract_metadata(tree_of(both))["成文日期"] == "2024-05-30"


def test_an_article_is_no_list_for_its_font_buttons_or_its_sidebar():
    zoom = " ".join(f"<a href='javascript:doZoom({n})'>{t}</a>" for t, n in (("大", 18), ("中", 16), ("小", 14)))
    side = "".join(f"<li><a href='/n{i}.html'>其他新闻{i}</a><span>2024-01-2{i}</span></li>" for i in range(5))
    article = (f"<html><head><meta name='ArticleTitle' content='标题'></head><body><ul>{side}</ul>"
               f"<p>发布日期：2016-07-20 字号：【{zoom}】</p><p>正文</p></body></html>")
    buttons = f"<html><body><p>发布日期：2016-07-20 字号：【{zoom}】</p><p>正文</p></body></html>"
    listing = f"<html><body><ul>{side}</ul></body></html>"
    for html, is_list in ((article, False), (buttons, False), (listing, True)):
        tree = tree_of(html)
        links = list(extract.iter_links(tree))
        assert content.is_list_page(tree, links, content.extract_metadata(tree)) is is_list, html


@pytest.mark.parametrize("html, heading", [
    ("<title>天宫一号任务第二场新闻发布会_中国载人航天官方网站</title><body><div class='yqlj'><h2>友情链接</h2>"
     "<ul><li><a href='http://a.gov.cn/'>国家航天局</a></li><li><a href='http://b.gov.cn/'>中国科学院</a></li></ul></div>"
     "<div class='title'>天宫一号任务第二场新闻发布会</div><p>正文</p></body>", "天宫一号任务第二场新闻发布会"),
    ("<title>邯郸市人民政府-政府信息公开指南</title><body><p>正文</p></body>", "政府信息公开指南"),
    ("<title>太原市人民政府门户网站-晋祠博物馆-董寿平美术馆</title><body></body>", "董寿平美术馆"),
    ("<title>1-10月德清县固定资产投资结构趋稳趋优</title><body></body>", ""),
    ("<title>广州市人民政府门户网站</title><body><h1>广州市人民政府门户网站</h1><h1>广州美妆产业依靠自主创新持续发力</h1></body>",
     "广州美妆产业依靠自主创新持续发力"),
])
def test_the_document_title(html, heading):
    assert extract.page_heading(tree_of(f"<html><head><meta charset='utf-8'>{html}</html>")) == heading


def test_gbk_page_without_charset():
    html = TRS.replace('<meta charset="utf-8">', "")
    tree = tree_of(html, "gbk")
    assert content.extract_metadata(tree)["文号"] == "临政发〔2024〕31号"
    assert "《临沂市数字政府建设实施方案》" in content.extract_main_text(tree)
    meta_gb = TRS.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    assert content.extract_metadata(tree_of(meta_gb, "gbk"))["发布机构"] == "临沂市人民政府"


def test_markers_ucap_and_density_fallback():
    marked = """<html><body><div class="top"><a href="/">首页</a></div><div class="c">
    <!--ContentStart--><p>第一条 为了规范管理，制定本办法。</p><p>第二条 本办法适用于本市。</p><!--ContentEnd-->
    <p>责任编辑：张三</p></div></body></html>"""
    assert content.extract_main_text(tree_of(marked)) == "第一条 为了规范管理，制定本办法。 第二条 本办法适用于本市。"
    ucap = '<html><body><div id="UCAP-CONTENT"><p>正文内容在开普云模板里，正文内容。</p></div></body></html>'
    assert content.extract_main_text(tree_of(ucap)) == "正文内容在开普云模板里，正文内容。"
    plain = """<html><body><div class="header"><p>欢迎访问</p><p>设为首页</p><p>加入收藏</p></div>
    <div class="menu"><ul><li><a href="/a">栏目一</a></li><li><a href="/b">栏目二</a></li></ul></div>
    <div class="wrap"><div class="left"><p>为进一步加强城市管理，提升城市品质，结合实际制定本方案。</p>
    <p>各部门要高度重视，明确责任分工，确保各项任务落到实处。</p></div></div>
    <div class="footer"><p>主办单位：某市人民政府办公室</p><p>地址：某市某路</p><p>网站标识码：1234</p></div></body></html>"""
    text = content.extract_main_text(tree_of(plain))
    assert text.startswith("为进一步加强城市管理") and "主办单位" not in text


def test_a_menu_is_not_the_content_but_a_download_only_body_is():
    html = """<html><body><div class="content"><ul><li><a href="/1">政策文件一二三四五六七八九十</a></li>
    <li><a href="/2">政策解读一二三四五六七八九十</a></li></ul></div>
    <div class="detail"><p>这里才是正文，这里才是正文，这里才是正文。</p></div></body></html>"""
    assert content.extract_main_text(tree_of(html)) == "这里才是正文，这里才是正文，这里才是正文。"
    only_link = ('<html><body><div class="article">文章标题 发布日期：2024-06-07 来源：临沂市人民政府办公室 【打印本页】【关闭窗口】'
                 '<div id="zoom"><div class="TRS_Editor"><p>附件：<a href="./P0.pdf">管理办法.pdf</a></p></div></div></div></body></html>')
    text = content.extract_main_text(tree_of(only_link))
    assert text == "附件： 管理办法.pdf"
    assert documents.body_is_only_a_link(text)
    assert not documents.body_is_only_a_link("为进一步规范管理" * 10)


def test_marks_kept_as_notice():
    html = """<html><body><table><tr><td>索引号：</td><td>C-3</td><td>发布机构：</td><td>临沂市人民政府</td></tr></table>
    <div class="sx-tip" style="color:red">该文件已于2024年3月31日失效</div><img src="/images/fz.png" alt="已废止">
    <div class="sx-tip" style="display:none">本文件已废止</div>
    <div id="zoom"><p>正文。本办法自2023年4月1日起施行，有效期1年。</p></div></body></html>"""
    meta = content.extract_metadata(tree_of(html))
    assert meta["失效提示"] == "该文件已于2024年3月31日失效"
    stamp = "<html><body><img src='/images/fz.png' alt='已废止'><div id='zoom'><p>正文正文正文正文正文正文。</p></div></body></html>"
    assert content.extract_metadata(tree_of(stamp)) == {"失效提示": "已废止"}


def test_a_hidden_stamp_left_in_a_template_is_no_notice():
    """A 文件已废止 stamp the template keeps display:none (shown by its script for repealed
    documents only), inline or by a <style> rule, is not a 失效 marking."""
    table = "<table><tr><td>索引号：</td><td>C-3</td><td>发布机构：</td><td>临沂市人民政府</td></tr></table>"
    for hidden in ("<div class='fz' style='display:none'><span>本文件已废止</span></div>",
                   "<style>.fzbz{display:none} .fzbz.show{display:block}</style><div class='fzbz'>该文件已废止</div>",
                   "<div style='display:none'><img src='/images/fz.png' alt='已废止'></div>"):
        meta = content.extract_metadata(tree_of(f"<html><body>{table}{hidden}<div id='zoom'><p>正文。</p></div></body></html>"))
        assert meta == {"索引号": "C-3", "发布机构": "临沂市人民政府"}, hidden


# -- attachments --------------------------------------------------------------------


def test_pdf_and_docx_text():
    pdf = cjk_pdf(["临沂市农业生产社会化服务项目管理办法（试行）", "第二十一条 本办法自印发之日起试行，试行期一年。",
                   "二〇二三年六月五日"])
    assert documents.sniff(pdf) == "pdf"
    text = documents.extract_document_text(pdf, "pdf")
    assert "本办法自印发之日起试行，试行期一年。" in text and text.endswith("二〇二三年六月五日")
    docx = files.make_docx("本方案自2023年1月10日起施行，有效期1年。")
    assert documents.sniff(docx) == "docx"
    assert documents.extract_document_text(docx, None) == "本方案自2023年1月10日起施行，有效期1年。"
    # a .docx served as octet-stream, with a misleading extension, is still read by its bytes
    assert documents.extract_document_text(docx, "pdf") == "本方案自2023年1月10日起施行，有效期1年。"


def test_xlsx_text(monkeypatch):
    from portal_audit.sample.content_misc import make_xlsx

    header = ("序号", "姓名", "身份证号", "联系电话", "所属社区", "保障金额（元/月）")
    rows = [(1, "刘某某", "371302195608123014", 13805391122, "金雀山社区", 820.0),
            (2, "陈某", "37132219630305402X", 15905394433, "沂州路社区", 860)]
    xlsx = make_xlsx("2024年低保对象名单", header, rows)
    assert documents.sniff(xlsx) == "xlsx"
    assert documents.document_kind("http://h/a/P0.XLSX") == "xlsx"
    assert documents.document_kind("http://h/get?id=3", documents.XLSX_TYPES[0]) == "xlsx"
    text = documents.extract_document_text(xlsx, None)
    assert text.startswith("2024年低保对象名单 序号 姓名 身份证号")
    # numbers stay whole (no 1.38e10, no 820.0), rows in order, empty cells dropped
    assert "1 刘某某 371302195608123014 13805391122 金雀山社区 820 2 陈某 37132219630305402X 15905394433" in text
    assert text.endswith("合计 2户 1680")
    assert documents.extract_document_text(xlsx, "xlsx", max_bytes=len(xlsx) - 1) == ""
    assert documents.extract_document_text(b"PK\x03\x04 broken", "xlsx") == ""
    # rows and cells are capped
    monkeypatch.setattr(documents, "MAX_XLSX_ROWS", 3)
    assert documents.extract_document_text(xlsx, None).endswith("刘某某 371302195608123014 13805391122 金雀山社区 820")
    monkeypatch.setattr(documents, "MAX_XLSX_ROWS", 100)
    monkeypatch.setattr(documents, "MAX_XLSX_CELLS", 8)
    assert documents.extract_document_text(xlsx, None) == "2024年低保对象名单 序号 姓名"


def test_attachment_limits_and_kinds():
    docx = files.make_docx("正文")
    assert documents.extract_document_text(docx, "docx", max_bytes=len(docx) - 1) == ""
    assert documents.extract_document_text(b"%PDF-1.4 broken", "pdf") == ""
    assert documents.extract_document_text(b"PK\x03\x04 not a zip", "docx") == ""
    assert documents.extract_document_text(files.make_png(), None) == ""
    assert documents.document_kind("http://h/a/P0.PDF") == "pdf"
    assert documents.document_kind("http://h/download.jsp?file=%E5%8A%9E%E6%B3%95.docx") == "docx"
    assert documents.document_kind("http://h/a/x.doc") is None
    assert documents.document_kind("http://h/get?id=3", "application/pdf; charset=binary") == "pdf"


@pytest.mark.parametrize("html", ["", "<html></html>", "<html><body></body></html>"])
def test_empty_pages(html):
    tree = extract.parse_tree(html or "<html></html>")
    assert content.extract_main_text(tree) == "" and content.extract_metadata(tree) == {}
