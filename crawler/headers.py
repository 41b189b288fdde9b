"""Header values from the network, parsed into bounded types at the edge.

A hostile or broken server can send ``Content-Length: 99999999999999999999999`` (an
integer SQLite cannot store: the whole batch of rows holding it would fail) or a
``Retry-After`` of a thousand digits; nothing unbounded from a header gets past here.
"""

from __future__ import annotations

MAX_HEADER_INT = 2**53   # larger "sizes" or "seconds" are not real values


def header_int(value: bytes | str | None, maximum: int = MAX_HEADER_INT) -> int | None:
    """A non-negative decimal header value, or None when absent, malformed or above ``maximum``."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text or len(text) > len(str(maximum)) or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number <= maximum else None
