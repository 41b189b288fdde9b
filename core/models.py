"""Shared value types: severities, fetch outcomes, findings and every closed status.

Everything here is a small immutable record or a closed enum. The crawler produces
:class:`Outcome` values, checks read them from the store and produce
:class:`Finding` values, reports render findings. The status enums are ``StrEnum``:
a member equals (and hashes as) its stored string, so rows read back from the store
compare with them directly.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


class Outcome(str, enum.Enum):
    """The one closed status type of a fetched URL (after retries and redirects)."""

    OK = "ok"
    HTTP_ERROR = "http_error"        # 4xx/5xx after retries
    DNS = "dns"                      # name does not resolve
    REFUSED = "refused"              # connection refused
    TIMEOUT = "timeout"              # no answer within the timeout
    TLS = "tls"                      # TLS handshake / certificate error
    RESET = "reset"                  # connection lost / reset mid-response
    INVALID_URL = "invalid_url"      # the link is not a valid URL
    REDIRECT_LOOP = "redirect_loop"  # redirects never end
    BLOCKED = "blocked"              # WAF / bot wall: inconclusive
    RATE_LIMITED = "rate_limited"    # 429/503 still after retries: inconclusive
    TOO_LARGE = "too_large"          # over the size limit: inconclusive
    EXCLUDED = "excluded"            # robots.txt, unsupported scheme: not checked
    ERROR = "error"                  # anything else: inconclusive

    @property
    def is_broken(self) -> bool:
        return self in BROKEN_OUTCOMES

    @property
    def is_inconclusive(self) -> bool:
        return self in INCONCLUSIVE_OUTCOMES

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


BROKEN_OUTCOMES = frozenset(
    {Outcome.HTTP_ERROR, Outcome.DNS, Outcome.REFUSED, Outcome.TIMEOUT, Outcome.TLS,
     Outcome.RESET, Outcome.INVALID_URL}
)
INCONCLUSIVE_OUTCOMES = frozenset(
    {Outcome.BLOCKED, Outcome.RATE_LIMITED, Outcome.TOO_LARGE, Outcome.ERROR}
)
OUTCOME_LABELS = {
    Outcome.OK: "正常",
    Outcome.HTTP_ERROR: "HTTP错误",
    Outcome.DNS: "域名无法解析",
    Outcome.REFUSED: "连接被拒绝",
    Outcome.TIMEOUT: "访问超时",
    Outcome.TLS: "TLS/证书错误",
    Outcome.RESET: "连接中断",
    Outcome.INVALID_URL: "链接地址无效",
    Outcome.REDIRECT_LOOP: "循环跳转",
    Outcome.BLOCKED: "被防火墙/反爬拦截",
    Outcome.RATE_LIMITED: "访问频率受限",
    Outcome.TOO_LARGE: "页面超过大小上限",
    Outcome.EXCLUDED: "按规则未检查",
    Outcome.ERROR: "其他错误",
}


# The reason of an ``excluded`` fetch the address policy refused (crawler/addresses.py):
# such links are reported as inconclusive (link.inconclusive), never as broken.
PRIVATE_ADDRESS_REASON = "内网地址"


class DnsStatus(enum.StrEnum):
    """The answer to one DNS question, as the IPv6 stage stores it."""

    OK = "ok"
    NXDOMAIN = "nxdomain"        # the name does not exist
    NOANSWER = "noanswer"        # the name exists, no record of this type
    SERVFAIL = "servfail"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    ERROR = "error"
    LOCAL = "local"              # answered without a query (IP literal, localhost, .invalid)


class CheckState(enum.StrEnum):
    """How one check ended in one run."""

    OK = "ok"            # ran, found nothing
    FOUND = "found"      # ran, found something
    NA = "n/a"           # does not apply to this run (NotApplicable)
    ERROR = "error"      # raised


class Verify(enum.StrEnum):
    """How a later run proves a finding fixed: every check declares one (``@check(verify=...)``);
    the finding history (:mod:`store.history`) and the re-check read it."""

    TARGET = "target"                # the target URL was fetched again and answers (decided), or
                                     # every page that linked to it was re-parsed
    TARGET_PROBE = "target-probe"    # as TARGET, and the fetch counts only with the host's answer to
                                     # an unknown URL (its "not found" sample) taken in the same run
    LINKING_PAGES = "linking-pages"  # every page the link sat on was re-parsed
    SOURCE_PAGE = "source-page"      # the page the defective link sits on (``page``) was re-parsed, and
                                     # the target read again unless the page no longer links it
    PAGE = "page"                    # the page carrying the defect (``url``) was re-read
    HOME = "home"                    # the site's home page answered
    SITE = "site"                    # site-wide: a full audit that re-read ``url`` decides; a re-check cannot
    IPV6 = "ipv6"                    # the IPv6 stage probed it again; a re-check cannot

    @property
    def recheckable(self) -> bool:
        """Whether a re-check (which re-fetches only the finding's pages) can decide it."""
        return self not in (Verify.SITE, Verify.IPV6)

    @property
    def fetches_target(self) -> bool:
        """Whether fetching the finding's target can prove it fixed."""
        return self in (Verify.TARGET, Verify.TARGET_PROBE)

    @property
    def label(self) -> str:
        return VERIFY_LABELS[self]


VERIFY_LABELS = {
    Verify.TARGET: "再次访问目标地址且能正常判定，或引用它的页面均已重新解析",
    Verify.TARGET_PROBE: "再次访问目标地址且能正常判定，并取得该网站对不存在地址的应答（软404样本），"
                         "或引用它的页面均已重新解析",
    Verify.LINKING_PAGES: "含有该链接的页面均已重新解析",
    Verify.SOURCE_PAGE: "该链接所在的页面已重新解析，且链接目标已重新读取（或页面已不再链接它）",
    Verify.PAGE: "问题所在的页面（或附件）已重新读取",
    Verify.HOME: "网站首页能够正常访问",
    Verify.SITE: "需要完整检查（全站数据），且问题所在页面已重新读取；复核不能判定",
    Verify.IPV6: "需要再次进行 IPv6 检测；复核不能判定",
}


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"   # finished, but gathered rows or a report were lost
    INTERRUPTED = "interrupted"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return RUN_STATUS_LABELS[self]


# a run that went to its end: it may prove fixes (a site with rows lost proves none)
FINISHED_RUN_STATUSES = (RunStatus.COMPLETED, RunStatus.COMPLETED_WITH_ERRORS)
RUN_STATUS_LABELS = {RunStatus.COMPLETED: "已完成", RunStatus.COMPLETED_WITH_ERRORS: "已完成（有数据未写入）",
                     RunStatus.INTERRUPTED: "已中断",
                     RunStatus.RUNNING: "进行中", RunStatus.FAILED: "失败"}


class SiteStatus(enum.StrEnum):
    """How a site's crawl ended in a run (``run_sites.status``)."""

    OK = "ok"                      # crawled; the home page answered
    UNREACHABLE = "unreachable"    # crawled; the home page did not answer
    NOT_AUDITED = "not_audited"    # every crawl attempt failed (run --scrapyd): nothing gathered or checked

    @property
    def label(self) -> str:
        return SITE_STATUS_LABELS[self]


SITE_STATUS_LABELS = {SiteStatus.OK: "正常", SiteStatus.UNREACHABLE: "首页无法访问", SiteStatus.NOT_AUDITED: "未能检查"}


class RunKind(enum.StrEnum):
    AUDIT = "audit"
    RECHECK = "recheck"

    @property
    def label(self) -> str:
        return RUN_KIND_LABELS[self]


RUN_KIND_LABELS = {RunKind.AUDIT: "检查", RunKind.RECHECK: "复核"}


class FindingStatus(enum.StrEnum):
    """A finding's place in its lifecycle across runs (see :mod:`store.history`)."""

    NEW = "new"                  # first seen in this run
    OPEN = "open"                # seen before and seen again
    FIXED = "fixed"              # not seen, and the run proves it
    REOPENED = "reopened"        # was fixed, seen again (复发)
    WAIVED = "waived"            # 误报/accepted through the ledger
    UNVERIFIED = "unverified"    # per run only: not seen, but the run is no evidence

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


NEW, OPEN, FIXED, REOPENED, WAIVED, UNVERIFIED = FindingStatus
ACTIVE = (NEW, OPEN, REOPENED)
STATUS_LABELS = {NEW: "新增", OPEN: "持续", FIXED: "已整改", REOPENED: "复发", WAIVED: "豁免",
                 UNVERIFIED: "持续（本次未核实）"}
STATUS_ORDER = {REOPENED: 0, NEW: 1, OPEN: 2, UNVERIFIED: 3, WAIVED: 4, FIXED: 5}


def short_time(iso: str | None) -> str:
    """'2024-06-30T02:30:11+08:00' → '2024-06-30 02:30'."""
    if not iso:
        return ""
    return iso[:16].replace("T", " ")


def fingerprint(*parts: Any) -> str:
    """A stable id from identity fields only (never dates, counts or run ids)."""
    blob = json.dumps([("" if p is None else str(p)) for p in parts], ensure_ascii=False)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    """One problem, as checks yield it and every output format shows it."""

    check: str
    severity: Severity
    site: str
    url: str | None
    page: str | None
    message: str
    fingerprint: str
    anchor: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "site": self.site,
            "url": self.url,
            "page": self.page,
            "anchor": self.anchor,
            "message": self.message,
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
            "run_id": self.run_id,
        }
