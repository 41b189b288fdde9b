"""Article records: the stored pages that are articles (not the home page, not a list,
not a “page not found” page) and carry a metadata table or sit in a disclosure column
reached from a dated list entry; read by the metadata and disclosure checks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from checks.computed.columns import dated_links, index_key, site_scopes
from checks.computed.compact import Compact
from core.text import CN_DATE_RE, DATE_RE, find_dates, parse_date
from core.vocabulary import has_catalogue

_PLACEHOLDER = re.compile(r"^[\s\-－—_/／、.。*＊]*$")


# the signing date (落款) at the very end of a document: only brackets may follow it
_AFTER_SIGNATURE = re.compile(r"^[\s。．.]*(?:[（(][^（()）]{0,60}[）)][\s。．.]*)*$")

_BEFORE_NOT_SIGNATURE = re.compile(r"(?:自|于|至|到|止|截至|截止|从|在|为|是|前|后|起|、|，|,)\s*$")

_TAIL = 300
HEAD = 200
# a notice forwarding another document (国务院办公厅转发国家地震局…报告的通知): the text ends
# with the forwarded document and its own signature, so its last date is not the notice's
FORWARDING = re.compile(r"(?:转发|批转)\S*的通知")


@dataclass(slots=True)
class ArticleRec:
    site: str
    url: str
    kind: str | None
    title: str
    meta: dict[str, str]
    list_dates: list[tuple[date, str, str]] = field(default_factory=list)   # (date, list page, anchor)
    head: str = ""          # the first HEAD characters of the text
    text_len: int = 0       # the length of the text's first 400 characters, stripped (min_text options)
    signed: date | None = None
    signed_text: str | None = None

    @property
    def list_page(self) -> str | None:
        return (min(self.list_dates)[1] or None) if self.list_dates else None

    @property
    def has_table(self) -> bool:
        """Whether the page shows a 信息公开 catalogue table (not just a 发布时间/来源 header)."""
        return has_catalogue(self.meta)

    def field(self, name: str) -> str | None:
        value = (self.meta.get(name) or "").strip()
        return None if _PLACEHOLDER.match(value) else value


def signature_date(tail: str) -> tuple[date | None, str | None]:
    """The date a document is signed on: the last date of its text when nothing but
    bracketed notes such as （此件公开发布） follows it."""
    tail = unicodedata.normalize("NFKC", tail or "")
    found = find_dates(tail)
    if not found:
        return None, None
    pos, d = found[-1]
    m = DATE_RE.match(tail, pos) or CN_DATE_RE.match(tail, pos)
    end = m.end() if m else pos
    if not _AFTER_SIGNATURE.match(tail[end:]):
        return None, None
    if _BEFORE_NOT_SIGNATURE.search(tail[max(0, pos - 4):pos]):
        return None, None
    return d, tail[pos:end].strip()


def articles(ctx) -> list[ArticleRec]:
    """The article pages of the snapshot (computed once per audit; texts are not kept)."""

    def build():
        scopes = site_scopes(ctx)
        dl = dated_links(ctx)
        same = Compact()
        out = []
        for row in ctx.store.article_heads(ctx.run_id, _TAIL):
            url = row["url"]
            if index_key(url) is not None:
                continue
            meta = same.meta(row["meta_json"])
            listed = set(dl.by_target.get(url, ()))
            if row["list_date"] and not listed:
                d = parse_date(row["list_date"])
                if d:
                    listed.add((same(d), "", ""))
            sc = scopes.get(row["site"])
            kind = sc.kind_of(url, row["column_kind"]) if sc else row["column_kind"]
            in_column = kind is not None or (sc is not None and sc.in_scope(url))
            if not (has_catalogue(meta) or (in_column and listed)):
                continue
            forwarding = any(FORWARDING.search(t or "") for t in (row["heading"], row["title"], meta.get("标题")))
            signed, signed_text = (None, None) if forwarding else signature_date(row["tail"] or "")
            head = (row["head"] or "").strip()
            out.append(ArticleRec(site=same(row["site"]), url=url, kind=same(kind),
                                  title=row["heading"] or row["title"] or "", meta=meta,
                                  list_dates=sorted(listed), head=head[:HEAD], text_len=len(head),
                                  signed=same(signed), signed_text=same(signed_text)))
        return out

    return ctx.computed("content.articles", build)
