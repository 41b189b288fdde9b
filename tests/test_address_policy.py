"""The address policy (issue 13): link and redirect targets on intranet addresses are not
fetched unless they are the sites' own addresses or in crawl.allowed_networks; checked
after resolution and on every redirect hop (decimal-encoded IPs and [::1] included), by
every gatherer (the crawl, the IPv6 stage, the watch), and proof against DNS rebinding."""

from __future__ import annotations

import socket
import sqlite3

import pytest

from crawler.addresses import AddressPolicy, literal_address
from tests.conftest import read_findings, run_cli, write_config
from tests.dnsmasq import RebindingUpstream
from tests.hostile import HostileServer, page


def test_policy_reads_every_address_form():
    policy = AddressPolicy(networks=["10.1.0.0/16"], allowed=["127.0.0.1"])
    assert str(literal_address("2130706437")) == "127.0.0.5"
    assert str(literal_address("0x7f000001")) == "127.0.0.1"
    assert str(literal_address("[::ffff:127.0.0.9]")) == "127.0.0.9"
    assert policy.refusal("127.0.0.1") is None and policy.refusal("10.1.2.3") is None
    assert policy.refusal("8.8.8.8") is None
    for refused in ("127.0.0.5", "2130706437", "::1", "169.254.169.254", "192.168.1.1", "10.2.0.1",
                    "fe80::1", "fd00::1", "224.0.0.1", "0.0.0.0", "100.64.0.1"):
        assert policy.refusal(refused).startswith("内网地址"), refused


@pytest.fixture
def intranet():
    """What a hostile page points at: a 'secret' server on 127.0.0.5 and on [::1]."""
    servers = [HostileServer({"/secret": page("内部数据")}, host="127.0.0.5")]
    if socket.has_ipv6:
        servers.append(HostileServer({"/secret": page("内部数据")}, host="::1"))
    yield servers
    for s in servers:
        s.stop()


def test_redirects_and_links_to_intranet_addresses_are_not_followed(tmp_path, intranet):
    secret = intranet[0]
    targets = {"/go": f"http://127.0.0.5:{secret.port}/secret",
               "/dec": f"http://2130706437:{secret.port}/secret"}
    if len(intranet) > 1:
        targets["/v6"] = f"http://[::1]:{intranet[1].port}/secret"
    routes = {path: (302, {"Location": loc}, b"") for path, loc in targets.items()}
    links = "".join(f"<a href='{p}'>跳转{i}</a>" for i, p in enumerate(targets))
    routes["/"] = page(links + f"<a href='http://127.0.0.5:{secret.port}/secret'>直接链接</a>")
    portal = HostileServer(routes)
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", portal.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}", allow_loopback=False)
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress",
                         "--only", "link")
        assert result.returncode == 0, result.stderr
        assert sum(s.hits["/secret"] for s in intranet) == 0
        assert all(portal.hits[p] == 1 for p in targets)       # the site's own address is allowed
        findings = read_findings(tmp_path / "out")
        assert not [f for f in findings if f["check"] == "link.broken"]
        inconclusive = [f for f in findings if f["check"] == "link.inconclusive"]
        assert len(inconclusive) == len(targets) + 1
        assert all("内网地址" in f["message"] for f in inconclusive)
        db = sqlite3.connect(tmp_path / "a.db")
        assert {r[0] for r in db.execute("SELECT outcome FROM fetches WHERE url LIKE '%/secret'"
                                          " OR url LIKE '%/go' OR url LIKE '%/dec' OR url LIKE '%/v6'")} == {"excluded"}

        # a network listed in crawl.allowed_networks is fetched
        allowed = cfg.read_text(encoding="utf-8").replace("concurrency: 16", "concurrency: 16, allowed_networks: [127.0.0.5/32]")
        cfg.write_text(allowed, encoding="utf-8")
        again = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out2"), "--no-progress", "--only", "link")
        assert again.returncode == 0, again.stderr
        assert secret.hits["/secret"] >= 1
    finally:
        portal.stop()


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_the_ipv6_stage_applies_the_policy(tmp_path, intranet):
    """The IPv6 stage's own fetches follow redirects under the same policy: the home page
    answers differently over IPv6, so the stage fetches it again over IPv4 to compare, and
    that answer now redirects to 127.0.0.5 — which is not followed."""
    secret = intranet[0]
    answers = {"n": 0}

    def home(_handler):
        answers["n"] += 1
        if answers["n"] == 1:                                  # the crawl's fetch
            return page("<title>甲站</title><p>首页</p>")
        return 302, {"Location": f"http://127.0.0.5:{secret.port}/secret"}, b""

    for _ in range(20):
        v4 = HostileServer({"/": home})
        try:
            v6 = HostileServer({"/": page("<title>乙站</title><p>另一个首页</p>")}, host="::1", port=v4.port)
            break
        except OSError:
            v4.stop()
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", f"http://pa.localhost:{v4.port}/")],
                           store=tmp_path / "a.db", extra="ipv6: {allow_nonglobal: true}", allow_loopback=False)
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only", "ipv6")
        assert result.returncode == 0, result.stderr
        assert v6.hits["/"] >= 1 and answers["n"] >= 2       # probed over IPv6, then again over IPv4
        assert secret.hits["/secret"] == 0
    finally:
        v4.stop()
        v6.stop()


def test_dns_rebinding_and_public_names_of_intranet_addresses_are_caught(tmp_path):
    """The address checked is the address connected to: a name answering the site's own
    address when checked and 127.0.0.5 right after (TTL 0) is fetched at the first one,
    resolved once; a name that resolves to an intranet address is not fetched."""
    for _ in range(20):
        secret = HostileServer({"/secret": page("内部数据")}, host="127.0.0.5")
        try:
            public = HostileServer({"/secret": page("公开页面")}, port=secret.port)   # the site's own address
            break
        except OSError:
            secret.stop()
    dns = RebindingUpstream({"rebind.test": ["127.0.0.1", "127.0.0.5"], "intra.test": ["127.0.0.5"]})
    portal = HostileServer({"/": page(f"<a href='http://rebind.test:{secret.port}/secret'>换绑</a>"
                                      f"<a href='http://intra.test:{secret.port}/secret'>内网</a>")})
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", portal.url("/"))], store=tmp_path / "a.db",
                           extra=f"dns: {{nameservers: [127.0.0.1], port: {dns.port}, timeout: 1, retries: 0}}\n"
                                 "ipv6: {enabled: false}", allow_loopback=False)
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only", "link")
        assert result.returncode == 0, result.stderr
        assert secret.hits["/secret"] == 0
        assert public.hits["/secret"] >= 1 and dns.queries["rebind.test."] == 1
        inconclusive = [f for f in read_findings(tmp_path / "out") if f["check"] == "link.inconclusive"]
        assert [f["url"] for f in inconclusive] == [f"http://intra.test:{secret.port}/secret"]
        assert "内网地址" in inconclusive[0]["message"] and "127.0.0.5" in inconclusive[0]["message"]
    finally:
        for srv in (secret, public, portal):
            srv.stop()
        dns.close()
