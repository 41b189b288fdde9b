"""Loading and validating config.yaml.

The config is a tree of frozen dataclasses. Every key is checked: an unknown
key, a wrong type or a missing required value raises :class:`ConfigError`
naming the file, the key path and what is wrong (the CLI exits with 2).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from core.vocabulary import COLUMN_KINDS

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
class StoreConfig:
    path: str = ".portal-audit/audit.db"


@dataclass(frozen=True)
class ChecksConfig:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteConfig:
    name: str
    url: str
    disclosure: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    max_pages: int | None = None
    max_depth: int | None = None
    allowed_domains: tuple[str, ...] = ()
    respect_robots: bool | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class Config:
    sites: tuple[SiteConfig, ...]
    crawl: CrawlConfig = CrawlConfig()
    dns: DnsConfig = DnsConfig()
    ipv6: Ipv6Config = Ipv6Config()
    store: StoreConfig = StoreConfig()
    checks: ChecksConfig = ChecksConfig()
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


def load_config(path: str | Path) -> Config:
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, "", "配置文件不存在") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, "", f"无法读取配置文件：{exc}") from None
    return parse_config(text, name)


def parse_config(text: str, name: str = "<config>") -> Config:
    try:
        data = yaml.safe_load(text)
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
        for key, url in [("url", site.url), ("disclosure", site.disclosure), *[
                (f"columns.{k}", v) for k, v in site.columns.items()]]:
            if url is not None:
                _check_url(url, name, f"sites[{i}].{key}")
        for kind in site.columns:
            if kind not in COLUMN_KINDS:
                raise ConfigError(name, f"sites[{i}].columns.{kind}",
                                  f"未知的栏目类型，可选：{', '.join(COLUMN_KINDS)}")
    for code, level in cfg.checks.severity.items():
        if level not in ("error", "warning", "info"):
            raise ConfigError(name, f"checks.severity.{code}", "级别应为 error、warning 或 info")
    return dataclasses.replace(cfg, source=name, raw=data)


def _check_url(url: str, name: str, key: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, key, f"不是有效的 http(s) 网址：{url!r}")


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
