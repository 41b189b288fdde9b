"""Availability family: the home page's 7-day 连通率 from the watch's probes (站点无法访问).

The probes are taken by ``portal-audit watch`` (portal_audit/watch.py) and stored in
``watch_probes`` / ``watch_rounds``; runs do not own them. The window ends when the audited
run started, so re-auditing a stored run gives the same answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from checks.inspection import check_options
from checks.registry import NotApplicable, check
from core.models import Verify
from core.text import duration

MAX_TIMES_LISTED = 50
_DEFAULTS = check_options().get("site.unavailable", {})


def _utc(value: str | datetime) -> datetime:
    d = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return (d if d.tzinfo else d.astimezone()).astimezone(timezone.utc)


def _iso(d: datetime) -> str:
    return d.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Availability:
    """One site's probes in the window before ``end``."""

    site: str
    window_start: str
    window_end: str
    window_seconds: float
    watched_seconds: float             # how long the watch must have run before a decision
    required: int                      # conclusive IPv4 probes needed for a decision
    probes: int = 0                    # conclusive IPv4 probes
    failed: int = 0
    inconclusive: int = 0              # IPv4 probes of inconclusive rounds or throttled
    covered: bool = False              # the watch ran before the window started
    first_probe: str | None = None
    failed_probes: list[dict[str, Any]] = field(default_factory=list)
    v6_probes: int = 0
    v6_ok: int = 0
    series: list[tuple[str, int, str]] = field(default_factory=list)   # (time, family, ok|failed|inconclusive)

    @property
    def watched(self) -> bool:
        return bool(self.first_probe)

    @property
    def decided(self) -> bool:
        return self.covered and self.probes >= self.required

    @property
    def failure_percent(self) -> float | None:
        return round(100.0 * self.failed / self.probes, 2) if self.probes else None

    @property
    def uptime_percent(self) -> float | None:
        return None if self.probes == 0 else round(100.0 - self.failure_percent, 2)

    @property
    def v6_percent(self) -> float | None:
        return round(100.0 * self.v6_ok / self.v6_probes, 2) if self.v6_probes else None

    @property
    def window_days(self) -> float:
        return self.window_seconds / 86400

    def undecided_reason(self) -> str | None:
        if self.decided:
            return None
        if not self.watched:
            return "未进行可用性监测（portal-audit watch）"
        if not self.covered:
            return f"监测时间不足 {span_text(self.watched_seconds)}（首次监测 {self.first_probe}）"
        return f"{span_text(self.window_seconds)}内有效监测仅 {self.probes} 次（至少 {self.required} 次）"

    def as_dict(self) -> dict[str, Any]:
        return {"probes": self.probes, "failed": self.failed, "inconclusive": self.inconclusive,
                "failure_percent": self.failure_percent, "uptime_percent": self.uptime_percent,
                "window_start": self.window_start, "window_end": self.window_end, "window_days": self.window_days,
                "decided": self.decided, "undecided_reason": self.undecided_reason(), "first_probe": self.first_probe,
                "required_probes": self.required, "v6_probes": self.v6_probes, "v6_ok": self.v6_ok,
                "v6_percent": self.v6_percent, "failed_probes": self.failed_probes[:MAX_TIMES_LISTED]}


def availability(store, site: str, end: str | datetime, options: dict[str, Any] | None = None) -> Availability:
    """The watch figures of ``site`` for the window ending at ``end`` (``options``: the
    site.unavailable options; the shipped thresholds by default)."""
    opts = {**_DEFAULTS, **(options or {})}
    window = duration(opts["window"])
    watched = min(window, duration(opts.get("min_watched") or window))
    end_dt = _utc(end)
    start_dt = end_dt - timedelta(seconds=window)
    required = max(1, math.ceil(float(opts["min_probes_per_day"]) * watched / 86400))
    av = Availability(site, _iso(start_dt), _iso(end_dt), window, watched, required)
    av.first_probe = store.first_watch_probe(site)
    av.covered = bool(av.first_probe) and av.first_probe <= _iso(end_dt - timedelta(seconds=watched))
    rows = store.watch_probes(site, av.window_start, av.window_end)
    for r in rows:
        counted = r["round_status"] == "ok" and r["result"] != "inconclusive"
        av.series.append((r["probed_at"], r["family"], r["result"] if counted else "inconclusive"))
        if r["family"] == 6:
            if counted:
                av.v6_probes += 1
                av.v6_ok += r["result"] == "ok"
            continue
        if not counted:
            av.inconclusive += 1
            continue
        av.probes += 1
        if r["result"] == "failed":
            av.failed += 1
            av.failed_probes.append({"time": r["probed_at"], "error": r["error"], "status": r["status"],
                                     "elapsed": r["elapsed"]})
    return av


def span_text(seconds: float) -> str:
    return f"{seconds / 86400:g} 天" if seconds >= 86400 else f"{seconds:g} 秒"


def run_end(store, run_id: int) -> str:
    row = store.run(run_id)
    return _iso(_utc(row["started_at"]))


def site_homes(ctx) -> dict[str, str]:
    """site → home URL: the configured sites, else the run's."""
    if ctx.sites:
        return {name: s.url for name, s in ctx.sites.items()}
    return {r["site"]: r["url"] for r in ctx.store.run_sites(ctx.run_id)}


@check("site.unavailable", verify=Verify.SITE, title="站点无法访问", severity="error",
       fix="排查服务器、网络与域名解析的稳定性（负载、带宽、防护策略、DNS），确保首页在任何时段15秒内可以打开；"
           "建立可用性监控与故障告警。",
       requires=("watch_probes",), options=_DEFAULTS,
       source="国办函〔2019〕80号 单项否决“站点无法访问”：监测1周，每天间隔性访问20次以上，"
              "超过(含)15秒网站仍打不开的次数累计占比超过(含)5%，即单项否决（DOMAIN.md §2.2）")
def site_unavailable(ctx):
    """Flags a site whose home page failed to open (not loaded within ``watch.timeout``, 15 s,
    or an error answer) in ``max_failure_percent`` (5) % or more of the IPv4 probes of the
    watch (``portal-audit watch``) in the ``window`` (7d) before the run started — a 单项否决
    (veto) item.

    Decided only when the watch has run for ``min_watched`` (default: the whole window; its
    first probe of the site is that old) and took at least ``min_probes_per_day`` (20) × days
    conclusive probes; otherwise nothing is flagged and the verdict of the site says 待定 with the reason.
    Probes of inconclusive rounds (the watcher's own network or resolver was down) and
    throttled probes (HTTP 429) are not counted. IPv6 probes give the 首页IPv6访问成功率
    shown in the report; they never make this finding.

    Evidence: the failure percentage, the probe counts, the window, and the time and reason
    of each failed probe (the first 50).
    """
    homes = site_homes(ctx)
    if not ctx.store.watch_probe_count():
        raise NotApplicable("没有可用性监测数据（请运行 portal-audit watch）")
    end = run_end(ctx.store, ctx.run_id)
    limit = float(ctx.options["max_failure_percent"])
    for site, home in homes.items():
        av = availability(ctx.store, site, end, dict(ctx.options))
        if not av.decided or av.failure_percent < limit:
            continue
        days = span_text(av.window_seconds)
        yield ctx.finding(
            site=site, url=home, page=None, identity=(home,),
            message=f"首页近 {days}监测 {av.probes} 次，{av.failed} 次无法打开（{av.failure_percent:g}%，"
                    f"达到 {limit:g}% 即单项否决）",
            evidence={**av.as_dict(), "threshold_percent": limit})
