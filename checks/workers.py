"""The checks of one run in several processes: the cores the crawl used, used again.

The selected checks are cut into *groups* that share no index (``uses``, the connected
parts of "shares an index with"), so that an index is still built once; the groups are dealt
to ``processes`` shares (:func:`core.deal.deal`, by the seconds each check took in the store's
previous run, one second for a check never timed). Each share runs in a spawned worker with its
own store connection, and this process only collects: a worker's memory is its own checks' and
is handed back when it ends, whereas this process has crawled (and goes on to the history and the
reports) with a heap that keeps the high-water mark of every stage run in it. A worker
sends each :class:`~checks.registry.CheckResult` as its check ends; the checks of a worker
that died are run again here, so that no check is ever lost. Each check still runs whole
and writes its own findings, so the findings are those of :func:`~checks.registry.run_checks`.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue as queues
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from checks.registry import Check, CheckResult, CheckSettings, run_checks, run_order
from core.deal import deal

log = logging.getLogger(__name__)

DONE = "done"


def groups(checks: Sequence[Check]) -> list[list[Check]]:
    """``checks`` cut into groups sharing no index, each in :func:`run_order`."""
    parent = {c.code: c.code for c in checks}

    def root(code: str) -> str:
        while parent[code] != code:
            parent[code] = parent[parent[code]]
            code = parent[code]
        return code

    holder: dict[str, str] = {}
    for chk in checks:
        for name in chk.uses:
            if name in holder:
                parent[root(chk.code)] = root(holder[name])
            else:
                holder[name] = chk.code
    parts: dict[str, list[Check]] = {}
    for chk in checks:
        parts.setdefault(root(chk.code), []).append(chk)
    return [run_order(part) for part in parts.values()]


def shares(checks: Sequence[Check], n: int, seconds: Mapping[str, float]) -> list[list[Check]]:
    """The groups of ``checks`` dealt to at most ``n`` shares of about equal time, the
    heaviest share first."""
    def weight(group: list[Check]) -> float:
        return sum(seconds.get(c.code, 1.0) for c in group)

    dealt = [[c for group in share for c in group] for share in deal(groups(checks), n, weight)]
    return sorted((share for share in dealt if share), key=lambda share: -weight(share))


def run_checks_parallel(store, run_id: int, audit_date: date, sites: Mapping[str, Any], settings: CheckSettings,
                        processes: int, only: Sequence[str] = (), seconds: Mapping[str, float] | None = None,
                        on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """:func:`~checks.registry.run_checks` in up to ``processes`` processes; ``seconds``: what
    each check took last time (the shares' weights)."""
    selected = settings.selected(only)
    dealt = shares(selected, processes, seconds or {})
    if len(dealt) < 2:
        return run_checks(store, run_id, audit_date, sites, settings, only=only, on_result=on_result)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_worker_main, name=f"portal-audit-checks-{i + 1}",
                           args=(store.location, run_id, audit_date, dict(sites), settings,
                                 [c.code for c in share], queue))
               for i, share in enumerate(dealt)]
    results: dict[str, CheckResult] = {}
    try:
        for w in workers:
            w.start()
        _collect(queue, workers, results, on_result)
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
            w.join()
    lost = [c.code for share in dealt for c in share if c.code not in results]
    if lost:   # a worker died: its checks are run here rather than lost
        log.warning("a checks worker ended early; running %s here", ", ".join(lost))
        for r in run_checks(store, run_id, audit_date, sites, settings, only=lost, on_result=on_result):
            results[r.code] = r
    return [results[c.code] for c in run_order(selected) if c.code in results]


def _collect(queue, workers, results: dict[str, CheckResult], on_result) -> None:
    """Every result the workers send, until each said it is done or has ended."""
    done = 0
    while done < len(workers):
        try:
            message = queue.get(timeout=1.0)
        except queues.Empty:
            if not any(w.is_alive() for w in workers):
                return
            continue
        if message == DONE:
            done += 1
            continue
        results[message.code] = message
        if on_result:
            on_result(message)


def _worker_main(location: str, run_id: int, audit_date: date, sites: dict[str, Any], settings: CheckSettings,
                 codes: list[str], queue) -> None:
    from store import Store

    store = Store(location)
    try:
        run_checks(store, run_id, audit_date, sites, settings, only=codes, on_result=queue.put)
    finally:
        store.close()
        queue.put(DONE)
