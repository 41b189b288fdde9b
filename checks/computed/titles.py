"""Title similarity: how far a link's anchor names the page it points to, the document
frame (关于印发…的通知) removed; used by the link, metadata and policy checks."""

from __future__ import annotations

import re

from rapidfuzz import fuzz


_BOILERPLATE = re.compile(r"关于|印发|转发|公布|的|通知|意见|办法|方案|决定|《|》|〈|〉|“|”|\s|"
                          r"[〔\[［(（﹝][^〕\]］)）﹝]*[〕\]］)）﹞]|\.{2,}|…+|_.*$|-.*$|——.*$|\|.*$")


def title_core(text: str) -> str:
    """A document title without gov boilerplate (关于印发…的通知), brackets, 文号 or site suffix."""
    return _BOILERPLATE.sub("", text or "")


def title_similarity(anchor: str, title: str) -> float:
    a, b = title_core(anchor), title_core(title)
    if not a or not b:
        return 100.0
    return max(fuzz.ratio(a, b), fuzz.partial_ratio(a, b) if min(len(a), len(b)) >= 6 else 0)
