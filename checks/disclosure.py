"""Disclosure timeliness: information published later than the legal deadline after it was made.

The deadline is counted in working days of the mainland calendar (weekends and public
holidays excluded, adjusted working days 调休 included) from ``chinese-calendar``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from checks.computed.articles import articles
from checks.registry import NotApplicable, check
from core.models import Verify
from core.text import parse_date
from core.vocabulary import column_label
from core.workdays import is_workday


DECISION_RE = (r"行政(?:许可|处罚)决定|(?:许可|处罚)决定书|(?:准予|不予)(?:行政)?许可|"
               r"行政(?:许可|处罚)(?:信息|结果)(?:公示|公开)?|双公示")
_NOT_DECISION_TITLE = re.compile(r"(?:通知|意见|办法|规定|方案|细则|标准|基准|制度|指引|解读)$")
_DECISION_PATH = re.compile(r"/(?:xzcf|xzxk|sgs|xzxkcf)(?:/|_|\b)", re.I)


@lru_cache(maxsize=None)
def _year_prefix(year: int) -> tuple[int, ...]:
    """prefix[i] = working days from 1 January up to and including day i (0-based) of ``year``."""
    day, out, count = date(year, 1, 1), [], 0
    while day.year == year:
        count += is_workday(day)
        out.append(count)
        day += timedelta(days=1)
    return tuple(out)


def working_days(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start).

    The same count as :func:`core.workdays.workdays_between`, from per-year prefix
    sums, so that long gaps on thousands of pages cost nothing.
    """
    if end <= start:
        return 0
    if start.year == end.year:
        p = _year_prefix(start.year)
        return p[end.timetuple().tm_yday - 1] - p[start.timetuple().tm_yday - 1]
    first = _year_prefix(start.year)
    total = first[-1] - first[start.timetuple().tm_yday - 1]
    for year in range(start.year + 1, end.year):
        total += _year_prefix(year)[-1]
    return total + _year_prefix(end.year)[end.timetuple().tm_yday - 1]


def is_decision(title: str, head: str, url: str, pattern: re.Pattern) -> bool:
    """Whether an article is a 行政许可 / 行政处罚 decision (7-working-day rule)."""
    title = (title or "").strip()
    if title and _NOT_DECISION_TITLE.search(title):
        return False
    return bool(pattern.search(title) or pattern.search(head[:200] or "") or _DECISION_PATH.search(url))


@check("disclosure.late", verify=Verify.SITE, title="信息公开不及时", severity="warning",
       fix="自信息形成或变更之日起20个工作日内公开；行政许可、行政处罚决定自作出之日起7个工作日内公开。"
           "建立发布前审核时限台账，避免积压。",
       requires=("pages", "document_texts"),
       options={"max_workdays": 20, "decision_workdays": 7, "decision_pattern": DECISION_RE,
                "skip_kinds": ["regulation"], "since": "2019-05-15"},
       source="《政府信息公开条例》(国务院令第711号) 第二十六条：自该政府信息形成或者变更之日起20个工作日内及时公开；"
              "“双公示”：行政许可、行政处罚等信息自作出行政决定之日起7个工作日内上网公开；S3 六(三)",
       uses=("content.articles",))
def disclosure_late(ctx):
    """Flags an article whose 发布日期 is more than ``max_workdays`` (default 20) working
    days after its 成文日期, or more than ``decision_workdays`` (default 7) for a 行政许可 /
    行政处罚 decision. Working days exclude weekends and public holidays and include the
    adjusted working days (调休) — a document signed just before the Spring Festival and
    published a month later may still be on time.

    A decision is recognised by ``decision_pattern`` (行政处罚决定书, 准予行政许可, 行政许可
    信息公示 …) in its title or the start of its text, or a column address such as
    ``/xzcf/`` or ``/xzxk/``; a title that is a policy (…的通知/办法/意见) is never a decision.
    Both dates come from the metadata table; when it has no 发布日期, the earliest date
    beside the article's link on a list page is used.

    Not flagged: articles without a 成文日期; a 发布日期 before the 成文日期 (reported by
    ``metadata.inconsistent``); columns listed in ``skip_kinds`` (default 法规文件: national
    laws republished long after they were made); documents formed before ``since``
    (default 2019-05-15, the day the revised 条例 took effect, like the ``since`` of the
    policy and 解读 rules; ``null`` applies the limit to every document): a 1997 document
    added to a policy library in 2018 is an old document republished, not a late disclosure.

    Evidence: both dates and where they come from, calendar and working days, the limit,
    which rule applied and the ``since`` date.
    """
    max_days, decision_days = int(ctx.options["max_workdays"]), int(ctx.options["decision_workdays"])
    pattern = re.compile(ctx.options["decision_pattern"])
    skip = set(ctx.options["skip_kinds"] or ())
    since = parse_date(str(ctx.options["since"])) if ctx.options["since"] else None
    arts = articles(ctx)
    if not arts:
        raise NotApplicable("快照中没有信息公开文章页面")
    for art in arts:
        if art.kind in skip:
            continue
        written = parse_date(art.field("成文日期"))
        if not written or (since and written < since):
            continue
        published, source = parse_date(art.field("发布日期")), "元数据表发布日期"
        if not published and art.list_dates:
            published, source = art.list_dates[0][0], "列表页日期"
        if not published or published <= written or published > ctx.audit_date:
            continue
        decision = is_decision(art.title, art.head, art.url, pattern)
        limit = decision_days if decision else max_days
        if (published - written).days <= limit:
            continue   # cannot be more working days than calendar days
        days = working_days(written, published)
        if days <= limit:
            continue
        rule = f"行政许可/行政处罚决定 {limit} 个工作日" if decision else f"主动公开 {limit} 个工作日"
        yield ctx.finding(site=art.site, url=art.url, page=art.list_page,
                          message=f"成文日期 {written.isoformat()}，发布日期 {published.isoformat()}，"
                                  f"相隔 {days} 个工作日，超过{rule}的公开时限",
                          evidence={"title": art.title, "written": written.isoformat(),
                                    "published": published.isoformat(), "published_source": source,
                                    "calendar_days": (published - written).days, "working_days": days,
                                    "limit": limit, "decision": decision, "kind": art.kind,
                                    "kind_label": column_label(art.kind),
                                    "since": since.isoformat() if since else None})
