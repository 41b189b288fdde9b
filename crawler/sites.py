"""What the spiders are told, in plain values: the sites to crawl and the crawl's limits.

The runner builds these from its configuration (:meth:`SiteSpec.of` and
:meth:`CrawlLimits.of` copy the same-named attributes of any object), so the crawler never
depends on the application's config types.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit


def _copy(cls, source: Any):
    return cls(**{f.name: getattr(source, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class SiteSpec:
    name: str
    url: str
    disclosure: str | None = None
    columns: dict[str, str] = field(default_factory=dict)     # kind → column URL
    max_pages: int | None = None                               # None: the crawl's
    max_depth: int | None = None
    allowed_domains: tuple[str, ...] = ()
    respect_robots: bool | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @classmethod
    def of(cls, source: Any) -> "SiteSpec":
        return _copy(cls, source)


@dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 5000
    max_depth: int = 8
    respect_robots: bool = True
    max_redirects: int = 10
    check_external: bool = True
    max_page_size: int = 10 * 1024**2
    read_sitemaps: bool = True
    max_links_per_page: int = 10_000       # links of one page followed; the rest counted
    parse_time_limit: float = 20.0         # seconds (wall and CPU) to read one attachment
    parse_memory_limit: int = 512 * 1024**2

    @classmethod
    def of(cls, source: Any) -> "CrawlLimits":
        return _copy(cls, source)
