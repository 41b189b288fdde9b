"""Scrapy settings of the portal-audit gatherer.

The module-level names are the defaults (``scrapy.cfg`` points here);
:func:`from_config` maps a run's configuration (duck-typed: ``crawl``, ``dns``, ``sites``)
onto them for one run.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.settings import default_settings as _scrapy_defaults

from core import __version__
from crawler.fetch_policy import RETRY_STATUSES

BOT_NAME = "portal-audit"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

USER_AGENT = f"Mozilla/5.0 (compatible; portal-audit/{__version__}; 政府网站信息公开检查)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 15
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = list(RETRY_STATUSES)
REDIRECT_ENABLED = False          # the spider follows redirects itself, hop by hop
METAREFRESH_ENABLED = False
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
HTTPERROR_ALLOW_ALL = True
LOG_LEVEL = "WARNING"
LOGSTATS_INTERVAL = 0
DNS_TIMEOUT = 10
# the address policy checks the address the download then connects to: both come from this
# cache (a name rebinding between the check and the connection cannot pass; crawler/addresses.py)
DNSCACHE_ENABLED = True
DNSCACHE_SIZE = 10000
# Scrapy 2.19 renamed DNS_RESOLVER to TWISTED_DNS_RESOLVER; set the one this Scrapy reads.
_RESOLVER_SETTING = "TWISTED_DNS_RESOLVER" if hasattr(_scrapy_defaults, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"
globals()[_RESOLVER_SETTING] = "crawler.resolver.PortalResolver"
LOG_INSTALL_ROOT_HANDLER = False
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"   # breadth-first with the spider's -depth priority
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# Scrapy hands each response's output (its item, its requests) to CONCURRENT_ITEMS asyncio tasks
# created for that response (default 100, a fifth of an unchanged run's samples): the store
# pipeline is synchronous, one task does the same work.
CONCURRENT_ITEMS = 1

WARN_ON_GENERATOR_RETURN_VALUE = False   # Scrapy would re-parse the callbacks' source per response

# The spider tracks depth, URL length and scope itself.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "crawler.lastmod.SitemapGate": 600,   # holds a site's pages until its sitemaps are read
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.AddressPolicyMiddleware": 50,
    "crawler.middlewares.PoliteRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtKeeper": 100,    # Scrapy's, keeping the robots.txt text for the spider
    "crawler.lastmod.LastmodCarry": 120,           # a page its sitemap lastmod spares: answered here
    "crawler.requestlog.RequestLog": 950,          # next to the downloader: sees every request sent
}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.extensions.Progress": 500,
}

PORTAL_AUDIT_BATCH = 500
PORTAL_AUDIT_FLUSH_INTERVAL = 2.0
PORTAL_AUDIT_PROGRESS_INTERVAL = 2.0


def from_config(cfg, *, run_id: int, store_path: str, progress: bool = True, progress_file: str | None = None,
                previous: dict | None = None, queue_dir: str | None = None) -> dict:
    """Scrapy settings for one run of ``cfg`` (``progress_file``: see :mod:`crawler.extensions`;
    ``previous``: see :mod:`crawler.previous`; ``queue_dir``: a fresh directory the pending
    requests are kept in, Scrapy's disk queues, instead of memory)."""
    crawl = cfg.crawl
    settings = {name: value for name, value in globals().items() if name.isupper() and not name.startswith("_")}
    settings.update(
        USER_AGENT=crawl.user_agent,
        ROBOTSTXT_OBEY=crawl.respect_robots or any(s.respect_robots for s in cfg.sites),
        CONCURRENT_REQUESTS=crawl.concurrency,
        CONCURRENT_REQUESTS_PER_DOMAIN=crawl.per_host_concurrency,
        # crawl.per_host_rate: Scrapy's per-host slot starts one request per delay, never sooner
        DOWNLOAD_DELAY=max(crawl.download_delay, 1.0 / crawl.per_host_rate if crawl.per_host_rate > 0 else 0.0),
        DOWNLOAD_DELAY_JITTER=0,   # never sooner than the delay (Scrapy 2.19; was RANDOMIZE_DOWNLOAD_DELAY)
        AUTOTHROTTLE_ENABLED=crawl.autothrottle,
        AUTOTHROTTLE_TARGET_CONCURRENCY=float(crawl.per_host_concurrency),
        DOWNLOAD_TIMEOUT=crawl.timeout,
        DOWNLOAD_MAXSIZE=crawl.max_page_size,
        RETRY_TIMES=crawl.retries,
        PORTAL_AUDIT_RETRY_BACKOFF=crawl.retry_backoff,
        PORTAL_AUDIT_MAX_RETRY_AFTER=crawl.max_retry_after,
        PORTAL_AUDIT_STORE=store_path,
        PORTAL_AUDIT_RUN_ID=run_id,
        PORTAL_AUDIT_DNS={"nameservers": list(cfg.dns.nameservers), "port": cfg.dns.port,
                          "timeout": cfg.dns.timeout, "retries": cfg.dns.retries},
        DNS_TIMEOUT=max(cfg.dns.timeout * (cfg.dns.retries + 1), 1.0),
        PORTAL_AUDIT_SITE_HOSTS=sorted({urlsplit(u).hostname for s in cfg.sites
                                        for u in [s.url, s.disclosure, *s.columns.values()] if u}
                                       | {h for s in cfg.sites for h in s.allowed_domains}),
        PORTAL_AUDIT_ALLOWED_NETWORKS=list(crawl.allowed_networks),
    )
    if progress_file:
        settings["PORTAL_AUDIT_PROGRESS_FILE"] = progress_file
    if previous:
        settings["PORTAL_AUDIT_PREVIOUS"] = previous
    if queue_dir:
        # a portal's sitemap or list pages queue tens of thousands of requests at once, ~3 KB
        # each in memory (100,000 pages: 60,000 pending, 317 MB; on disk 148 MB)
        settings["JOBDIR"] = queue_dir
    if not progress:
        settings["EXTENSIONS"] = {**EXTENSIONS, "crawler.extensions.Progress": None}
    return settings
