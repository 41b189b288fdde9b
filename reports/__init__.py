"""Reports: every output format renders the same :class:`~reports.data.ReportData`.

Formats are sibling modules with one ``write(data, path)`` function each.
"""

from __future__ import annotations

from pathlib import Path

from reports import csvfile, html, jsonl, ledger, verdict
from reports.data import load_report_data

WRITERS = {
    "report.html": html.write,
    "findings.jsonl": jsonl.write,
    "findings.csv": csvfile.write,
    "ledger.xlsx": ledger.write,
    "sites.jsonl": verdict.write_jsonl,
}


def write_reports(store, run_id: int, out_dir: str | Path) -> dict[str, Path]:
    """Render run ``run_id`` into ``out_dir``; returns {file name: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_report_data(store, run_id)
    written = {}
    for name, writer in WRITERS.items():
        path = out / name
        writer(data, path)
        written[name] = path
    return written
