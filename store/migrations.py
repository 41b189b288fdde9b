"""Schema migrations: named functions applied in order and recorded in a table.

Add a migration by appending a function to :data:`MIGRATIONS`; never edit one
that has shipped. A migration is given the store (:class:`store.db.Store`) and
writes SQLite's column types (``INTEGER PRIMARY KEY`` for a row id, ``REAL``);
each backend's :meth:`~store.db.Store.ddl` maps them to its own, so the same
migrations build the SQLite and the PostgreSQL schema.
"""

from __future__ import annotations

import secrets
from typing import Any


def _script(db: Any, sql: str) -> None:
    """Run ``;``-separated DDL statements inside the caller's transaction
    (``executescript`` would commit it)."""
    for statement in sql.split(";"):
        if statement.strip():
            db.ddl(statement)


def m001_initial(db: Any) -> None:
    _script(db, 
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL DEFAULT 'audit',
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            audit_date TEXT NOT NULL,
            config_json TEXT NOT NULL,
            options_json TEXT NOT NULL,
            versions_json TEXT NOT NULL,
            stats_json TEXT
        );
        CREATE TABLE run_sites (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            disclosure_url TEXT,
            status TEXT NOT NULL,
            pages INTEGER NOT NULL DEFAULT 0,
            links INTEGER NOT NULL DEFAULT 0,
            stats_json TEXT,
            PRIMARY KEY (run_id, site)
        );
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            final_url TEXT,
            status INTEGER,
            content_type TEXT,
            charset TEXT,
            title TEXT,
            heading TEXT,
            size INTEGER,
            depth INTEGER,
            column_kind TEXT,
            column_url TEXT,
            is_home INTEGER NOT NULL DEFAULT 0,
            is_list INTEGER NOT NULL DEFAULT 0,
            list_date TEXT,
            main_text TEXT,
            meta_json TEXT,
            fetched_at TEXT,
            UNIQUE (run_id, url)
        );
        CREATE INDEX pages_site ON pages (run_id, site);
        CREATE TABLE links (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            source_url TEXT NOT NULL,
            target_url TEXT NOT NULL,
            raw_href TEXT,
            anchor TEXT,
            tag TEXT,
            attr TEXT,
            line INTEGER,
            kind TEXT NOT NULL,
            hidden INTEGER NOT NULL DEFAULT 0,
            hidden_reason TEXT,
            list_date TEXT
        );
        CREATE INDEX links_target ON links (run_id, target_url);
        CREATE INDEX links_source ON links (run_id, source_url);
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            host TEXT,
            kind TEXT NOT NULL,
            depth INTEGER,
            method TEXT,
            status INTEGER,
            outcome TEXT NOT NULL,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 1,
            elapsed REAL,
            redirects_json TEXT,
            final_url TEXT,
            content_type TEXT,
            title TEXT,
            heading TEXT,
            size INTEGER,
            text_hash TEXT,
            notfound_text INTEGER NOT NULL DEFAULT 0,
            fetched_at TEXT,
            UNIQUE (run_id, url)
        );
        CREATE INDEX fetches_site ON fetches (run_id, site);
        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            check_code TEXT NOT NULL,
            severity TEXT NOT NULL,
            url TEXT,
            page TEXT,
            anchor TEXT,
            message TEXT NOT NULL,
            evidence_json TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            UNIQUE (run_id, fingerprint)
        );
        CREATE INDEX findings_fp ON findings (fingerprint);
        CREATE TABLE check_runs (
            run_id INTEGER NOT NULL,
            check_code TEXT NOT NULL,
            state TEXT NOT NULL,
            found INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            elapsed REAL,
            PRIMARY KEY (run_id, check_code)
        );
        """
    )


def m002_ipv6(db: Any) -> None:
    """IPv6 audit facts (crawler/ipv6/): the stage's self-check and settings per run,
    per-site summary, DNS answers (A, AAAA, NS with status and CNAME chain), and the IPv4
    (from the crawl) and IPv6 (probed) fetch of each page judged."""
    _script(db,
        """
        CREATE TABLE ipv6_runs (
            run_id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            elapsed REAL,
            selfcheck_ok INTEGER NOT NULL,
            resolver_ok INTEGER NOT NULL,
            selfcheck_json TEXT NOT NULL,
            settings_json TEXT NOT NULL
        );
        CREATE TABLE ipv6_sites (
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            host TEXT NOT NULL,
            home_url TEXT NOT NULL,
            zone TEXT,
            ns_status TEXT,
            stats_json TEXT NOT NULL,
            PRIMARY KEY (run_id, site)
        );
        CREATE TABLE dns_answers (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            host TEXT NOT NULL,
            role TEXT NOT NULL,
            qtype TEXT NOT NULL,
            status TEXT NOT NULL,
            answers_json TEXT NOT NULL,
            usable_json TEXT NOT NULL,
            cname_json TEXT NOT NULL,
            nameserver TEXT,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 1,
            elapsed REAL,
            resolved_at TEXT
        );
        CREATE INDEX dns_answers_host ON dns_answers (run_id, site, host);
        CREATE TABLE ip_probes (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            level INTEGER NOT NULL,
            url TEXT NOT NULL,
            host TEXT NOT NULL,
            source_url TEXT,
            family INTEGER NOT NULL,
            source TEXT NOT NULL,
            address TEXT,
            method TEXT,
            outcome TEXT NOT NULL,
            status INTEGER,
            final_url TEXT,
            title TEXT,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            elapsed REAL,
            redirects_json TEXT,
            probed_at TEXT
        );
        CREATE INDEX ip_probes_site ON ip_probes (run_id, site, level)
        """
    )


def m003_history(db: Any) -> None:
    """Finding history across runs (the rectification loop, issue 6).

    ``finding_history`` holds one row per fingerprint ever seen: its current status, when it
    was first and last seen, the latest location/message/evidence (so that pruning old runs
    never loses what a status needs), the unit's feedback and the last re-check.
    ``finding_status`` records the status of each finding as of each run (the trend, ``runs``
    and ``diff`` read it); ``feedback_log`` keeps every imported answer that changed
    something.
    """
    _script(db,
        """
        CREATE TABLE finding_history (
            fingerprint TEXT PRIMARY KEY,
            site TEXT NOT NULL,
            check_code TEXT NOT NULL,
            severity TEXT NOT NULL,
            url TEXT,
            page TEXT,
            anchor TEXT,
            message TEXT NOT NULL,
            evidence_json TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL,
            status_run INTEGER,
            status_at TEXT,
            first_seen_run INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen_run INTEGER NOT NULL,
            last_seen TEXT NOT NULL,
            times_seen INTEGER NOT NULL DEFAULT 1,
            fixed_run INTEGER,
            fixed_at TEXT,
            times_fixed INTEGER NOT NULL DEFAULT 0,
            times_reopened INTEGER NOT NULL DEFAULT 0,
            waived_by TEXT,
            waived_at TEXT,
            waived_reason TEXT,
            waived_prior TEXT,
            feedback_status TEXT,
            feedback_note TEXT,
            feedback_unit TEXT,
            feedback_deadline TEXT,
            feedback_at TEXT,
            feedback_source TEXT,
            awaiting_recheck INTEGER NOT NULL DEFAULT 0,
            recheck_result TEXT,
            recheck_note TEXT,
            recheck_run INTEGER,
            recheck_at TEXT
        );
        CREATE INDEX finding_history_site ON finding_history (site, status);
        CREATE TABLE finding_status (
            run_id INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            site TEXT NOT NULL,
            check_code TEXT NOT NULL,
            severity TEXT NOT NULL,
            status TEXT NOT NULL,
            seen INTEGER NOT NULL DEFAULT 0,
            note TEXT,
            PRIMARY KEY (run_id, fingerprint)
        );
        CREATE INDEX finding_status_fp ON finding_status (fingerprint);
        CREATE TABLE feedback_log (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            source TEXT,
            sheet TEXT,
            row_number INTEGER,
            feedback_status TEXT,
            note TEXT,
            unit TEXT,
            deadline TEXT,
            imported_by TEXT
        );
        CREATE INDEX feedback_log_fp ON feedback_log (fingerprint)
        """
    )


def m004_attachment_texts(db: Any) -> None:
    """The text read from same-site XLSX/DOCX/PDF attachments (crawler/documents.py), one row
    per attachment URL and run, for the privacy checks."""
    _script(db,
        """
        CREATE TABLE attachment_texts (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (run_id, url)
        )
        """
    )


def m005_requests(db: Any) -> None:
    """Every HTTP request of a run (crawler/requestlog.py; the IPv6 probes of portal_audit/ipv6.py),
    one row per request actually sent: pages, link checks, attachment reads, robots.txt, host
    probes, each retry and each redirect hop. ``pages.document_url`` names the PDF/DOCX whose
    text (read once, into ``attachment_texts``) is appended to an article's main text at the
    end of the crawl."""
    _script(db,
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT,
            url TEXT NOT NULL,
            host TEXT,
            method TEXT NOT NULL,
            purpose TEXT NOT NULL,
            retry INTEGER NOT NULL DEFAULT 0,
            status INTEGER,
            error TEXT,
            bytes INTEGER NOT NULL DEFAULT 0,
            elapsed REAL,
            requested_at TEXT NOT NULL
        );
        CREATE INDEX requests_run ON requests (run_id, purpose);
        ALTER TABLE pages ADD COLUMN document_url TEXT
        """
    )


def m006_fragments(db: Any) -> None:
    """Fragments: a link's fragment as the browser parses it (``links.fragment``) and the
    anchors (ids and ``<a name>``s) of every fetched HTML page (``fetches.anchors``, a JSON
    list), so ``link.anchor-missing`` needs no extra request."""
    _script(db,
        """
        ALTER TABLE links ADD COLUMN fragment TEXT;
        ALTER TABLE fetches ADD COLUMN anchors TEXT
        """
    )


def m007_incremental(db: Any) -> None:
    """Incremental runs (crawler/previous.py): each fetch's validators (``etag``,
    ``last_modified``), when its verdict was last verified by a request (``verified_at``),
    whether the page answered 304 (``not_modified``) or the verdict was taken from the previous
    run without a request (``cached``); a page carried from a previous run's facts
    (``carried_from``) and the base URL its links were resolved against (``base_url``)."""
    _script(db,
        """
        ALTER TABLE fetches ADD COLUMN etag TEXT;
        ALTER TABLE fetches ADD COLUMN last_modified TEXT;
        ALTER TABLE fetches ADD COLUMN verified_at TEXT;
        ALTER TABLE fetches ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE fetches ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE pages ADD COLUMN carried_from INTEGER;
        ALTER TABLE pages ADD COLUMN base_url TEXT
        """
    )


def m008_watch(db: Any) -> None:
    """The availability watch (portal_audit/watch.py): one row per probe round (its own
    network self-check: a round is ``inconclusive`` when this machine, not the sites, lost the
    network) and one row per probe of a site's home page over IPv4 or IPv6. Runs never own
    these rows: ``prune`` keeps them; times are ISO 8601 UTC text."""
    _script(db,
        """
        CREATE TABLE watch_rounds (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            reason TEXT,
            sites INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            elapsed REAL
        );
        CREATE INDEX watch_rounds_started ON watch_rounds (started_at);
        CREATE TABLE watch_probes (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            family INTEGER NOT NULL,
            address TEXT,
            probed_at TEXT NOT NULL,
            result TEXT NOT NULL,
            outcome TEXT NOT NULL,
            status INTEGER,
            final_url TEXT,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            elapsed REAL
        );
        CREATE INDEX watch_probes_site ON watch_probes (site, probed_at)
        """
    )


def m009_write_errors(db: Any) -> None:
    """Rows the crawl gathered but could not store (crawler/pipelines.py): one row per lost
    row, with the table, the site, the row's URL, why it failed and the row itself (as JSON,
    truncated). A site with write errors in a run proves no fix in that run."""
    _script(db,
        """
        CREATE TABLE write_errors (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            site TEXT,
            table_name TEXT NOT NULL,
            url TEXT,
            reason TEXT NOT NULL,
            row_json TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX write_errors_run ON write_errors (run_id, site)
        """
    )


def m010_parse_outcomes(db: Any) -> None:
    """How reading an attachment ended (crawler/sandbox.py): ``ok``, or ``parse_limit`` when
    the parser went over its time or memory limit (the text is then empty and ``error`` says
    which limit)."""
    _script(db,
        """
        ALTER TABLE attachment_texts ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
        ALTER TABLE attachment_texts ADD COLUMN error TEXT
        """
    )


def m011_run_site_order(db: Any) -> None:
    """The order the sites of a run were recorded in (``run_sites.seq``; the reports list them
    so), which SQLite kept as the rowid and PostgreSQL has no column for. Rows recorded
    before get their order among their run's sites by name."""
    _script(db,
        """
        ALTER TABLE run_sites ADD COLUMN seq INTEGER;
        UPDATE run_sites SET seq = (SELECT COUNT(*) FROM run_sites r WHERE r.run_id = run_sites.run_id
                                    AND r.site < run_sites.site)
        """
    )


def m012_unparsed(db: Any) -> None:
    """Why an in-scope page that answered was not parsed (``cap``, ``depth``, ``trap``,
    ``error``, ``non-HTML``; NULL for every other fetch): the per-column coverage."""
    _script(db, "ALTER TABLE fetches ADD COLUMN unparsed TEXT")


def m013_links_by_target(db: Any) -> None:
    """The links to a URL, by linking page (``checks.common.linked_from``, once per finding):
    with the target index alone SQLite grouped the run's every link by page instead, 50 ms a
    finding at 120,000 links."""
    _script(db,
        """
        DROP INDEX links_target;
        CREATE INDEX links_target ON links (run_id, target_url, source_url)
        """
    )


def m014_column_types(db: Any) -> None:
    """A PostgreSQL store made before its integers were 64-bit and its text ordered by bytes
    (:func:`store.pg.ddl`) gets those types: an attachment's size past 2 GB fits, and text
    sorts as in SQLite whatever the database's collation. SQLite's types are unchanged."""
    db.retype_columns()


def m015_site_attempts(db: Any) -> None:
    """The crawl attempt of each site of a run whose writes the store accepts (``run --scrapyd``:
    a site scheduled again on another node supersedes its first job, whose late writes are
    refused; see :meth:`store.db.Store.fence`)."""
    _script(db,
        """
        CREATE TABLE site_attempts (
            run_id INTEGER NOT NULL,
            site TEXT NOT NULL,
            attempt TEXT NOT NULL,
            started_at TEXT NOT NULL,
            PRIMARY KEY (run_id, site)
        )
        """
    )


def m016_site_indexes(db: Any) -> None:
    """A site's links and requests without reading the run's others: the settle step when each
    site's crawl ends (by target), and a superseded Scrapyd attempt's rows removed. A crawl
    process with 500 sites of a province read its run's every link once per site (8 million
    rows, 500 times: 15 minutes and counting after its last request)."""
    _script(db,
        """
        CREATE INDEX links_site ON links (run_id, site, kind, target_url, source_url);
        CREATE INDEX requests_site ON requests (run_id, site)
        """
    )


def m017_store_identity(db: Any) -> None:
    """The store's own identity: a random id made once, when the store is created (or first
    opened by a version with this migration), never copied into another store (``store
    migrate`` gives the copy its own). Scrapyd job ids carry it with the run id, so that two
    stores sharing the same nodes (two teams' databases, a dry run beside the real one) never
    name their jobs alike, and one run's polling and Ctrl-C touch its own jobs only
    (:mod:`portal_audit.scrapyd`)."""
    _script(db, "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.db.execute("INSERT INTO store_meta (key, value) VALUES (?, ?)", ("identity", secrets.token_hex(6)))


def m018_sitemap_lastmod(db: Any) -> None:
    """A page carried from the previous run without any request because the site's sitemap
    says it has not changed since a request last verified it (crawler/previous.py): the
    ``<lastmod>`` trusted (``fetches.sitemap_lastmod``; ``verified_at`` keeps when a request
    last verified the page)."""
    _script(db, "ALTER TABLE fetches ADD COLUMN sitemap_lastmod TEXT")


def m019_sitemap_loc_lastmod(db: Any) -> None:
    """A sitemap ``<loc>``'s ``<lastmod>`` on its link row (``links.lastmod``): what a sitemap
    answering 304 to the next run still says (crawler/previous.py)."""
    _script(db, "ALTER TABLE links ADD COLUMN lastmod TEXT")


MIGRATIONS = [m001_initial, m002_ipv6, m003_history, m004_attachment_texts, m005_requests, m006_fragments,
              m007_incremental, m008_watch, m009_write_errors, m010_parse_outcomes, m011_run_site_order,
              m012_unparsed, m013_links_by_target, m014_column_types, m015_site_attempts,
              m016_site_indexes, m017_store_identity, m018_sitemap_lastmod,
              m019_sitemap_loc_lastmod]
