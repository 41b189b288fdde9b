"""Loading and validating config.yaml.

The config is a tree of frozen dataclasses. Every key is checked: an unknown
key, a wrong type or a missing required value raises :class:`ConfigError`
naming the file, the key path and what is wrong (the CLI exits with 2).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from checks.registry import checks_section_problems
from core.text import duration
from core.vocabulary import COLUMN_KINDS
from crawler.sites import SiteSpec
from store.db import url_problem as store_url_problem

class ConfigError(Exception):
    def __init__(self, file: str, key: str, problem: str):
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


def _size(value: Any) -> int:
    """'10MB', '512KB', 1048576 → bytes."""
    if isinstance(value, bool):
        raise ValueError("应为字节数或 '10MB' 这样的大小")
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*", str(value), re.I)
    if not m:
        raise ValueError(f"无法识别的大小 {value!r}（示例：10MB、512KB、1048576）")
    return int(float(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()])


@dataclass(frozen=True)
class CrawlConfig:
    processes: int | None = None        # crawl processes (sites split between them); None: one per core
    concurrency: int = 16
    per_host_concurrency: int = 4
    download_delay: float = 0.0
    per_host_rate: float = 2.0          # requests per second per host (0: no limit), each process
    autothrottle: bool = False
    timeout: float = 15.0
    retries: int = 2
    retry_backoff: float = 0.5
    max_retry_after: float = 30.0
    user_agent: str = "Mozilla/5.0 (compatible; portal-audit/0.1; 政府网站信息公开检查)"
    max_page_size: int = field(default=10 * 1024**2, metadata={"parse": _size})
    respect_robots: bool = True
    max_pages: int = 5000
    max_depth: int = 8
    max_redirects: int = 10
    check_external: bool = True
    read_sitemaps: bool = True
    incremental: bool = True            # conditional requests and cached checks from the previous run
    recheck_after: float = 7.0          # days a successful external/attachment check is taken over
    max_links_per_page: int = 10_000    # links of one page followed at most; the rest are counted and reported
    allowed_networks: tuple[str, ...] = ()   # private/loopback networks besides the sites' own addresses
    parse_time_limit: float = 20.0      # seconds (wall and CPU) to read one attachment or ledger
    parse_memory_limit: int = field(default=512 * 1024**2, metadata={"parse": _size})   # per file


@dataclass(frozen=True)
class DnsConfig:
    nameservers: tuple[str, ...] = ()
    port: int = 53
    timeout: float = 3.0
    retries: int = 2


@dataclass(frozen=True)
class Ipv6Config:
    enabled: bool = True
    allow_nonglobal: bool = False
    probe_timeout: float = 5.0
    probe_retries: int = 1
    target_level2: float = 85.0
    target_level3: float = 85.0
    concurrency: int = 8                # IPv6 probes in flight overall (per host: crawl.per_host_concurrency)
    max_links: int = 1000               # 二级/三级 links probed per site and level; beyond it, an even sample


@dataclass(frozen=True)
class WatchConfig:
    """``portal-audit watch``: probes of every site's home page (see portal_audit/watch.py)."""

    interval: float = field(default=1800.0, metadata={"parse": duration})   # 30 min = 48 probes a day
    timeout: float = field(default=15.0, metadata={"parse": duration})      # not loaded within → failed
    retries: int = 1                    # quick connection failures retried within the time limit
    ipv6: bool = True                   # also probe over IPv6 where the host has AAAA
    reference_urls: tuple[str, ...] = ()   # probed each round: all failing → the round is inconclusive
    concurrency: int = 8


@dataclass(frozen=True)
class InspectionConfig:
    """Overrides of the verdict thresholds shipped in checks/data/inspection.yaml
    (provinces tighten them), e.g. ``{veto: {blank-columns: {threshold: 3}}}``."""

    thresholds: dict[str, Any] = field(default_factory=dict)
    file: str | None = None             # a whole thresholds file instead of the shipped one


@dataclass(frozen=True)
class StoreConfig:
    """Where the store is: a SQLite file (``path``, the default) or a PostgreSQL database
    (``url: postgresql://USER@HOST:PORT/DB``)."""

    path: str = ".portal-audit/audit.db"
    url: str | None = None

    @property
    def location(self) -> str:
        """What :class:`store.Store` opens: the URL when one is given, else the file."""
        return self.url or self.path


@dataclass(frozen=True)
class ScrapydConfig:
    """``run --scrapyd``: the crawl spread over Scrapyd nodes (see portal_audit/scrapyd.py)."""

    nodes: tuple[str, ...] = ()         # http://HOST:6800 each; empty: crawl here
    max_proc: int = 4                   # jobs of this run on one node at once (the nodes' own max_proc)
    poll_interval: float = field(default=2.0, metadata={"parse": duration})
    timeout: float = field(default=10.0, metadata={"parse": duration})   # one API call


@dataclass(frozen=True)
class ChecksConfig:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteConfig(SiteSpec):
    """A configured site: what the crawler needs (:class:`crawler.sites.SiteSpec`) plus how the
    inspections name it."""

    code: str | None = None             # 网站标识码 (10 digits), as the 抽查 通报 name the site
    unit: str | None = None             # 主办单位


@dataclass(frozen=True)
class Config:
    sites: tuple[SiteConfig, ...]
    crawl: CrawlConfig = CrawlConfig()
    dns: DnsConfig = DnsConfig()
    ipv6: Ipv6Config = Ipv6Config()
    store: StoreConfig = StoreConfig()
    checks: ChecksConfig = ChecksConfig()
    watch: WatchConfig = WatchConfig()
    inspection: InspectionConfig = InspectionConfig()
    scrapyd: ScrapydConfig = ScrapydConfig()
    audit_date: date | None = None
    source: str = field(default="<config>", metadata={"internal": True})
    raw: dict[str, Any] = field(default_factory=dict, metadata={"internal": True})

    def site(self, name: str) -> SiteConfig:
        for s in self.sites:
            if s.name == name:
                return s
        raise KeyError(name)

    def for_sites(self, names: list[str]) -> "Config":
        unknown = [n for n in names if n not in {s.name for s in self.sites}]
        if unknown:
            raise ConfigError(self.source, "sites", f"没有名为 {'、'.join(unknown)} 的站点")
        return dataclasses.replace(self, sites=tuple(s for s in self.sites if s.name in names))


MAX_CONFIG_BYTES = 1024 * 1024   # a config file larger than this is refused unread
MAX_YAML_ALIASES = 100           # YAML aliases (*name) per file: a billion-laughs document has thousands
MAX_YAML_NODES = 200_000         # values in the expanded document

# (section, key) → (minimum, maximum) of a number; a float must also be finite
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("crawl", "concurrency"): (1, 1000), ("crawl", "per_host_concurrency"): (1, 100),
    ("crawl", "download_delay"): (0, 3600), ("crawl", "timeout"): (0.1, 3600), ("crawl", "retries"): (0, 20),
    ("crawl", "retry_backoff"): (0, 600), ("crawl", "max_retry_after"): (0, 86400),
    ("crawl", "max_page_size"): (1024, 2**40), ("crawl", "max_pages"): (1, 10_000_000),
    ("crawl", "max_depth"): (0, 1000), ("crawl", "max_redirects"): (1, 100),
    ("crawl", "max_links_per_page"): (1, 10_000_000), ("crawl", "parse_time_limit"): (0.5, 3600),
    ("crawl", "parse_memory_limit"): (64 * 1024**2, 2**40), ("crawl", "per_host_rate"): (0, 1000),
    ("crawl", "recheck_after"): (0, 3650),
    ("watch", "interval"): (0.01, 7 * 86400), ("watch", "timeout"): (0.1, 3600), ("watch", "retries"): (0, 20),
    ("watch", "concurrency"): (1, 1000),
    ("dns", "port"): (1, 65535), ("dns", "timeout"): (0.1, 600), ("dns", "retries"): (0, 20),
    ("ipv6", "probe_timeout"): (0.1, 600), ("ipv6", "probe_retries"): (0, 20),
    ("ipv6", "target_level2"): (0, 100), ("ipv6", "target_level3"): (0, 100),
    ("ipv6", "concurrency"): (1, 1000), ("ipv6", "max_links"): (1, 10_000_000),
    ("scrapyd", "max_proc"): (1, 1000), ("scrapyd", "poll_interval"): (0.05, 600), ("scrapyd", "timeout"): (0.1, 600),
    ("sites", "max_pages"): (1, 10_000_000), ("sites", "max_depth"): (0, 1000),
}


def load_config(path: str | Path) -> Config:
    path = Path(path)
    name = str(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(name, "", f"配置文件超过 {MAX_CONFIG_BYTES // 1024} KB，拒绝读取")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, "", "配置文件不存在") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, "", f"无法读取配置文件：{exc}") from None
    return parse_config(text, name)


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader counting aliases: past :data:`MAX_YAML_ALIASES` the document is refused
    before it is expanded (billion laughs)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise _TooBig(f"YAML 别名（*引用）超过 {MAX_YAML_ALIASES} 个，拒绝展开")
        return super().compose_node(parent, index)


class _TooBig(Exception):
    pass


def load_yaml(text: str, name: str) -> Any:
    """The YAML document in ``text``, within the size, alias and node limits (ConfigError otherwise)."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(name, "", f"配置内容超过 {MAX_CONFIG_BYTES // 1024} KB，拒绝读取")
    loader = _LimitedLoader(text)
    try:
        data = loader.get_single_data()
        _count_nodes(data)
    except _TooBig as exc:
        raise ConfigError(name, "", str(exc)) from None
    finally:
        loader.dispose()
    return data


def _count_nodes(data: Any) -> None:
    """Walk the expanded document (shared aliases counted each time), stopping at the limit."""
    seen, stack = 0, [data]
    while stack:
        value = stack.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise _TooBig(f"配置展开后超过 {MAX_YAML_NODES} 个值，拒绝读取")
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def parse_config(text: str, name: str = "<config>") -> Config:
    try:
        data = load_yaml(text, name)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise ConfigError(name, "", f"YAML 格式错误 {where}：{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(name, "", "配置文件的顶层应为映射（key: value）")
    cfg = _build(Config, data, name, "")
    if not cfg.sites:
        raise ConfigError(name, "sites", "至少需要配置一个站点")
    seen = set()
    for i, site in enumerate(cfg.sites):
        if site.name in seen:
            raise ConfigError(name, f"sites[{i}].name", f"站点名称重复：{site.name}")
        seen.add(site.name)
        if site.code is not None and not re.fullmatch(r"\d{10}", site.code):
            raise ConfigError(name, f"sites[{i}].code", f"网站标识码应为10位数字，实际为 {site.code!r}")
        for key, url in [("url", site.url), ("disclosure", site.disclosure), *[
                (f"columns.{k}", v) for k, v in site.columns.items()]]:
            if url is not None:
                _check_url(url, name, f"sites[{i}].{key}")
        for kind in site.columns:
            if kind not in COLUMN_KINDS:
                raise ConfigError(name, f"sites[{i}].columns.{kind}",
                                  f"未知的栏目类型，可选：{', '.join(COLUMN_KINDS)}")
    for i, url in enumerate(cfg.watch.reference_urls):
        _check_url(url, name, f"watch.reference_urls[{i}]")
    for i, url in enumerate(cfg.scrapyd.nodes):
        _check_url(url, name, f"scrapyd.nodes[{i}]")
    if cfg.scrapyd.nodes and needs_shared_store(cfg):
        raise ConfigError(name, "scrapyd.nodes", needs_shared_store(cfg))
    _check_store(data.get("store"), cfg.store, name)
    check_ranges(cfg, name)
    for code, level in cfg.checks.severity.items():
        if level not in ("error", "warning", "info"):
            raise ConfigError(name, f"checks.severity.{code}", "级别应为 error、warning 或 info")
    for key, problem in checks_section_problems(cfg.checks):
        raise ConfigError(name, key, problem)
    return dataclasses.replace(cfg, source=name, raw=data)


def _check_url(url: str, name: str, key: str) -> None:
    problem = url_problem(url)
    if problem:
        raise ConfigError(name, key, problem)


def url_problem(url: str) -> str | None:
    """What is wrong with an http(s) URL of the config (zh-CN), None when nothing."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"不是有效的网址：{url!r}（{_port_problem(exc)}）"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"不是有效的 http(s) 网址：{url!r}"
    if port == 0:
        return f"端口应在 1 到 65535 之间：{url!r}"
    return None


def needs_shared_store(cfg: Config) -> str | None:
    """Why ``cfg``'s store cannot take a crawl on Scrapyd nodes (zh-CN), None when it can."""
    if cfg.store.url:
        return None
    return (f"在 Scrapyd 节点上采集需要 PostgreSQL 存储（store: {{url: postgresql://USER@HOST:PORT/DB}}）："
            f"各节点写入同一个数据库，无法写入本机的 SQLite 文件 {cfg.store.path}")


def _check_store(data: Any, store: StoreConfig, name: str) -> None:
    if store.url is None:
        return
    if isinstance(data, dict) and data.get("path") is not None:
        raise ConfigError(name, "store", "store.path 与 store.url 只能给出一个（SQLite 文件或 PostgreSQL 数据库）")
    problem = store_url_problem(store.url)
    if problem:
        raise ConfigError(name, "store.url", problem)


def _port_problem(exc: ValueError) -> str:
    return "端口应在 1 到 65535 之间" if "port" in str(exc).lower() else str(exc)


def check_ranges(cfg: Config, name: str) -> None:
    """Numbers within :data:`RANGES` (finite floats), nameservers and networks that parse,
    for every section but ``checks`` (validated against the check registry)."""
    sections = [("crawl", cfg.crawl, "crawl"), ("dns", cfg.dns, "dns"), ("ipv6", cfg.ipv6, "ipv6"),
                ("watch", cfg.watch, "watch"), ("scrapyd", cfg.scrapyd, "scrapyd")]
    sections += [("sites", site, f"sites[{i}]") for i, site in enumerate(cfg.sites)]
    for section, obj, prefix in sections:
        for f in dataclasses.fields(obj):
            bounds = RANGES.get((section, f.name))
            value = getattr(obj, f.name)
            if bounds is None or value is None:
                continue
            low, high = bounds
            key = f"{prefix}.{f.name}"
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(name, key, f"应为有限的数字，实际为 {value!r}")
            if not low <= value <= high:
                raise ConfigError(name, key, f"应在 {_num(low)} 到 {_num(high)} 之间，实际为 {value!r}")
    for i, server in enumerate(cfg.dns.nameservers):
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise ConfigError(name, f"dns.nameservers[{i}]", f"应为 IP 地址，实际为 {server!r}") from None
    for i, net in enumerate(cfg.crawl.allowed_networks):
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ConfigError(name, f"crawl.allowed_networks[{i}]",
                              f"应为网段（如 10.0.0.0/8、fd00::/8），实际为 {net!r}") from None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _build(cls: type, data: Any, name: str, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(name, prefix or "(顶层)", "应为映射（key: value）")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in fields:
            raise ConfigError(name, _join(prefix, key),
                              f"未知的配置项（可用：{', '.join(fields)}）")
    values = {}
    for fname, f in fields.items():
        key = _join(prefix, fname)
        if fname not in data or data[fname] is None and f.default is not dataclasses.MISSING:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(name, key, "缺少必填项")
            continue
        values[fname] = _coerce(hints[fname], data[fname], f, name, key)
    return cls(**values)


def _coerce(hint: Any, value: Any, f: dataclasses.Field | None, name: str, key: str) -> Any:
    if f is not None and "parse" in f.metadata:
        try:
            return f.metadata["parse"](value)
        except ValueError as exc:
            raise ConfigError(name, key, str(exc)) from None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        if value is None:
            return None
        return _coerce(inner[0], value, None, name, key)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, name, key)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(name, key, "应为列表")
        if dataclasses.is_dataclass(args[0]):
            return tuple(_build(args[0], v, name, f"{key}[{i}]") for i, v in enumerate(value))
        return tuple(_coerce(args[0], v, None, name, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(name, key, "应为映射（key: value）")
        return {str(k): _coerce(args[1], v, None, name, f"{key}.{k}") for k, v in value.items()}
    if hint is Any:
        return value
    if hint is date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(name, key, f"应为日期 YYYY-MM-DD，实际为 {value!r}") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(name, key, f"应为 true 或 false，实际为 {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(name, key, f"应为整数，实际为 {value!r}")
        if value < 0:
            raise ConfigError(name, key, "不能为负数")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(name, key, f"应为数字，实际为 {value!r}")
        if value < 0:
            raise ConfigError(name, key, "不能为负数")
        return float(value)
    if hint is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(name, key, f"应为字符串，实际为 {value!r}")
        return str(value)
    return value


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else str(key)
