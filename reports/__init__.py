"""Reports: every output format renders the same :class:`~reports.data.ReportData`.

Formats are sibling modules with one ``write(data, path)`` function each. One writer
failing never stops the others; the failures are returned (or raised as
:class:`ReportError` once every other writer has run).
"""

from __future__ import annotations

import logging
from pathlib import Path

from reports import csvfile, html, jsonl, ledger, verdict
from reports.data import load_report_data

log = logging.getLogger(__name__)

WRITERS = {
    "report.html": html.write,
    "findings.jsonl": jsonl.write,
    "findings.csv": csvfile.write,
    "ledger.xlsx": ledger.write,
    "sites.jsonl": verdict.write_jsonl,
}


class ReportError(Exception):
    """Some report files could not be written (the others were)."""

    def __init__(self, failures: dict[str, str], written: dict[str, Path]):
        self.failures, self.written = failures, written
        super().__init__("；".join(f"{name}：{why}" for name, why in failures.items()))


def write_reports(store, run_id: int, out_dir: str | Path, failures: dict[str, str] | None = None,
                  status: str | None = None, verdicts: list | None = None) -> dict[str, Path]:
    """Render run ``run_id`` into ``out_dir``; returns {file name: path} of the files written.
    A writer that fails is recorded in ``failures`` ({file name: reason}) when given, else
    :class:`ReportError` is raised after the other writers ran. ``status``: the status the
    run is finishing with, shown in the reports, when the run is not marked yet (a run is
    marked completed only once its reports are written). ``verdicts``, when given, receives
    the sites' verdicts the reports show (the run summary prints them)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_report_data(store, run_id, status=status)
    if verdicts is not None:
        verdicts.extend(data.verdicts)
    written, failed = {}, {}
    for name, writer in WRITERS.items():
        path = out / name
        try:
            writer(data, path)
        except Exception as exc:  # noqa: BLE001 - one format failing never costs the others
            log.exception("writing %s failed", path)
            failed[name] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        written[name] = path
    if failures is not None:
        failures.update(failed)
    elif failed:
        raise ReportError(failed, written)
    return written
