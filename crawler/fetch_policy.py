"""The one fetch policy of every gatherer: the Scrapy crawl (its retry middleware and the
spider) and the IPv6 prober follow it, so that an answer means the same whichever path or
address family fetched it.

- Retries: network failures and the statuses of :data:`RETRY_STATUSES`, ``retries`` times,
  with exponential backoff (``backoff`` seconds, doubled each attempt); on 429/503 a
  ``Retry-After`` is honoured up to ``max_retry_after`` seconds, and a longer one is not
  waited for: the answer is final (and rate limited, see below).
- Outcome of a final answer (the closed :class:`~core.models.Outcome`): 2xx is ok; a bot
  wall (999, or a block status showing a WAF page) is ``blocked``; 429, and 503 with a
  ``Retry-After``, are ``rate_limited`` — both inconclusive, never broken; other 4xx/5xx
  are ``http_error``. An answer over the size limit is ``too_large`` (inconclusive).
- Redirects are followed hop by hop; a target seen before in the chain, or more than
  ``max_redirects`` hops, is a redirect loop.
- A HEAD refused (:data:`HEAD_FALLBACK_STATUSES`) is repeated as a ranged GET.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Collection

from core.models import Outcome
from crawler.extract import is_waf_page
from crawler.headers import header_int

RETRY_STATUSES = (500, 502, 503, 504, 522, 524, 408, 429)
HEAD_FALLBACK_STATUSES = (400, 403, 405, 501)
BLOCK_STATUSES = (403, 412, 418, 468, 521, 999)
TOO_LARGE_ERROR = "内容超过下载大小上限，未下载"


#: OpenSSL's words for the usual TLS failures and what they mean, the most specific first
_TLS_REASONS = (
    ("certificate has expired", "证书已过期"),
    ("certificate is not yet valid", "证书尚未生效"),
    ("hostname mismatch", "证书与访问的域名不匹配"),
    ("ip address mismatch", "证书与访问的地址不匹配"),
    ("self-signed certificate", "自签名证书，不受信任"),
    ("self signed certificate", "自签名证书，不受信任"),
    ("unable to get local issuer certificate", "证书链不完整或签发机构不受信任"),
    ("unable to get issuer certificate", "证书链不完整或签发机构不受信任"),
    ("certificate verify failed", "证书验证失败"),
    ("wrong version number", "服务器未以 TLS 应答，该端口可能只提供 HTTP"),
    ("unsupported protocol", "服务器仅支持已淘汰的 TLS/SSL 协议版本"),
    ("protocol version", "服务器仅支持已淘汰的 TLS/SSL 协议版本"),
    ("dh key too small", "服务器的 DH 密钥过短"),
    ("handshake failure", "TLS 握手失败：双方没有共同支持的协议或加密套件"),
    ("unexpected eof", "TLS 握手期间连接被关闭"),
    ("eof occurred", "TLS 握手期间连接被关闭"),
)


def tls_error(reason: str) -> str:
    """A TLS failure in words, OpenSSL's own reason beside them in brackets (for whoever
    fixes the server): the error text of a ``tls`` outcome, whichever gatherer met it."""
    reason = " ".join(reason.split())[:200]
    low = reason.lower().replace("_", " ")
    words = next((zh for en, zh in _TLS_REASONS if en in low), "TLS 握手失败")
    return f"TLS/证书错误：{words}（{reason}）" if reason else f"TLS/证书错误：{words}"


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    seconds = header_int(text)
    if seconds is not None:
        return float(seconds)
    if text.isdigit():
        return float("inf")     # a number too large to be real: never waited for
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_delay(retries_done: int, backoff: float, retry_after: float | None, max_retry_after: float) -> float | None:
    """Seconds to wait before the next attempt, or None when the server asks for a longer
    wait than ``max_retry_after`` (then the answer in hand is final)."""
    delay = backoff * 2 ** retries_done
    if retry_after is not None:
        if retry_after > max_retry_after:
            return None
        delay = max(delay, retry_after)
    return delay


def classify_status(status: int, title: str = "", text: str = "",
                    retry_after: float | None = None) -> tuple[Outcome, str | None]:
    """The outcome of a final HTTP answer (``title``/``text``: the page shown, for a bot
    wall; ``retry_after``: its Retry-After, if any) and the Chinese error, if any."""
    if 200 <= status < 300:
        return Outcome.OK, None
    if status == 999 or (status in BLOCK_STATUSES and is_waf_page(title, text)):
        return Outcome.BLOCKED, f"HTTP {status}，疑似网站防火墙拦截"
    if status == 429:
        return Outcome.RATE_LIMITED, "HTTP 429，访问频率受限"
    if status == 503 and retry_after is not None:
        return Outcome.RATE_LIMITED, "HTTP 503（带 Retry-After），服务暂时限流"
    if status >= 400:
        return Outcome.HTTP_ERROR, f"HTTP {status}"
    if status < 200:
        return Outcome.ERROR, f"HTTP {status}：只有临时响应，无法判定"
    if 300 <= status < 400:
        return Outcome.ERROR, f"HTTP {status}：跳转缺少 Location，无法判定"
    return Outcome.ERROR, f"HTTP {status}"


def redirect_verdict(chain: Collection[str], target: str, max_redirects: int) -> tuple[Outcome, str] | None:
    """None when the redirect to ``target`` may be followed; else why not. ``chain``: the
    URLs answered with a redirect so far, this one included."""
    if target in chain:
        return Outcome.REDIRECT_LOOP, "循环跳转"
    if len(chain) > max_redirects:
        return Outcome.REDIRECT_LOOP, f"跳转超过 {max_redirects} 次"
    return None


def too_large(declared_length: int | None, limit: int) -> bool:
    """Whether an answer announcing ``declared_length`` bytes is over the size limit."""
    return bool(limit) and declared_length is not None and declared_length > limit
