"""Shared value types: severities, fetch outcomes and findings.

Everything here is a small immutable record. The crawler produces
:class:`Outcome` values, checks read them from the store and produce
:class:`Finding` values, reports render findings.
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
