"""Document family: validity (有效期) and status marking (失效/废止) of published documents.

The parsing and the per-audit document index these checks read live in
:mod:`checks.computed.documents` (shared with the policy and regulation checks).

Rule source: seed S3 requires portals to “及时清查公开政策性文件的废止、失效性，
并在门户网站已发布的原文件上作出明确标注”; 规范性文件 carry an 有效期 (for example
3 or 5 years, 试行/暂行 1 or 2 years, 山东省司法厅规范性文件制定管理办法) and lapse
when it ends (DOMAIN.md §4.4).
"""

from __future__ import annotations

from checks.common import linking_page
from checks.computed.documents import index, iso_date, quoted, repealed_targets
from checks.registry import check
from core.models import Verify


_SOURCE = ("S3：及时清查公开政策性文件的废止、失效性，并在门户网站已发布的原文件上作出明确标注；"
           "规范性文件有效期届满自动失效（DOMAIN.md §4.4）")


@check("document.expired-unmarked", verify=Verify.SITE, title="文件已过有效期但未标注失效", severity="error",
       fix="在原文件页面的“有效性”栏及标题处标注“失效”，或在正文前加注失效说明；如已重新发布，链接新文件。",
       requires=("pages", "document_texts"), source=_SOURCE,
       uses=("documents.index",))
def document_expired_unmarked(ctx):
    """Flags a document whose text sets a validity that ended before the audit date
    (``audit_date``) while the page is not marked 失效/废止.

    Validity understood: 有效期至YYYY年M月D日 (also 二〇二四年五月三十一日, 2025年底), 有效期自…至…,
    有效期N年 / N个月, 试行期N年 / 暂行N年; a relative period starts on the 施行 date
    (自…起施行; 自印发之日起施行 = 成文日期; 自发布之日起施行 = 发布日期), else on the
    成文日期 / 发布日期. The sentence must be about the document itself (本办法/本通知 …, its
    施行, or starting with 有效期); 证书/许可/合同 validities are ignored. The text is the page's
    main text, or the text of its PDF/DOCX when the body is only a download link.

    Marked means any of: the 有效性/时效 field says 失效/废止/作废; the title carries
    （已失效）/【废止】…; a notice on the page such as “该文件已失效”.

    Not flagged: documents without a stated validity (no national rule fixes one), validities
    still running, marked pages.

    Evidence: the validity clause, its rule, start and end dates, the audit date, and what the
    有效性 field says.
    """
    idx = index(ctx)
    for doc in sorted(idx["docs"].values(), key=lambda d: d.url):
        v = doc.validity
        if v is None or v.end >= ctx.audit_date or doc.mark:
            continue
        shown = f"（有效性栏为“{doc.validity_field}”）" if doc.validity_field else "（页面无有效性标注）"
        yield ctx.finding(
            site=doc.site, url=doc.url, page=linking_page(ctx, doc.url, doc.site),
            message=f"{quoted(doc.title)}有效期已于 {v.end.isoformat()} 届满，页面未标注失效{shown}",
            evidence={"document": doc.brief(), "validity_clause": v.clause, "rule": v.rule,
                      "start": iso_date(v.start), "end": v.end.isoformat(), "audit_date": ctx.audit_date.isoformat(),
                      "validity_field": doc.validity_field or None})


@check("document.repealed-unmarked", verify=Verify.SITE, title="文件已被废止但未标注", severity="error",
       fix="在被废止文件的页面标注“废止”（有效性栏、标题或正文前说明），并链接废止它的文件。",
       requires=("pages", "document_texts"), source=_SOURCE,
       uses=("documents.index", "documents.repealed"))
def document_repealed_unmarked(ctx):
    """Flags a document that another document on the same site repeals, while its own page is
    not marked 失效/废止.

    A repeal statement is a sentence with 同时废止 / 予以废止 / 一并废止 / 不再执行 / 停止执行 /
    宣布失效, naming the repealed documents by title in 《》 or by 文号 (list forms such as
    “下列文件予以废止：1.《A》（临政发〔2019〕3号）；2.…” included). A title names a page when
    both reduce to the same core (issuing authority, 关于印发…的通知, brackets and place name
    left out); a 文号 when year, number and 机关代字 agree (brackets and zero padding ignored).

    Not flagged: repeals that take effect after the audit date (本办法自2024年8月1日起施行，
    《A》同时废止 audited before that day), documents named but not found on the site, and
    the repealing document itself.

    Evidence: the repealing document, its sentence, how the target is named, and what the
    target's 有效性 field says.
    """
    idx = index(ctx)
    targets = repealed_targets(ctx)
    for url in sorted(targets):
        doc = idx["docs"][url]
        if doc.mark:
            continue
        by, rep, how = targets[url][0]
        yield ctx.finding(
            site=doc.site, url=doc.url, page=by.url,
            message=f"{quoted(doc.title)}已被{quoted(by.title)}废止（按{how}），页面未标注",
            evidence={"document": doc.brief(), "repealed_by": by.brief(), "statement": rep.sentence,
                      "named_by": how, "effective": iso_date(rep.effective),
                      "validity_field": doc.validity_field or None,
                      "other_repealing_documents": [d.url for d, _, _ in targets[url][1:]]})


@check("document.marking-wrong", verify=Verify.SITE, title="文件标注失效但仍在有效期内", severity="warning",
       fix="核实文件状态：如未被废止且仍在有效期内，应更正“有效性”标注；如已被废止，请链接废止它的文件。",
       requires=("pages", "document_texts"), source=_SOURCE,
       uses=("documents.index", "documents.repealed"))
def document_marking_wrong(ctx):
    """Flags a page marked 失效/废止 (有效性 field, title mark or notice) although the
    document's own stated validity has not ended on the audit date and no document found on
    the site repeals it.

    Not flagged: marked documents without a stated validity (they may have been repealed by a
    document that is not on the site), expired ones, and those that a document on the site
    repeals with effect on or before the audit date. A mark placed before the repeal that
    justifies it takes effect is reported: it is premature.

    Evidence: the mark, the validity clause and its end date.
    """
    idx = index(ctx)
    targets = repealed_targets(ctx)
    for doc in sorted(idx["docs"].values(), key=lambda d: d.url):
        v = doc.validity
        if not doc.mark or v is None or v.end < ctx.audit_date or doc.url in targets:
            continue
        yield ctx.finding(
            site=doc.site, url=doc.url, page=linking_page(ctx, doc.url, doc.site), severity=None,
            message=f"{quoted(doc.title)}标注为失效/废止（{doc.mark}），但其有效期至 {v.end.isoformat()}，"
                    f"且未发现废止它的文件",
            evidence={"document": doc.brief(), "mark": doc.mark, "validity_clause": v.clause, "rule": v.rule,
                      "end": v.end.isoformat(), "audit_date": ctx.audit_date.isoformat()})
