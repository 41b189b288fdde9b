"""report.html: rendered from a real store, checked as text (self-contained, escaped, complete)."""

from __future__ import annotations

import re
import weakref
from html.parser import HTMLParser
from markupsafe import escape

import pytest
from jinja2 import ChoiceLoader, DictLoader

from core.models import Finding, RunStatus, Severity, fingerprint
from reports import html as report_html, write_reports
from reports.data import load_report_data
from reports.html import render
from store import Store


SITES = [("临沂市人民政府", "http://127.0.0.1:8765/"), ("兰山区人民政府", "http://127.0.0.1:8766/")]
LONG_URL = ("http://127.0.0.1:8765/xxgk/zcwj/2024/06/attachments/"
            + "very-long-path-segment-" * 8 + "file.pdf?download=1&token=" + "a1b2c3d4" * 10)
XSS = "<script>alert('x')</script>"


def fetch_ev(url, *, outcome="http_error", label="HTTP错误", status=404, error="HTTP 404", attempts=2,
             redirects=(), final_url=None):
    return {"outcome": outcome, "outcome_label": label, "status": status, "error": error, "attempts": attempts,
            "elapsed": 0.731, "method": "GET", "redirects": list(redirects), "final_url": final_url or url}


def linked(site_url, n, anchor="关于印发《临沂市政府信息公开工作要点》的通知"):
    pages = [{"page": f"{site_url}xxgk/list_{i}.html", "anchor": anchor, "line": 40 + i, "tag": "a"}
             for i in range(min(n, 10))]
    return {"count": n, "pages": pages}


def make_findings(run_id: int, scale: int = 1) -> list[Finding]:
    """Findings of several checks on both sites, in the evidence shapes the checks produce."""
    out = []

    def add(check, sev, site, url, page, message, evidence, anchor=None, ident=None):
        out.append(Finding(check=check, severity=Severity(sev), site=site, url=url, page=page, message=message,
                           anchor=anchor, evidence=evidence, run_id=run_id,
                           fingerprint=fingerprint(check, site, *(ident or (url,)))))

    for site, base in SITES:
        for i in range(12 * scale):
            url = f"{base}xxgk/zcwj/2023/doc_{i:04d}.html"
            refs = linked(base, 1 + (i % 14))
            add("link.broken", "error", site, url, refs["pages"][0]["page"],
                f"链接无法访问：HTTP 404（尝试 2 次）" + (f"，共 {refs['count']} 个页面引用" if refs["count"] > 1 else ""),
                {**fetch_ev(url), "linked_from": refs}, anchor=refs["pages"][0]["anchor"])
        for i in range(5 * scale):
            url = f"{base}xxgk/fj/{i}.docx"
            refs = linked(base, 1, anchor=f"附件{i}：申请表.docx")
            add("attachment.broken", "error", site, url, refs["pages"][0]["page"], "附件无法下载：连接被拒绝（尝试 3 次）",
                {**fetch_ev(url, outcome="refused", label="连接被拒绝", status=None, error="连接被拒绝", attempts=3),
                 "linked_from": refs}, anchor=refs["pages"][0]["anchor"])
        for i in range(4 * scale):
            url = f"{base}old/{i}/index.jsp"
            hops = [{"url": url, "status": 301}, {"url": f"{base}old2/{i}/", "status": 302},
                    {"url": f"{base}new/{i}/", "status": 302}, {"url": f"{base}portal/{i}/", "status": 301},
                    {"url": f"{base}final/{i}.html", "status": 200}]
            refs = linked(base, 3, anchor="政策解读")
            add("link.redirect-chain", "warning", site, url, refs["pages"][0]["page"],
                "链接经过 4 次跳转才到达目标页面（上限 3 次）",
                {**fetch_ev(url, outcome="ok", label="正常", status=200, error=None, attempts=1, redirects=hops,
                            final_url=f"{base}final/{i}.html"), "linked_from": refs, "max_hops": 3},
                anchor="政策解读")
        for i in range(3 * scale):
            url = f"{base}ext/{i}"
            add("link.inconclusive", "info", site, url, f"{base}index.html", "无法判定链接是否可用：被防火墙/反爬拦截（HTTP 403，疑似网站防火墙拦截）",
                {**fetch_ev(url, outcome="blocked", label="被防火墙/反爬拦截", status=403, error="HTTP 403，疑似网站防火墙拦截"),
                 "linked_from": linked(base, 1, anchor="省政府门户")}, anchor="省政府门户")
    base = SITES[0][1]
    add("link.redirect-loop", "error", SITES[0][0], f"{base}loop/a", f"{base}xxgk/index.html", "链接循环跳转：循环跳转",
        {**fetch_ev(f"{base}loop/a", outcome="redirect_loop", label="循环跳转", status=302, error="循环跳转",
                    redirects=[{"url": f"{base}loop/a", "status": 302}, {"url": f"{base}loop/b", "status": 302},
                               {"url": f"{base}loop/a", "status": None}]),
         "linked_from": linked(base, 2, anchor="循环")}, anchor="循环")
    add("link.broken", "error", SITES[0][0], LONG_URL, f"{base}xxgk/zcwj/index.html",
        "链接无法访问：访问超时（尝试 2 次）",
        {**fetch_ev(LONG_URL, outcome="timeout", label="访问超时", status=None, error="访问超时"),
         "linked_from": linked(base, 1, anchor="超长链接附件")}, anchor="超长链接附件")
    add("link.wrong", "error", SITES[0][0], f"{base}xxgk/zcwj/2024/wrong.html", f"{base}xxgk/zcwj/index.html",
        f"链接文字为《{XSS}》，打开的却是《关于开展安全生产检查的通知》",
        {"anchor": f"关于{XSS}的通知", "target_title": "关于开展安全生产检查的通知_临沂市人民政府",
         "target_heading": "关于开展安全生产检查的通知", "similarity": 21.4, "threshold": 45.0, "line": 88},
        anchor=f"关于{XSS}的通知", ident=(f"{base}xxgk/zcwj/index.html", "wrong"))
    add("privacy.mobile", "error", SITES[0][0], f"{base}xxgk/rsxx/1.html", None,
        "页面正文公开了未脱敏的手机号码 139****1234", {"masked": "139****1234", "where": "正文", "occurrences": 1,
                                                      "context": "…联系人：赵老师，手机：139****1234。", "kind": "mobile",
                                                      "kind_label": "手机号码"})
    add("text.typo", "warning", SITES[0][0], f"{base}xxgk/gzdt/2.html", None, "错别字：布署 → 部署",
        {"wrong": "布署", "right": "部署", "origin": "curated", "where": "正文"})
    # A check family this report has never heard of, with evidence keys of its own.
    add("content.stale", "warning", SITES[1][0], None, f"{SITES[1][1]}xxgk/gzdt/",
        "栏目“工作动态”已 400 天未更新（最近一条 2023-05-27）",
        {"column_kind": "news", "latest_date": "2023-05-27", "days_since": 400, "weird_key_zz": "未知证据值",
         "samples": [{"title": "某某会议召开", "date": "2023-05-27"}], "flags": ["a", "b"]})
    return out


def build(tmp_path, *, status=RunStatus.COMPLETED, findings=True, scale=1, check_error=False):
    store = Store(tmp_path / "audit.db")
    run_id = store.begin_run(audit_date="2024-06-30", config={}, options={}, versions={"portal-audit": "0.1.0"})
    for name, url in SITES:
        store.set_run_site(run_id, name, url=url, disclosure_url=url + "xxgk/", status="ok", pages=321, links=4567,
                           stats_json={"problems": 3, "capped": name == SITES[1][0], "columns": {}})
    found = make_findings(run_id, scale) if findings else []
    store.save_findings(run_id, found)
    for code in sorted({f.check for f in found}):
        store.record_check_run(run_id, code, "found", sum(f.check == code for f in found), None, 0.12)
    store.record_check_run(run_id, "link.soft404", "ok", 0, None, 0.05)
    if check_error:
        store.record_check_run(run_id, "link.hidden", "error", 0, "KeyError: 'x'", 0.01)
    store.finish_run(run_id, status, {})
    return store, run_id, found


class Collect(HTMLParser):
    """Tags and attributes of a document, plus the text of <option>s per <select> id."""

    def __init__(self):
        super().__init__()
        self.tags, self.options, self._select, self._option = [], {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "select":
            self._select = attrs.get("id")
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self._option = attrs.get("value", "")
            self.options[self._select].append(self._option)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse(text):
    c = Collect()
    c.feed(text)
    return c


@pytest.fixture
def report(tmp_path):
    store, run_id, found = build(tmp_path, check_error=True)
    written = write_reports(store, run_id, tmp_path / "out")
    text = written["report.html"].read_text(encoding="utf-8")
    yield text, found
    store.close()


def test_self_contained(report):
    text, _ = report
    doc = parse(text)
    for tag, attrs in doc.tags:
        assert not (tag == "script" and attrs.get("src")), "external script"
        assert tag != "link", "no <link> elements (stylesheets, fonts, icons)"
        assert not (tag in ("img", "iframe", "object", "embed", "video", "audio", "source")), tag
        assert not (tag == "style" and attrs.get("src"))
    # the only http(s) URLs are in <a href> and as shown text (the findings), never as assets
    for m in re.finditer(r'(src|href)\s*=\s*"([^"]*)"', text):
        if m.group(1) == "src":
            pytest.fail(f"asset reference {m.group(0)}")
    for m in re.finditer(r"url\(", text):
        pytest.fail("CSS url() reference")
    assert "@import" not in text
    assert "Content-Security-Policy" in text
    assert "<title>政府网站信息公开检查报告" in text


def test_every_finding_rendered_and_escaped(report):
    text, found = report
    assert XSS not in text, "a finding's message must be escaped"
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    for f in found:
        assert str(escape(f.message)) in text, f.message
        if f.url:
            assert str(escape(f.url)) in text
        if f.anchor:
            assert str(escape(f.anchor)) in text
        assert f.fingerprint in text
    # each finding is one <li class="f"> with its severity
    assert text.count('<li class="f sev-') == len(found)
    # check group headers: Chinese title, code and how-to-fix once per site and check
    assert "链接无法访问（断链）" in text and "link.broken" in text
    assert text.count("修正链接地址，或恢复被链接的页面") == 2  # once per site group


def test_evidence_readable(report):
    text, _ = report
    assert "共 12 个页面引用" in text
    assert "跳转链（4 次跳转）" in text and ">301</code>" in text and ">循环</code>" in text
    assert "weird_key_zz" in text and "未知证据值" in text       # unknown key renders as is
    assert "days_since" in text and "400" in text
    assert "目标页面标题" in text and "相似度" in text            # known link.wrong keys get labels
    assert "第 88 行" in text
    assert "显示其余" in text                                    # more than 3 linking pages fold
    # a check's facts under their Chinese labels (reports/evidence.py), coded values in words
    assert "<th>脱敏后的号码</th>" in text and "<th>上下文</th>" in text and "<th>masked</th>" not in text
    assert "<th>类别</th><td>手机号码</td>" in text and "<td>mobile</td>" not in text   # the code beside its words is not shown
    assert "<th>词表来源</th><td>内置词表（人工整理）</td>" in text


def test_header_banner_and_filters(report, tmp_path):
    text, found = report
    assert "审计基准日" in text and "2024-06-30" in text
    assert "本次检查未完成" not in text
    assert "有 1 个检查项执行出错" in text
    doc = parse(text)
    assert set(doc.options["f-site"]) == {""} | {name for name, _ in SITES}
    assert set(doc.options["f-check"]) == {""} | {f.check for f in found}
    assert 'id="f-new"' not in text          # no history status → no 只看新增 toggle
    assert "检查项执行情况" in text and "执行出错" in text and "本次未执行" in text
    assert "采集达到页面数上限" in text


def test_incomplete_run_banner(tmp_path):
    store, run_id, _ = build(tmp_path, status=RunStatus.INTERRUPTED)
    text = render(load_report_data(store, run_id))
    assert "本次检查未完成" in text and "结果不完整" in text and "已中断" in text
    store.close()


def test_zero_findings(tmp_path):
    store, run_id, _ = build(tmp_path, findings=False)
    text = render(load_report_data(store, run_id))
    assert "未发现问题" in text
    assert 'id="filters"' not in text
    assert "本次检查未完成" not in text
    store.close()


def test_the_report_of_a_finishing_run_gives_its_end(tmp_path):
    """The runner writes the reports before it marks the run finished: the reports are the
    run's last stage, so its end and duration are when they are written, never a dash."""
    store = Store(tmp_path / "audit.db")
    run_id = store.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    text = render(load_report_data(store, run_id, status=RunStatus.COMPLETED))
    end = re.search(r"结束时间</dt><dd>([^<]*)<span class=\"muted\">（用时 ([^）]+)）", text)
    assert end and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", end.group(1)), text[:3000]
    assert "已完成" in text
    store.close()


def test_extension_points(tmp_path, monkeypatch):
    store, run_id, found = build(tmp_path)
    data = load_report_data(store, run_id)
    assert data.sections == [] and data.status_of == {} and data.banners == []
    data.banners.append("本机不支持IPv6，IPv6检测结果不可信")
    data.status_of = {found[0].fingerprint: "new", found[1].fingerprint: "fixed"}
    data.sections = [("sections/history.html.j2", "与上次检查对比"),
                     ("sections/missing.html.j2", "不存在的部分")]   # a missing template is skipped
    # a section template as another feature would ship it in reports/templates/sections/
    loader = ChoiceLoader([DictLoader({"sections/history.html.j2":
                                       '<p class="hist">运行 {{ data.run.id }}：{{ data.findings|length }} 条</p>'}),
                           report_html._env.loader])
    monkeypatch.setattr(report_html._env, "loader", loader)
    text = render(data)
    assert "与上次检查对比</h2>" in text and f'<p class="hist">运行 {run_id}：{len(found)} 条</p>' in text
    assert text.index("与上次检查对比") < text.index("问题清单</h2>")
    assert "本机不支持IPv6，IPv6检测结果不可信" in text
    assert 'id="f-new"' in text and text.count('data-status="new"') == 1 and ">新增<" in text and ">已整改<" in text
    assert "不存在的部分" not in text
    store.close()


def test_a_large_report_renders_every_finding(tmp_path):
    """5,000+ findings all drawn (how long it takes is the benchmarks' business: bench/run.py
    times the report stage; a timed test only measures the machine's load)."""
    store, run_id, found = build(tmp_path, scale=110)
    assert len(found) > 5000
    text = render(load_report_data(store, run_id))
    assert text.count('<li class="f sev-') == len(found)
    store.close()


def test_written_report_is_streamed_and_never_left_half_written(tmp_path, monkeypatch):
    """write() streams the page into the file (the same text render() gives, made XML-safe);
    a template failing midway leaves the previous report.html as it was and no part file."""
    store, run_id, _ = build(tmp_path)
    data = load_report_data(store, run_id)
    path = tmp_path / "report.html"
    report_html.write(data, path)
    assert path.read_text(encoding="utf-8") == render(data)
    before = path.read_bytes()

    def failing(data):
        yield "<html>half"
        raise RuntimeError("template failed")

    monkeypatch.setattr(report_html, "_chunks", failing)
    with pytest.raises(RuntimeError):
        report_html.write(data, path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir() if "report" in p.name) == [
        "report.html"]
    store.close()


def test_finding_views_are_made_as_the_template_draws_them(tmp_path, monkeypatch):
    """The view of a finding (its evidence split into the parts the template draws) is made when
    the template reaches it and dropped after: a large report never holds all of them."""
    store, run_id, found = build(tmp_path, scale=20)
    data = load_report_data(store, run_id)
    alive, most = [0], 0
    make = report_html._finding_view

    def tracked(f, status):
        nonlocal most
        view = make(f, status)
        alive[0] += 1
        weakref.finalize(view, lambda: alive.__setitem__(0, alive[0] - 1))
        most = max(most, alive[0])
        return view

    monkeypatch.setattr(report_html, "_finding_view", tracked)
    path = tmp_path / "report.html"
    report_html.write(data, path)
    assert len(found) > 900 and most <= 3
    assert path.read_text(encoding="utf-8").count('<li class="f sev-') == len(found)
    store.close()


def test_report_findings_are_the_stored_ones_made_safe(tmp_path):
    """The reports hold each finding with its text made safe once and its evidence as the
    stored JSON, parsed (and made safe) each time it is read: the same values as before."""
    store = Store(tmp_path / "audit.db")
    run_id = store.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    store.set_run_site(run_id, "甲站", url="http://a/", status="ok", pages=1, links=1)
    hostile = Finding(check="link.broken", severity=Severity.ERROR, site="甲站", url="http://a/1\ufffe.html",
                      page="http://a/p\x07.html", message="链接\x00无法访问", anchor="通知\uffff", run_id=run_id,
                      fingerprint=fingerprint("link.broken", "甲站", "1"),
                      evidence={"linked_from": {"count": 1, "pages": [{"page": "http://a/p\x07.html", "anchor": "锚\x1b"}]},
                                "键\x01": ["值\ufffe", 3, None, 1.5]})
    store.save_findings(run_id, [hostile])
    store.finish_run(run_id, RunStatus.COMPLETED, {})
    [f] = load_report_data(store, run_id).findings
    assert f.as_dict() == {
        "check": "link.broken", "severity": "error", "site": "甲站", "url": "http://a/1.html", "page": "http://a/p.html",
        "anchor": "通知", "message": "链接无法访问", "fingerprint": hostile.fingerprint, "run_id": run_id,
        "evidence": {"linked_from": {"count": 1, "pages": [{"page": "http://a/p.html", "anchor": "锚"}]},
                     "键": ["值", 3, None, 1.5]}}
    assert f.evidence == f.evidence and f.evidence is not f.evidence     # parsed when read, never held
    store.close()
