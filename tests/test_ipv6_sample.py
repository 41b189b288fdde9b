"""The sample portal itself served on 127.0.0.1 and ::1 under DNS names from a real
dnsmasq: the healthy name passes the IPv6 audit untouched, the name whose IPv6 listener
fails is reported — and the IPv4 audit of both is the same as ever."""

from __future__ import annotations

import pytest

from portal_audit.sample import build_portal, serve
from tests.conftest import LOOPBACK_NETWORKS, read_findings, run_cli, unlabeled_evidence
from tests.dnsmasq import Dnsmasq

OK, FAIL = "www.ly-sample.test", "www.ly-v6fail.test"


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ipv6-sample")
    dns = Dnsmasq([f"--host-record={OK},127.0.0.1,::1", f"--host-record={FAIL},127.0.0.1,::1"],
                  tmp / "dnsmasq.log")
    srv = serve(build_portal(kind="full"), ipv6=True, ipv6_fail_hosts=(FAIL,), aliases={OK: "main", FAIL: "main"})
    cfg = tmp / "c.yaml"
    cfg.write_text("\n".join([
        "audit_date: 2024-06-30",
        f"store: {{path: '{tmp / 'a.db'}'}}",
        f"crawl: {{timeout: 4, retries: 1, retry_backoff: 0.2, max_page_size: 1MB, {LOOPBACK_NETWORKS}, per_host_rate: 0}}",
        f"dns: {{nameservers: [127.0.0.1], port: {dns.port}, timeout: 0.5, retries: 1}}",
        "ipv6: {allow_nonglobal: true, probe_timeout: 5, probe_retries: 1}",
        "sites:",
        f"  - {{name: 样例门户, url: 'http://{OK}:{srv.port}/'}}",
        f"  - {{name: 故障门户, url: 'http://{FAIL}:{srv.port}/'}}",
    ]) + "\n", encoding="utf-8")
    try:
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress",
                         "--only", "ipv6,link.broken,link.hidden")
    finally:
        srv.stop()
        dns.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    return {"findings": read_findings(tmp / "out"), "port": srv.port}


def test_only_the_failing_name_has_ipv6_findings(audited):
    home = f"http://{FAIL}:{audited['port']}/"
    got = sorted((f["site"], f["check"], f["url"]) for f in audited["findings"] if f["check"].startswith("ipv6."))
    assert got == [("故障门户", "ipv6.link-rate", home), ("故障门户", "ipv6.link-rate", home),
                   ("故障门户", "ipv6.unreachable", home)]
    levels = sorted(f["evidence"].get("level") for f in audited["findings"] if f["check"] == "ipv6.link-rate")
    assert len(set(map(str, levels))) == 2


def test_ipv4_findings_are_the_same_for_both_names(audited):
    def paths(site):
        return sorted((f["check"], f["url"].split(str(audited["port"]), 1)[-1])
                      for f in audited["findings"] if f["site"] == site and not f["check"].startswith("ipv6."))

    assert paths("样例门户") == paths("故障门户")
    assert any(check == "link.hidden" for check, _ in paths("样例门户"))


def test_every_evidence_fact_has_a_chinese_label(audited):
    """The report shows each fact of a finding's evidence under a Chinese label (reports/evidence.py)."""
    assert audited["findings"] and not unlabeled_evidence(audited["findings"])
