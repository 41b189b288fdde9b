"""Policy family: policy documents and their interpretations (政策解读).

Rule source: 三同步 — a 解读 is published together with its policy document; a local
example (郑州市《关于做好行政机关政策文件解读工作的通知》, 2016) allows at most 3 working
days (DOMAIN.md §4.3). 条例 (国务院令第711号) 施行 2019-05-15 is the default start date.

How a policy and its interpretation are paired (once per audit, shared by both checks) is
described and built in :mod:`checks.computed.policy`.
"""

from __future__ import annotations

from checks.common import linking_page
from checks.computed.columns import site_scopes
from checks.computed.documents import quoted
from checks.computed.policy import POLICY_OPTIONS, policy_index
from checks.registry import NotApplicable, check
from core.models import Verify
from core.workdays import workdays_between


_SOURCE = ("三同步：政策文件与解读材料同步起草、同步审签、同步发布；郑州市《关于做好行政机关政策文件解读工作的通知》："
           "解读文本原则上应与政策文件同时公开发布，最迟应在政策文件公开发布后3个工作日内发布（DOMAIN.md §4.3）")


@check("policy.no-interpretation", verify=Verify.SITE, title="政策文件未发布解读", severity="warning",
       fix="按“三同步”要求起草并发布政策解读，在解读中写明所解读文件的标题（《》）或文号，"
           "并在文件页面与解读页面之间互相链接。",
       requires=("pages", "links", "document_texts"), options=dict(POLICY_OPTIONS), source=_SOURCE,
       uses=("content.site_scopes", "documents.index", "policy.index"))
def policy_no_interpretation(ctx):
    """Flags a policy document published on or after ``since`` for which no interpretation
    (政策解读, 图解, 一图读懂, 答记者问 …, in the 解读 column or titled so) can be found on the
    same site, by 《》 name, 文号, links in either direction, or a close title.

    A policy is an article of a policy column (政策文件 / 规范性文件), or elsewhere a page
    titled 关于印发…的通知 or ending in 意见/办法/规定/方案/措施/细则.

    Options: ``since`` (default 2019-05-15, the day the revised 条例 took effect): policies
    published earlier are left alone; ``columns`` (default [policy]): column kinds whose
    articles are policy documents; outside them (and outside the 法规, 解读, 指南 and 年报
    columns) a page is a policy when its title reads 关于印发…的通知 or ends in one of
    ``kinds`` (default 意见, 办法, 规定, 方案, 措施, 细则, optionally followed by （试行）);
    ``exclude`` (a regular expression, default 表彰|嘉奖|通报|任免|…|名单|名录|公示|征求意见|
    意见稿|草案|更正|废止|撤销|解读…): titles that never need an interpretation;
    ``threshold`` (default 85): the rapidfuzz ratio two title cores need to pair by title
    alone; ``link_threshold`` (default 45): the similarity of a link's anchor to the policy
    title needed when the interpretation already names another policy.

    Not flagged: policies marked 失效/废止, excluded titles (表彰, 名单, 征求意见稿 …),
    policies without any date, and policies whose interpretation is only reachable from the
    解读 list page (it is still found by its title, 《》 name or 文号). Inconclusive: the
    policies of a site whose 政策解读 column is linked on another host, outside the audit
    (邯郸's 信息公开 links the 解读 of hd.gov.cn): what it holds was not read; when no
    site can be judged the check says n/a, naming those columns.

    Evidence: the policy (title, 文号, dates), the best candidate interpretation, its score
    against ``threshold`` and the policies it is already paired with (or that the site has
    no interpretation at all), and how many interpretations the site has.
    """
    pi = policy_index(ctx)
    count: dict[str, int] = {}
    for it in pi.interps:
        count[it.site] = count.get(it.site, 0) + 1
    scopes = site_scopes(ctx)
    off_site = {site: sc.off_site_columns["interpretation"] for site, sc in scopes.items()
                if "interpretation" in sc.off_site_columns}
    found, undecided = 0, set()
    for p in sorted(pi.policies, key=lambda d: d.url):
        if p.url in pi.pairs or p.mark or p.published is None or p.published < pi.since:
            continue
        if p.site in off_site:
            undecided.add(off_site[p.site])
            continue
        found += 1
        best = pi.best.get(p.url)
        candidate = None
        if best:
            it, score = best
            candidate = {"url": it.url, "title": it.title, "score": round(score, 1), "threshold": pi.threshold,
                         "发布日期": it.published.isoformat() if it.published else None,
                         "paired_with": sorted(pi.paired_to(it.url))}
        hint = (f"；最接近的解读为{quoted(candidate['title'])}（相似度 {candidate['score']}，低于 {pi.threshold:g}）"
                if candidate else "；本网站未找到任何解读材料")
        yield ctx.finding(
            site=p.site, url=p.url, page=linking_page(ctx, p.url, p.site),
            message=f"政策文件{quoted(p.title)}（{p.published.isoformat()} 发布）未找到对应的政策解读{hint}",
            evidence={"policy": p.brief(), "column": p.column, "best_candidate": candidate,
                      "interpretations_on_site": count.get(p.site, 0), "since": pi.since.isoformat()})
    if undecided and not found:
        raise NotApplicable(f"政策解读栏目位于检查范围之外的主机（{'、'.join(sorted(undecided))}），"
                            "未读取其内容，无法判定政策文件是否有解读")


@check("policy.late-interpretation", verify=Verify.SITE, title="政策解读发布滞后", severity="warning",
       fix="政策解读应与政策文件同步发布；今后在文件发布的同一天（最迟在规定的工作日内）发布解读。",
       requires=("pages", "links", "document_texts"), options={"max_workdays": 3, **POLICY_OPTIONS}, source=_SOURCE,
       uses=("documents.index", "policy.index"))
def policy_late_interpretation(ctx):
    """Flags an interpretation published more than ``max_workdays`` working days (default 3)
    after its policy document. Working days exclude weekends and public holidays and include
    the adjusted working days (调休), from chinese-calendar: a policy of Thursday 2024-02-08
    and its interpretation of Monday 2024-02-19 are 3 working days apart (2-09, 2-18 调休
    Sunday, 2-19), not 7. Dates are the 发布日期 of each page (else the date beside its link
    in the list, else the date in its URL).

    When a policy has several interpretations, the earliest counts. Pairing and the policy
    options are those of ``policy.no-interpretation`` (same defaults).

    Not flagged: interpretations published before or together with their policy, pairs
    where either date is unknown, policies published before ``since``.

    Evidence: both documents with their dates, how they were paired, the working days and
    calendar days between them, and the limit.
    """
    pi = policy_index(ctx)
    limit = int(ctx.options["max_workdays"])
    docs = pi.idx["docs"]
    for url in sorted(pi.pairs):
        p = docs[url]
        if p.published is None or p.published < pi.since:
            continue
        dated = [(it.published, it.url, it, how) for it, how, _ in pi.pairs[url].values() if it.published]
        if not dated:
            continue
        published, _, it, how = min(dated)
        days = workdays_between(p.published, published)
        if days <= limit:
            continue
        note = pi.listed_note(it)
        yield ctx.finding(
            site=p.site, url=p.url, page=it.url, identity=(p.url,),
            message=f"政策文件{quoted(p.title)}（{p.published.isoformat()}）的解读{quoted(it.title)}于 "
                    f"{published.isoformat()} 发布，晚 {days} 个工作日（上限 {limit} 个工作日）"
                    + (f"；{note}" if note else ""),
            evidence={"policy": p.brief(), "interpretation": it.brief(), "paired_by": how,
                      "interpretation_source": note or "解读页面",
                      "workdays": days, "calendar_days": (published - p.published).days, "max_workdays": limit,
                      "other_interpretations": sorted(u for u in pi.pairs[url] if u != it.url)})
