"""report.html: a self-contained zh-CN report rendered from jinja2 templates.

Everything is rendered server-side (findings included); the inline script only
filters, shows and hides. The page loads nothing from the network: CSS and JS
are inlined from ``templates/assets`` and a Content-Security-Policy forbids
any other source.

This module turns :class:`~reports.data.ReportData` into a small view model
(sites → check groups → findings, evidence split into the parts the template
knows how to draw and a generic key/value rest), so the template stays simple.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, TemplateNotFound, select_autoescape

from core.models import SITE_STATUS_LABELS, STATUS_LABELS, SiteStatus
from core.models import Severity
from reports.evidence import SAID_BY, label, value_label
from reports.safe import for_xml
from reports.verdict import chart

log = logging.getLogger(__name__)

_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)

SEVERITIES = [(s.value, s.label) for s in sorted(Severity, key=lambda s: s.rank)]
RUN_STATUS = {"completed": "已完成", "completed_with_errors": "已完成（有数据未写入）", "running": "进行中",
              "interrupted": "已中断", "failed": "失败"}
SITE_STATUS = {**SITE_STATUS_LABELS, "unknown": "未记录"}
CHECK_STATE = {"ok": "未发现问题", "found": "发现问题", "n/a": "不适用", "error": "执行出错", "skipped": "本次未执行"}
# History statuses (core/models.py); the same words as its section.
FINDING_STATUS = STATUS_LABELS

# Evidence keys drawn by dedicated parts of the template (the rest goes to the key/value table).
_FETCH_KEYS = ("outcome", "outcome_label", "status", "error", "attempts", "elapsed", "method",
               "redirects", "final_url", "linked_from", "line")
LINKED_SHOWN = 3   # linking pages shown before the "more" fold
_SAFE_SCHEME = re.compile(r"^(https?|ftp)://", re.I)


# -- view model -----------------------------------------------------------------
@dataclass
class FindingView:
    sev: str
    sev_label: str
    message: str
    url: str | None
    page: str | None
    anchor: str | None
    line: Any
    fingerprint: str
    status: str | None = None
    facts: list[tuple[str, Any, str]] = field(default_factory=list)   # (label, value, kind: text|url)
    redirects: list[dict[str, Any]] = field(default_factory=list)
    linked: dict[str, Any] | None = None
    extra: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def status_label(self) -> str | None:
        return FINDING_STATUS.get(self.status, self.status) if self.status else None


@dataclass
class GroupView:
    code: str
    title: str
    fix: str
    sev: str
    items: list           # the group's findings
    status_of: dict[str, str]
    anchor: str

    @property
    def sev_label(self) -> str:
        return Severity(self.sev).label

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def findings(self) -> Iterator[FindingView]:
        """The findings' views, each made as the template draws it (never all of them at once)."""
        return (_finding_view(f, self.status_of.get(f.fingerprint)) for f in self.items)


@dataclass
class SiteView:
    summary: Any
    anchor: str
    groups: list[GroupView]
    notes: list[str]

    @property
    def status_label(self) -> str:
        return SITE_STATUS.get(self.summary.status, self.summary.status)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _fmt_time(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def _duration(start: str | None, end: str | None) -> str | None:
    try:
        seconds = int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())
    except (TypeError, ValueError):
        return None
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} 小时 {minutes} 分"
    if minutes:
        return f"{minutes} 分 {secs} 秒"
    return f"{secs} 秒"


def _finding_view(f, status: str | None) -> FindingView:
    ev = dict(f.evidence or {})
    view = FindingView(sev=f.severity.value, sev_label=f.severity.label, message=f.message, url=f.url,
                       page=f.page, anchor=f.anchor, line=ev.get("line"), fingerprint=f.fingerprint,
                       status=status)
    linked = ev.get("linked_from")
    if isinstance(linked, dict):
        pages = [p for p in linked.get("pages") or [] if isinstance(p, dict)]
        count = linked.get("count") or len(pages)
        if view.line is None and f.page:
            view.line = next((p.get("line") for p in pages if p.get("page") == f.page), None)
        view.linked = {"count": count, "shown": pages[:LINKED_SHOWN], "folded": pages[LINKED_SHOWN:],
                       "unlisted": max(count - len(pages), 0),
                       # a single linking page that is the 问题页面 already says it all
                       "trivial": count <= 1 and all(p.get("page") == f.page for p in pages)}
    elif linked is not None:
        view.extra.append((label("linked_from"), linked))
    if ev.get("outcome_label") or ev.get("outcome"):
        view.facts.append(("结果", ev.get("outcome_label") or ev.get("outcome"), "text"))
    status_code = ev.get("status")
    if status_code is not None:
        view.facts.append(("HTTP状态", status_code, "code"))
    error = ev.get("error")
    if error and error not in (f"HTTP {status_code}", ev.get("outcome_label")):
        view.facts.append(("错误信息", error, "text"))
    if ev.get("attempts") is not None:
        view.facts.append(("尝试", f"{ev['attempts']} 次", "text"))
    if isinstance(ev.get("elapsed"), (int, float)):
        view.facts.append(("耗时", f"{ev['elapsed']:.2f} 秒", "text"))
    if ev.get("method"):
        view.facts.append(("请求方式", ev["method"], "code"))
    hops = ev.get("redirects")
    if isinstance(hops, list) and all(isinstance(h, dict) for h in hops):
        view.redirects = hops
    elif hops:
        view.extra.append((label("redirects"), hops))
    final = ev.get("final_url")
    if final and final != f.url and not (view.redirects and view.redirects[-1].get("url") == final):
        view.facts.append(("最终地址", final, "url"))
    for key, value in ev.items():
        if key in _FETCH_KEYS:
            continue
        if (key == "anchor" and value == f.anchor) or (key in SAID_BY and ev.get(SAID_BY[key])):
            continue
        view.extra.append((label(key), value_label(key, value)))
    return view


def _sev_rank(value: str) -> int:
    try:
        return Severity(value).rank
    except ValueError:
        return 9


def build_view(data) -> dict[str, Any]:
    """Everything the template draws, computed once."""
    by_site: dict[str, dict[str, list]] = {}
    for f in data.findings:
        by_site.setdefault(f.site, {}).setdefault(f.check, []).append(f)
    sites = []
    for i, summary in enumerate(data.sites):
        groups = []
        for code, found in by_site.get(summary.name, {}).items():
            chk = data.checks.get(code)
            sev = min((f.severity.value for f in found), key=_sev_rank)
            groups.append(GroupView(code=code, title=chk.title if chk else code, fix=chk.fix if chk else "",
                                    sev=sev, items=found, status_of=data.status_of, anchor=""))
        groups.sort(key=lambda g: (_sev_rank(g.sev), -g.count, g.code))
        for j, g in enumerate(groups):
            g.anchor = f"g{i}-{j}"
        notes = []
        if summary.status == SiteStatus.UNREACHABLE:
            notes.append("首页无法访问，本站点其余内容未能检查。")
        if summary.status == SiteStatus.NOT_AUDITED:
            notes.append("本站点本次未能检查（各次采集均失败），结果中没有它的问题，也不作为整改依据："
                         + "；".join(summary.stats.get("not_audited") or []))
        if summary.stats.get("capped"):
            notes.append("采集达到页面数上限，部分页面未检查。")
        if summary.stats.get("links_over_cap"):
            notes.append(f"{summary.stats.get('pages_over_cap', 0)} 个页面的链接数超过上限（crawl.max_links_per_page），"
                         f"其余 {summary.stats['links_over_cap']} 个链接未检查。")
        sites.append(SiteView(summary=summary, anchor=f"site-{i}", groups=groups, notes=notes))

    totals = data.by_severity
    check_totals = data.by_check
    worst: dict[str, str] = {}
    for f in data.findings:
        if f.check not in worst or _sev_rank(f.severity.value) < _sev_rank(worst[f.check]):
            worst[f.check] = f.severity.value
    check_rows = []
    for code, n in check_totals.items():
        chk = data.checks.get(code)
        sev = worst[code]
        check_rows.append({"code": code, "title": chk.title if chk else code, "sev": sev,
                           "sev_label": Severity(sev).label, "total": n,
                           "per_site": [s.by_check.get(code, 0) for s in data.sites]})
    check_rows.sort(key=lambda r: (_sev_rank(r["sev"]), -r["total"], r["code"]))

    ran = {r["check_code"]: r for r in data.check_runs}
    check_runs = []
    for code in sorted(set(ran) | set(data.checks)):
        r = ran.get(code)
        chk = data.checks.get(code)
        state = r["state"] if r else "skipped"
        check_runs.append({"code": code, "title": chk.title if chk else "", "state": state,
                           "state_label": CHECK_STATE.get(state, state), "found": r["found"] if r else None,
                           "error": r["error"] if r else None,
                           "elapsed": r.get("elapsed") if r else None})
    run_state = Counter(r["state"] for r in check_runs)

    run = data.run
    versions = run.get("versions") or {}
    return {
        "title": "政府网站信息公开检查报告",
        "run_status_label": RUN_STATUS.get(run.get("status"), run.get("status")),
        "started": _fmt_time(run.get("started_at")),
        "finished": _fmt_time(run.get("finished_at")),
        "duration": _duration(run.get("started_at"), run.get("finished_at")),
        "tool_version": versions.get("portal-audit"),
        "generated": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        "severities": SEVERITIES,
        "totals": totals,
        "total": len(data.findings),
        "sites": sites,
        "check_rows": check_rows,
        "check_runs": check_runs,
        "run_state": run_state,
        "has_status": bool(data.status_of),
        "status_labels": FINDING_STATUS,
        "sections": _sections(data.sections),
        "lead_sections": _sections(data.lead_sections),
    }


def _sections(sections) -> list[tuple[str, str]]:
    """The extension sections whose template exists (a missing one is logged and skipped)."""
    found = []
    for name, heading in sections or []:
        try:
            _env.get_template(name)
        except TemplateNotFound:
            log.warning("report section template %s not found; section %s skipped", name, heading)
            continue
        found.append((name, heading))
    return found


def _safe_href(url: Any) -> str | None:
    """A URL fit for an href (http, https, ftp only; never javascript: or data:)."""
    text = _text(url).strip()
    return text if _SAFE_SCHEME.match(text) else None


_env.filters["href"] = _safe_href
_env.globals["chart"] = chart
_env.filters["sev_label"] = lambda v: Severity(v).label if v in {s.value for s in Severity} else v
_env.filters["evlabel"] = label
_env.tests["flat"] = lambda v: (isinstance(v, (list, tuple)) and len(v) <= 12
                                and all(isinstance(x, (str, int, float)) and not (isinstance(x, str) and _SAFE_SCHEME.match(x))
                                        for x in v))
_env.tests["url"] = lambda v: isinstance(v, str) and bool(_SAFE_SCHEME.match(v.strip()))


def render(data) -> str:
    return "".join(_chunks(data))


def _chunks(data):
    return _env.get_template("report.html.j2").generate(data=data, v=build_view(data))


def write(data, path) -> None:
    """Stream the rendered page into ``path`` (a report of tens of thousands of findings is
    never one string in memory); a failure midway leaves no partial report behind."""
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "w", encoding="utf-8") as out:
            for chunk in _chunks(data):
                out.write(for_xml(chunk))
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
