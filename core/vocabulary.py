"""The domain vocabulary, defined once: column kinds and the CMS URL patterns that both
the crawler and the checks read."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

#: Column kinds of a 政府信息公开 section, each with its one Chinese label.
COLUMN_KINDS = {
    "policy": "政策文件",
    "interpretation": "政策解读",
    "regulation": "法规文件",
    "notice": "通知公告",
    "guide": "公开指南",
    "report": "年度报告",
    "news": "动态/要闻",
    "interaction": "政务咨询",
}
#: The label of a column of no known kind.
OTHER_COLUMN = "其他栏目"


def column_label(kind: str | None) -> str:
    """The Chinese label of a column kind ('其他栏目' for none; an unknown kind as itself)."""
    return COLUMN_KINDS.get(kind, kind) if kind else OTHER_COLUMN


class Stage(enum.StrEnum):
    """An optional gather stage: it runs only when a selected check requires one of its facts."""

    IPV6 = "ipv6"                 # DNS and reachability over IPv6, after the crawl
    ATTACHMENTS = "attachments"   # same-site PDF/DOCX/XLSX attachments read into attachment_texts
    DOCUMENTS = "documents"       # the PDF/DOCX carrying an article whose body is only a link, read


#: The facts (a check's ``requires``) each optional stage produces; every other fact
#: (pages, links, fetches …) comes from the crawl itself.
STAGE_FACTS = {
    Stage.IPV6: frozenset({"dns_answers", "ip_probes", "ipv6_sites", "ipv6_runs"}),
    Stage.ATTACHMENTS: frozenset({"attachment_texts"}),
    Stage.DOCUMENTS: frozenset({"document_texts"}),
}


def stages_for(requires: Iterable[str]) -> set[Stage]:
    """The optional stages that produce any of the facts ``requires``."""
    facts = set(requires)
    return {stage for stage, produced in STAGE_FACTS.items() if produced & facts}


_HANWEB_COLUMN = r"/col/col\d+"
#: A Hanweb column directory (``/col/col1234/``) anywhere in a path: a column whatever its parent path.
HANWEB_COLUMN = re.compile(_HANWEB_COLUMN + "/", re.I)
#: A path that is itself a Hanweb column directory (``…/col/col1234`` or ``…/col/col1234/``).
HANWEB_COLUMN_PATH = re.compile(_HANWEB_COLUMN + "/?$", re.I)
#: A list/index file name (``index.html``, ``index_3.shtml``, ``default.aspx``, ``list.jsp``,
#: TRS ``list_zw_wj.shtml`` / ``list_zw_wj_2.shtml``).
INDEX_NAME = re.compile(r"^(?:index|default|list|more)(?:_[a-z]+)*(?:_\d+)?\.(?:s?html?|jsp|php|aspx?)$", re.I)


# 政务咨询 channels (领导信箱, 咨询留言, 政民互动 …) by their link text; 信访, 举报, 访谈, 征集 and
# 调查 columns are special channels the inspection does not count as 咨询建言, nor is a 咨询电话.
#: Words of a link text that names an online 咨询建言 channel.
CONSULTATION_WORDS = ("信箱", "留言", "咨询", "建言", "问政", "政民互动")
NOT_CONSULTATION_RE = re.compile(r"信访|举报|访谈|征集|调查|咨询(?:电话|热线)")


def is_consultation(anchor: str | None) -> bool:
    """Whether a link text names an online 咨询建言 channel."""
    return bool(anchor and any(w in anchor for w in CONSULTATION_WORDS) and not NOT_CONSULTATION_RE.search(anchor))


# the fields of a 信息公开 catalogue (metadata) table
CATALOG_FIELDS = frozenset({"索引号", "主题分类", "发布机构", "成文日期", "发布日期", "文号", "有效性", "公开属性"})


def has_catalogue(meta) -> bool:
    """Does a page's metadata come from a 信息公开 catalogue table (索引号, or three of its
    fields), not just from a 发布时间/来源 date line?"""
    return "索引号" in meta or len(CATALOG_FIELDS.intersection(meta)) >= 3
