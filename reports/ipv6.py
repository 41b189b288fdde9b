"""The report's IPv6 section and the self-check banner."""

from __future__ import annotations

SECTION = ("sections/ipv6.html.j2", "IPv6 支持情况")


def report_parts(sites) -> tuple[list[tuple[str, str]], list[str]]:
    """The report section and banners for ``sites`` (SiteSummary with ``stats``): the IPv6
    section when the run has IPv6 data, and a banner when the self-check failed."""
    measured = [s for s in sites if isinstance(getattr(s, "stats", None), dict) and s.stats.get("ipv6")]
    if not measured:
        return [], []
    banners = []
    failed = next((s.stats["ipv6"] for s in measured if not s.stats["ipv6"].get("selfcheck_ok")), None)
    if failed is not None:
        banners.append("IPv6 检测结果不确定：本机 IPv6 自检未通过（" + (failed.get("selfcheck_reason") or "原因未知")
                       + "）。各网站的 IPv6 可访问性、一致性与二级/三级链接支持率未作判定"
                       "（ipv6.unreachable、ipv6.inconsistent、ipv6.link-rate），请在具备 IPv6 的网络环境中复查。")
    return [SECTION], banners


def attach_report(data) -> None:
    """Add the IPv6 section and the self-check banner to a :class:`reports.data.ReportData`."""
    sections, banners = report_parts(data.sites)
    data.sections.extend(x for x in sections if x not in data.sections)
    data.banners.extend(x for x in banners if x not in data.banners)
