"""Privacy family: full 居民身份证号 and mobile numbers published on the portal.

The text of every stored page is scanned once: its title, its main text (for an article
whose body is only a PDF/DOCX download link, the gatherer stores the document's text
there) and its metadata values; so is the text of every same-site XLSX/DOCX/PDF
attachment the gatherer read (``attachment_texts``): a finding there names the
attachment as its URL and a page linking to it. Nothing this module returns, stores or prints holds a
full number: values are masked as the 永安市 通报 prescribes (138****5678,
371302********1234), and so is every number in the quoted context.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote, urlsplit

from checks.common import linking_page
from checks.registry import NotApplicable, check
from core.models import Verify


PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                       50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# an 18-character ID or an 11-digit mobile (optionally +86, optionally 3-4-4 grouped),
# never a part of a longer run of digits, letters or mask characters
_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z*＊])"
    r"(?:(?P<id>\d{17}[\dXx])"
    r"|(?P<mob>(?:(?:\+|00)86[- ]?)?1[3-9]\d(?P<sep>[- ]?)\d{4}(?P=sep)\d{4}))"
    r"(?![0-9A-Za-z*＊])")
# numbers quoted in a context are masked whatever they are
_ANY_NUMBER = re.compile(r"(?P<grouped>(?:(?:\+|00)86[- ]?)?1[3-9]\d(?P<gsep>[- ])\d{4}(?P=gsep)\d{4})(?!\d)"
                         r"|(?:\+|00)86[- ]?1[3-9]\d{9}(?!\d)|\d+[Xx]?")
# a number right after one of these labels is a code, not a person's number
_CODE_LABEL = re.compile(r"(?:统一社会信用代码|信用代码|机构代码|注册号|税号|识别号|订单号|单号|编号|流水号|账号|帐号|卡号|"
                         r"文号|许可证号|证书号|执照号|登记号|条形码|条码|批次|合同号|项目代码|代码)[\s:：为是]*$")
_UNIT_AFTER = re.compile(r"^\s*(?:元|万|亿|千|百|吨|人|户|个|件|台|辆|次|亩|公里|平方|立方|千克|公斤|米|%|％|kg|km)")
CONTEXT_CHARS = 20


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return _CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def id_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def is_id_number(value: str, today: date | None = None) -> bool:
    """An 18-character 居民身份证号: province code, real birth date (1900 … today) and a valid
    check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    if int(value[:2]) not in PROVINCES:
        return False
    born = id_birth_date(value)
    if born is None or born < date(1900, 1, 1) or born > (today or date.today()):
        return False
    return id_check_char(value[:17]) == value[17].upper()


def mask_id(value: str) -> str:
    """371302199001011234 → 371302********1234."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:].upper()


def mask_mobile(value: str) -> str:
    """13812345678 (also +86 138-1234-5678) → 138****5678."""
    digits = re.sub(r"\D", "", value)[-11:]
    return digits[:3] + "****" + digits[-4:]


def mask_numbers(text: str) -> str:
    """``text`` with every number of six or more digits masked (IDs and mobiles as above,
    any other long number keeping only its first two and last two digits)."""

    def one(m: re.Match) -> str:
        raw = m.group(0)
        if m.group("grouped") or raw.startswith(("+", "00")) and len(re.sub(r"\D", "", raw)) >= 13:
            return mask_mobile(raw)
        if len(raw) < 6:
            return raw
        if len(raw) == 18:
            return mask_id(raw)
        if len(raw) == 11 and re.match(r"1[3-9]", raw):
            return mask_mobile(raw)
        return raw[:2] + "*" * (len(raw) - 4) + raw[-2:]

    return _ANY_NUMBER.sub(one, text)


@dataclass
class Hit:
    masked: str
    count: int = 0
    values: set[int] = field(default_factory=set)   # hashes of distinct full values, never the values
    where: str = ""
    context: str = ""


@dataclass
class PageHits:
    site: str
    url: str
    title: str
    ids: dict[str, Hit] = field(default_factory=dict)
    mobiles: dict[str, Hit] = field(default_factory=dict)
    attachment: bool = False        # ``url`` is an attachment (its text from attachment_texts)

    def add(self, kind: str, masked: str, context: str, digest: int, where: str) -> None:
        bucket = self.ids if kind == "id" else self.mobiles
        hit = bucket.setdefault(masked, Hit(masked, where=where, context=context))
        hit.count += 1
        hit.values.add(digest)


def _context(text: str, start: int, end: int) -> str:
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    # never cut a number in two: widen to whole runs, then mask them all
    while lo > 0 and text[lo - 1].isalnum() and text[lo - 1].isascii():
        lo -= 1
    while hi < len(text) and text[hi].isalnum() and text[hi].isascii():
        hi += 1
    snippet = mask_numbers(text[lo:hi])
    return ("…" if lo > 0 else "") + snippet.strip() + ("…" if hi < len(text) else "")


def scan_text(text: str, today: date) -> list[tuple[str, str, str, int]]:
    """(kind, masked value, masked context, hash of the full value) for each ID / mobile in ``text``."""
    if not text:
        return []
    if any("\uff10" <= c <= "\uff19" for c in text):
        text = unicodedata.normalize("NFKC", text)
    out = []
    for m in _CANDIDATE.finditer(text):
        before = text[max(0, m.start() - 16):m.start()]
        if _CODE_LABEL.search(before) or _UNIT_AFTER.match(text[m.end():m.end() + 4]):
            continue
        if m.group("id"):
            value = m.group("id")
            if not is_id_number(value, today):
                continue
            out.append(("id", mask_id(value), _context(text, m.start(), m.end()), hash(value.upper())))
        else:
            value = re.sub(r"\D", "", m.group("mob"))[-11:]
            out.append(("mobile", mask_mobile(value), _context(text, m.start(), m.end()), hash(value)))
    return out


def privacy_hits(ctx) -> list[PageHits]:
    """The masked IDs and mobiles of every page (one pass over the snapshot, computed once)."""

    def build():
        result = []
        for row in ctx.store.page_texts(ctx.run_id):
            sources = [("标题", row["heading"] or row["title"] or ""), ("正文", row["main_text"] or "")]
            if row["meta_json"] and row["meta_json"] != "{}":
                try:
                    meta = json.loads(row["meta_json"])
                    sources.append(("元数据", " ".join(f"{k}：{v}" for k, v in meta.items())))
                except ValueError:
                    pass
            page = None
            for where, text in sources:
                for kind, masked, context, digest in scan_text(text, ctx.audit_date):
                    if page is None:
                        page = PageHits(row["site"], row["url"], row["heading"] or row["title"] or "")
                    page.add(kind, masked, context, digest, where)
            if page is not None:
                result.append(page)
        result.extend(_attachment_hits(ctx, {(p.site, p.url): p for p in result}))
        return result

    return ctx.computed("privacy.hits", build)


def _attachment_hits(ctx, pages: dict[tuple[str, str], PageHits]) -> list[PageHits]:
    """The masked IDs and mobiles of every attachment read. A value already reported on a
    page linking to the attachment (a download-only article carries the document's text as
    its main text) is not reported again for the attachment."""
    result = []
    for row in ctx.store.attachment_texts(ctx.run_id):
        hits = scan_text(row["text"] or "", ctx.audit_date)
        if not hits:
            continue
        seen: set[tuple[str, int]] = set()
        for source in ctx.store.linking_pages_of_site(ctx.run_id, row["site"], row["url"]):
            linking = pages.get((row["site"], source))
            if linking is not None:
                seen.update(("id", d) for h in linking.ids.values() for d in h.values)
                seen.update(("mobile", d) for h in linking.mobiles.values() for d in h.values)
        attachment = None
        for kind, masked, context, digest in hits:
            if (kind, digest) in seen:
                continue
            if attachment is None:
                attachment = PageHits(row["site"], row["url"], _file_name(row["url"]), attachment=True)
            attachment.add(kind, masked, context, digest, "附件")
        if attachment is not None:
            result.append(attachment)
    return result


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _findings(ctx, kind: str, label: str):
    max_per_page = int(ctx.options["max_per_page"])
    pages = privacy_hits(ctx)
    scanned = ctx.store.page_count(ctx.run_id)
    if not scanned:
        raise NotApplicable("快照中没有页面")
    for page in pages:
        bucket = page.ids if kind == "id" else page.mobiles
        if not bucket:
            continue
        total = sum(h.count for h in bucket.values())
        distinct = sum(len(h.values) for h in bucket.values())
        for i, hit in enumerate(sorted(bucket.values(), key=lambda h: h.masked)):
            if i >= max_per_page:
                break
            times = f"（出现 {hit.count} 次）" if hit.count > 1 else ""
            evidence = {"masked": hit.masked, "where": hit.where, "context": hit.context,
                        "occurrences": hit.count, "distinct_on_page": distinct, "occurrences_on_page": total,
                        "reported_on_page": min(len(bucket), max_per_page), "title": page.title}
            if page.attachment:
                linked = linking_page(ctx, page.url, page.site)
                evidence.update(attachment=page.url, file=page.title)
                yield ctx.finding(
                    site=page.site, url=page.url, page=linked,
                    message=f"附件（{page.title}）中公开了未脱敏的{label} {hit.masked}{times}；"
                            f"该附件共 {distinct} 个{label}未脱敏",
                    evidence=evidence, identity=(page.url, hit.masked))
                continue
            yield ctx.finding(
                site=page.site, url=page.url, page=None,
                message=f"页面{hit.where}公开了未脱敏的{label} {hit.masked}{times}；本页共 {distinct} 个{label}未脱敏",
                evidence=evidence, identity=(page.url, hit.masked))


@check("privacy.id-number", verify=Verify.PAGE, title="公开了完整的居民身份证号", severity="error",
       fix="立即撤下或脱敏处理（如 35*************123），并排查同批公开的名单、附件；公开前落实保密审查和个人信息去标识化。",
       requires=("pages", "attachment_texts", "document_texts"), options={"max_per_page": 20},
       source="国务院办公厅《2018年政务公开工作要点》：涉及个人隐私的政府信息公开时要去标识化处理；"
              "《政府网站发展指引》：不得泄露个人隐私；S3 一(三) 杜绝泄露公民个人信息；GB 11643-1999 公民身份号码",
       uses=("privacy.hits",))
def privacy_id_number(ctx):
    """Flags a page whose text shows a full 18-digit 居民身份证号: the first two digits are a
    province code (11–65, 71, 81, 82), digits 7–14 a real birth date between 1900 and the
    audit date, and the last character the valid GB 11643 check character (ISO 7064
    MOD 11-2, X for 10). Title, main text (including the text of a PDF/DOCX that carries
    an article) and metadata values are scanned, and so is the text of every same-site
    XLSX/DOCX/PDF attachment (a 名单 spreadsheet): such a finding's URL is the attachment,
    its page a page linking to it, and its message says 附件. A value already reported on
    that linking page is not reported again for the attachment.

    Not flagged: masked numbers (3713**********1234, 371302********123X); a number with a
    wrong check character, an impossible birth date or an unknown province; 18 characters
    inside a longer run of digits or letters (bank accounts, 统一社会信用代码 such as
    91371300MA…, order numbers) or right after a code label (统一社会信用代码, 编号, 订单号 …);
    attachments that are not read (XLS, DOC, WPS, external or over the size cap).

    One finding per page and masked value (at most ``max_per_page``, default 20, per page).
    The message, evidence and report never contain the full number: the value and the
    quoted context are masked (371302********1234). Evidence: the masked value, where it
    was found, its masked context and the counts on the page.
    """
    yield from _findings(ctx, "id", "居民身份证号")


@check("privacy.mobile", verify=Verify.PAGE, title="公开了完整的手机号码", severity="error",
       fix="对个人手机号码脱敏（如 138****1234）或改为单位办公电话；公开前落实个人信息审查。",
       requires=("pages", "attachment_texts", "document_texts"), options={"max_per_page": 20},
       source="永安市政府办公室 2022年第四季度网站错情通报：电话号码须进行脱敏处理，格式如 138****1234；"
              "《2018年政务公开工作要点》去标识化；S3 一(三)",
       uses=("privacy.hits",))
def privacy_mobile(ctx):
    """Flags a page whose text shows a full mainland mobile number: 11 digits ``1[3-9]`` +
    9 digits, also written +86 138… or grouped 138-1234-5678 / 138 1234 5678.

    Not flagged: masked numbers (138****1234); 11 digits inside a longer number (an order
    number, a 统一社会信用代码, a bank account, +8613… without a separator counts only with
    the plus sign); a number after a code label (编号, 订单号, 统一社会信用代码 …) or followed by
    a unit (元, 万, 吨, 人 …); landlines (0539-1234567). A mobile published on purpose (a
    duty officer's number) is still reported: publish an office line instead.

    One finding per page and masked value (at most ``max_per_page``, default 20, per page);
    the full number appears nowhere. Evidence: as for ``privacy.id-number``.
    """
    yield from _findings(ctx, "mobile", "手机号码")
