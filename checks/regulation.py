"""Regulation family: national laws and 行政法规 published in an outdated version.

Rule source: seeds require the texts a portal publishes to match the national official
version (国家正式版本, 中国政府法制信息网 行政法规库 / 国家法律法规数据库); a page titled
《政府信息公开条例》 still carrying the 2007 国务院令第492号 text is superseded by the 2019
revision (国务院令第711号). The catalog of laws and 行政法规 ships as
``checks/data/regulations.yaml`` (DOMAIN.md §5).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from checks.common import linking_page
from checks.computed.documents import clean_title, marking
from checks.registry import check
from core.models import Verify
from core.text import find_dates, parse_date


_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
DECREE_RE = re.compile(r"国务院令\s*(?:（|\()?\s*第\s*([0-9]{1,4}|[〇零一二两三四五六七八九十百千]{1,8})\s*号")
VERB_RE = re.compile(r"修订|修正|公布|发布|通过")
_EFFECTIVE_RE = re.compile(r"自\s*([^，,。；起]{6,20}?)\s*起\s*(?:施行|实施|生效)")
HEAD_CHARS = 1500
SEGMENT_CHARS = 90
_TITLE_NOISE = re.compile(r"[《》〈〉“”\"\s\u3000]|[（(【\[［][^）)】\]］]{0,30}[）)】\]］]|"
                          r"(?:全文|文本|原文|最新版|修订版|修正版|修订本)$")
ARCHIVE_MARK = re.compile(r"已修改|已修订|已修正|历史版本|旧版|原文本")
OFFICIAL = {
    "法律": "国家法律法规数据库 https://flk.npc.gov.cn",
    "行政法规": "中国政府法制信息网（www.moj.gov.cn）行政法规库；国家法律法规数据库 https://flk.npc.gov.cn",
}


def cn_number(text: str) -> int | None:
    """711, 七百一十一, 四九二 → int."""
    if text.isdigit():
        return int(text)
    if not any(c in _CN_UNIT for c in text):
        try:
            return int("".join(str(_CN_DIGIT[c]) for c in text))
        except KeyError:
            return None
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGIT:
            current = _CN_DIGIT[c]
        elif c in _CN_UNIT:
            total += (current or 1) * _CN_UNIT[c]
            current = 0
        else:
            return None
    return total + current


def decree_of(text: str | None) -> str | None:
    m = DECREE_RE.search(text or "")
    n = cn_number(m.group(1)) if m else None
    return f"国务院令第{n}号" if n else None


# -- catalog ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Version:
    date: date
    event: str
    decree: str | None = None
    effective: date | None = None
    source: str | None = None

    @property
    def in_force_from(self) -> date:
        return self.effective or self.date

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "event": self.event, "decree": self.decree,
                "effective": self.effective.isoformat() if self.effective else None}


@dataclass(frozen=True)
class Entry:
    title: str
    aliases: tuple[str, ...]
    kind: str
    status: str
    versions: tuple[Version, ...]       # oldest first
    source: str
    repealed: date | None = None
    repealed_by: str | None = None

    def in_force(self, day: date) -> Version | None:
        """The newest version in force on ``day``."""
        live = [v for v in self.versions if v.in_force_from <= day]
        return live[-1] if live else None


def _date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    d = parse_date(str(value))
    if d is None:
        raise ValueError(f"{where}: 无法识别的日期 {value!r}（应为 YYYY-MM-DD）")
    return d


def _version(raw: Any, where: str) -> Version:
    if not isinstance(raw, dict) or "date" not in raw:
        raise ValueError(f"{where}: 版本应为含 date 的映射")
    return Version(date=_date(raw["date"], where), event=str(raw.get("event") or "修订"),
                   decree=decree_of(str(raw["decree"])) if raw.get("decree") else None,
                   effective=_date(raw.get("effective"), where), source=raw.get("source"))


def parse_catalog(data: Any, origin: str) -> list[Entry]:
    """Entries of a catalog document ({regulations: [...]}); raises ValueError naming the entry."""
    items = data.get("regulations") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError(f"{origin}: 应为 regulations: [条目…] 列表")
    out = []
    for i, raw in enumerate(items):
        where = f"{origin}: regulations[{i}]"
        if not isinstance(raw, dict) or not raw.get("title") or not raw.get("current"):
            raise ValueError(f"{where}: 每个条目需要 title 和 current")
        where = f"{where}（{raw['title']}）"
        versions = [_version(v, where) for v in raw.get("superseded") or ()] + [_version(raw["current"], where)]
        versions.sort(key=lambda v: v.date)
        rep = raw.get("repealed") or {}
        out.append(Entry(title=str(raw["title"]), aliases=tuple(str(a) for a in raw.get("aliases") or ()),
                         kind=str(raw.get("kind") or "行政法规"), status=str(raw.get("status") or "有效"),
                         versions=tuple(versions), source=str(raw.get("source") or ""),
                         repealed=_date(rep.get("date"), where) if rep else None,
                         repealed_by=rep.get("by") if rep else None))
    return out


def shipped_catalog() -> list[Entry]:
    text = resources.files("checks.data").joinpath("regulations.yaml").read_text(encoding="utf-8")
    return parse_catalog(yaml.safe_load(text), "checks/data/regulations.yaml")


def load_catalog(option: Any = None, mode: str = "merge") -> list[Entry]:
    """The shipped catalog, extended (``merge``: same title replaces) or replaced by the
    user's file(s) named in the ``catalog`` option."""
    if mode not in ("merge", "replace"):
        raise ValueError(f"catalog_mode 应为 merge 或 replace，而不是 {mode!r}")
    entries = {} if (option and mode == "replace") else {e.title: e for e in shipped_catalog()}
    paths = [option] if isinstance(option, (str, Path)) else list(option or ())
    for path in paths:
        p = Path(path).expanduser()
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"无法读取法规目录 {p}：{exc}") from exc
        for e in parse_catalog(data, str(p)):
            entries[e.title] = e
    return list(entries.values())


def normalize_title(title: str) -> str:
    t = title or ""
    for _ in range(3):
        t2 = _TITLE_NOISE.sub("", t)
        if t2 == t:
            break
        t = t2
    return t


def catalog_names(entries: list[Entry]) -> dict[str, Entry]:
    names: dict[str, Entry] = {}
    for e in entries:
        for name in (e.title, *e.aliases):
            names.setdefault(normalize_title(name), e)
            if name.startswith("中华人民共和国"):
                names.setdefault(normalize_title(name[len("中华人民共和国"):]), e)
    return names


# -- what a page shows --------------------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """The revision information a published text carries."""

    events: tuple[tuple[date, str, str], ...]    # (date, 修订/修正/公布/发布/通过, snippet)
    decrees: tuple[str, ...]
    effective: tuple[date, ...]                   # 自…起施行 dates

    @property
    def latest(self) -> date | None:
        return max((d for d, _, _ in self.events), default=None)

    def as_dict(self) -> dict[str, Any]:
        return {"revision_events": [{"date": d.isoformat(), "event": v, "text": s} for d, v, s in self.events],
                "decrees": list(self.decrees), "effective_dates": [d.isoformat() for d in self.effective],
                "latest_revision": self.latest.isoformat() if self.latest else None}


def revisions_shown(text: str) -> Shown:
    """Revision events in the header of a law / 行政法规 text and its 施行 dates.

    ``（2007年4月5日中华人民共和国国务院令第492号公布　2019年4月3日中华人民共和国国务院令
    第711号修订）`` → events 2007-04-05 公布 and 2019-04-03 修订, decrees 492 and 711;
    ``根据2017年9月1日…《关于修改〈…〉等八部法律的决定》第二次修正`` → 2017-09-01 修正.
    Names in 《》 are ignored when looking for the verb (修改…的决定 is not a revision
    verb); a date needs its verb within the text before the next date.
    """
    head = text[:HEAD_CHARS]
    effective, spans = [], []
    for m in _EFFECTIVE_RE.finditer(text):
        d = parse_date(m.group(1))
        if d:
            spans.append(m.span())
            if d not in effective:
                effective.append(d)
    dates = [(pos, d) for pos, d in find_dates(head) if not any(a <= pos < b for a, b in spans)]
    events = []
    for i, (pos, d) in enumerate(dates):
        end = dates[i + 1][0] if i + 1 < len(dates) else len(head)
        segment = head[pos:min(end, pos + SEGMENT_CHARS)]
        m = VERB_RE.search(re.sub(r"《[^》]*》", "", segment))
        if m:
            events.append((d, m.group(0), re.sub(r"\s+", "", segment)[:60]))
    decrees = []
    for m in DECREE_RE.finditer(head):
        n = cn_number(m.group(1))
        if n and f"国务院令第{n}号" not in decrees:
            decrees.append(f"国务院令第{n}号")
    return Shown(tuple(events), tuple(decrees), tuple(effective))


def judge(entry: Entry, shown: Shown, day: date) -> tuple[str, str] | None:
    """("stale"|"repealed", why) when the page shows an outdated text on ``day``, else None."""
    if entry.repealed and entry.repealed <= day:
        return "repealed", f"该{entry.kind}已于 {entry.repealed.isoformat()} 废止" + (
            f"，由《{entry.repealed_by}》取代" if entry.repealed_by else "")
    current = entry.in_force(day)
    if current is None:
        return None
    if current.decree and current.decree in shown.decrees:
        return None
    dates = [d for d, _, _ in shown.events]
    dates += [v.date for v in entry.versions if v.decree and v.decree in shown.decrees]
    if dates:
        latest = max(dates)
        if latest < current.date:
            decree = f"（{current.decree}）" if current.decree else ""
            return "stale", (f"页面所载文本的最近修订为 {latest.isoformat()}，"
                             f"现行版本为 {current.date.isoformat()} {current.event}{decree}")
        return None
    if shown.effective:
        if current.effective and current.effective in shown.effective:
            return None
        old = {v.effective for v in entry.versions if v.effective and v is not current}
        if old and all(d in old for d in shown.effective):
            return "stale", (f"页面所载文本的施行日期为 {shown.effective[-1].isoformat()}，"
                             f"现行版本自 {current.in_force_from.isoformat()} 起施行")
    return None


# -- the check ------------------------------------------------------------------------------

def _catalog(ctx) -> dict[str, Entry]:
    option, mode = ctx.options.get("catalog"), str(ctx.options.get("catalog_mode") or "merge")
    key = f"regulation.catalog:{option!r}:{mode}"
    return ctx.computed(key, lambda: catalog_names(load_catalog(option, mode)))


@check("regulation.stale", verify=Verify.SITE, title="法律法规文本不是现行版本", severity="error",
       fix="以国家法律法规数据库或中国政府法制信息网行政法规库的现行文本替换页面内容，并注明修订信息；"
           "已废止的应标注“废止”或撤下。",
       requires=("pages", "document_texts"), options={"catalog": None, "catalog_mode": "merge"},
       source="全文应与国家正式版本一致（中国政府法制信息网 行政法规库 / 国家法律法规数据库）；DOMAIN.md §5",
       uses=("regulation.catalog",))
def regulation_stale(ctx):
    """Flags a page that publishes a national law or 行政法规 from the catalog (its title is the
    catalog title or an alias, ignoring 《》, 全文, and bracketed parts such as （2019年修订） or
    （国务院令第711号）) and shows a version older than the one in force on the audit date, or
    a regulation that has been repealed (信访条例 → 信访工作条例).

    What the page shows is read from the header of its text: each date followed by 公布 /
    发布 / 通过 / 修订 / 修正 (《…决定》 names skipped), the 国务院令 numbers (also in
    Chinese numerals), and the 自…起施行 dates. What decides is the latest revision shown:
    a current text still names its original decree (2007年4月5日国务院令第492号公布 2019年4月3日
    国务院令第711号修订), so naming an old decree is not enough. Without revision lines, the
    施行 date decides (本条例自2008年5月1日起施行 = the 2007 text).

    The version in force is the newest catalog version whose 施行 date (else its date) is on
    or before ``audit_date``: a revision adopted but not yet in force does not make the
    older text stale.

    Options: ``catalog`` — a YAML file (or a list) in the format of the shipped
    checks/data/regulations.yaml; ``catalog_mode`` — merge (default; an entry with the same
    title replaces the shipped one) or replace.

    Not flagged: pages whose title is not a catalog title (local regulations, notices about a
    law), pages that show no revision information at all, pages marked 失效/废止/已修改.

    Evidence: what the page shows (revision lines, decrees, 施行 dates), the version in
    force, a newer adopted version if any, and where the national official text is
    (中国政府法制信息网 行政法规库 / 国家法律法规数据库, with the entry's flk page).
    """
    names = _catalog(ctx)
    for row in ctx.store.articles(ctx.run_id):
        title = clean_title(row["title"], row["heading"])
        entry = names.get(normalize_title(title))
        if entry is None:
            continue
        meta = json.loads(row["meta_json"] or "{}")
        text = row["main_text"] or ""
        if marking(row["title"] or "", row["heading"] or "", meta, text) or ARCHIVE_MARK.search(
                f"{meta.get('有效性') or ''} {title}"):
            continue
        shown = revisions_shown(text)
        verdict = judge(entry, shown, ctx.audit_date)
        if verdict is None:
            continue
        kind, why = verdict
        current = entry.in_force(ctx.audit_date)
        newer = [v.as_dict() for v in entry.versions if current and v.date > current.date]
        yield ctx.finding(
            site=row["site"], url=row["url"], page=linking_page(ctx, row["url"], row["site"]),
            message=f"《{entry.title}》：{why}",
            evidence={"catalog_title": entry.title, "kind": entry.kind, "verdict": kind,
                      "page_shows": shown.as_dict(), "in_force": current.as_dict() if current else None,
                      "newer_adopted": newer or None, "repealed": entry.repealed.isoformat() if entry.repealed else None,
                      "repealed_by": entry.repealed_by, "official_text": OFFICIAL.get(entry.kind, OFFICIAL["法律"]),
                      "official_source": entry.source, "audit_date": ctx.audit_date.isoformat()})
