"""Reading documents: the main text of an article and its 信息公开 metadata table.

Templates handled: TRS (``TRS_Editor``, ``#zoom``), Hanweb (``.article-content``,
``#zoom``), common ``.article`` / ``.content`` containers, and a text-density
fallback. Metadata labels are normalised (发文机关 → 发布机构, 发文字号 → 文号 …).
"""

from __future__ import annotations

import re

from portal_audit.text import squash

MAIN_SELECTORS = [
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[@id='zoom']",
    "//*[@id='UCAP-CONTENT']",
    "//div[contains(@class, 'article-content')]",
    "//div[contains(@class, 'wz_content')]",
    "//div[contains(@class, 'view') and contains(@class, 'TRS')]",
    "//div[@class='article']",
    "//div[contains(@class, 'content') and not(contains(@class, 'nav'))]",
]

# label variants → canonical field name
META_LABELS = {
    "索引号": "索引号",
    "主题分类": "主题分类", "分类": "主题分类", "组配分类": "主题分类", "公开目录": "主题分类", "信息分类": "主题分类",
    "发布机构": "发布机构", "发文机关": "发布机构", "发文单位": "发布机构", "发布单位": "发布机构", "信息来源": "发布机构",
    "成文日期": "成文日期", "生成日期": "成文日期", "发文日期": "成文日期", "印发日期": "成文日期",
    "发布日期": "发布日期", "公开日期": "发布日期", "发布时间": "发布日期",
    "文号": "文号", "发文字号": "文号", "文件编号": "文号",
    "有效性": "有效性", "时效": "有效性", "时效性": "有效性", "效力状态": "有效性",
    "公开属性": "公开属性", "公开方式": "公开属性",
    "标题": "标题", "名称": "标题",
    "关键词": "主题词", "主题词": "主题词",
}
_LABEL_CLEAN = re.compile(r"[\s\u3000\xa0:：|｜]+")


def canonical_label(label: str) -> str | None:
    return META_LABELS.get(_LABEL_CLEAN.sub("", label or ""))


def extract_metadata(tree) -> dict[str, str]:
    """The metadata fields of an article, in <table>, <ul>/<li> or <dl> layouts."""
    meta: dict[str, str] = {}
    for table in tree.iter("table"):
        for row in table.iter("tr"):
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            _pairs(cells, meta)
    for li in tree.xpath("//li|//p|//span|//div[not(*)]"):
        text = squash(li.text_content())
        if len(text) > 120 or ("：" not in text and ":" not in text):
            continue
        label, _, value = re.split(r"([:：])", text, maxsplit=1) if re.search(r"[:：]", text) else (text, "", "")
        key = canonical_label(label)
        if key and value.strip() and key not in meta:
            meta[key] = value.strip()[:300]
    for dl in tree.iter("dl"):
        _pairs([c for c in dl if isinstance(c.tag, str) and c.tag in ("dt", "dd")], meta)
    meta.pop("标题", None) if len(meta) < 2 else None
    return meta if len(meta) >= 2 else {}


def _pairs(cells, meta: dict[str, str]) -> None:
    i = 0
    while i < len(cells) - 1:
        label = squash(cells[i].text_content())
        key = canonical_label(label) if len(label) <= 12 else None
        if key:
            value = squash(cells[i + 1].text_content())
            if value and canonical_label(value) is None:
                meta.setdefault(key, value[:300])
                i += 2
                continue
        i += 1


def extract_main_text(tree) -> str:
    """The article body text: a known CMS container, else the densest text block."""
    for xpath in MAIN_SELECTORS:
        found = tree.xpath(xpath)
        if found:
            text = squash(" ".join(el.text_content() for el in found[:1]))
            if len(text) >= 20:
                return text[:200000]
    best, best_len = None, 0
    for el in tree.xpath("//div|//td|//article|//section"):
        direct = squash("".join(t for t in el.xpath("./text()|./p//text()")))
        if len(direct) > best_len:
            best, best_len = el, len(direct)
    return squash(best.text_content())[:200000] if best is not None else ""
