"""Fragments found as browsers find them (HTML standard, "the indicated part of the
document"): used by the crawler's records and the link checks alike."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes


def fragment_found(fragment: str, anchors: set[str] | frozenset[str]) -> bool:
    """Whether a page with these ids and ``<a name>``s has the fragment's indicated part:
    the fragment as it is (percent-encoded where the URL standard encodes it), then
    percent-decoded as UTF-8; an empty fragment and ``top`` (any case) are the top of the page,
    and a fragment of ``#`` only (``href="###"``) is a script link's placeholder, like ``#``."""
    if not fragment.strip("#") or fragment in anchors:
        return True
    try:
        decoded = unquote_to_bytes(fragment).decode("utf-8") if "%" in fragment else fragment
    except UnicodeDecodeError:
        return False
    return decoded in anchors or decoded.lower() == "top"
