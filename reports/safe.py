"""Text made safe for each output format, at the writer.

Crawled text (titles, anchors, URLs, page text in evidence) is hostile input: one
U+FFFE in a title makes an XLSX unreadable, a lone surrogate makes a UTF-8 writer
raise, an anchor starting with ``=`` is a formula in Excel.

- :func:`plain` (every format): NUL and the C0/C1 control characters other than
  tab, newline and carriage return, lone surrogates and DEL removed.
- :func:`for_xml` (XLSX, HTML): also what XML 1.0 forbids (U+FFFE, U+FFFF).
- :func:`for_csv`: :func:`plain`, and a cell starting with a formula trigger
  (``=``, ``+``, ``-``, ``@``, tab or CR) gets a leading apostrophe, as the
  OWASP "CSV injection" advice says (the ledger writes every cell as text instead).
- :func:`deep`: :func:`for_xml` applied to every string of a JSON-like value.
"""

from __future__ import annotations

import re
from typing import Any

_PLAIN_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def plain(text: str) -> str:
    return _PLAIN_BAD.sub("", text)


def for_xml(text: str) -> str:
    return _XML_BAD.sub("", text)


def for_csv(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = plain(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def deep(value: Any) -> Any:
    """``value`` with every string (keys included) passed through :func:`for_xml`."""
    if isinstance(value, str):
        return for_xml(value)
    if isinstance(value, dict):
        return {deep(k): deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [deep(v) for v in value]
    return value
