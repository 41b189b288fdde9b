"""Text family: 错别字 and 严重表述错误 found with a curated word list.

The word list is data: ``checks/data/typos.yaml`` (written by ``tools/build_typos.py``
from ``typos_curated.yaml`` and the law titles of ``regulations.yaml``; see the README).
Each entry is an exact wrong form with its right form, a category (机构名称, 时政表述,
法律名称, 一般) and a severity: 严重 entries (names of national bodies, 时政表述) are
``text.serious-error``, the others ``text.typo``. Matching is exact: one Aho–Corasick
automaton (pyahocorasick) over every stored text, built once per audit; there is no
spelling model and no guessing.

Options (under ``checks.options.text`` for both checks, or per check code):
``words`` (extra entries: ``{wrong, right, category, severity}``), ``words_file`` (YAML
file(s) of such entries, a list or ``{entries: [...]}``), ``ignore`` (wrong forms never
reported), ``ignore_urls`` (URL prefixes whose pages are not scanned), ``context``
(characters quoted on each side, default 20).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from checks.common import linking_page
from checks.registry import NotApplicable, check
from core.models import Verify

CATEGORIES = ("机构名称", "时政表述", "法律名称", "一般")
SERIOUS_CATEGORIES = ("机构名称", "时政表述")
SEVERITIES = ("严重", "一般")
MAX_OCCURRENCES = 10
OPTIONS = {"words": [], "words_file": None, "ignore": [], "ignore_urls": [], "context": 20}


@dataclass(frozen=True)
class Entry:
    wrong: str
    right: str
    category: str
    severity: str
    origin: str = "curated"

    @property
    def serious(self) -> bool:
        return self.severity == "严重"


def parse_entry(raw: Any, where: str) -> Entry:
    """One word-list entry; raises ValueError naming where it came from."""
    if not isinstance(raw, dict) or not raw.get("wrong") or not raw.get("right"):
        raise ValueError(f"{where}: 每个词条需要 wrong 和 right：{raw!r}")
    wrong, right = str(raw["wrong"]), str(raw["right"])
    if wrong == right or wrong in right:
        raise ValueError(f"{where}: 错误写法“{wrong}”是正确写法“{right}”的一部分")
    category = str(raw.get("category") or "一般")
    if category not in CATEGORIES:
        raise ValueError(f"{where}: 类别应为 {'、'.join(CATEGORIES)}，而不是 {category!r}")
    severity = str(raw.get("severity") or ("严重" if category in SERIOUS_CATEGORIES else "一般"))
    if severity not in SEVERITIES:
        raise ValueError(f"{where}: 严重程度应为 严重 或 一般，而不是 {severity!r}")
    return Entry(wrong, right, category, severity, str(raw.get("origin") or "user"))


@lru_cache(maxsize=1)
def shipped() -> tuple[str, tuple[Entry, ...], tuple[str, ...]]:
    """(version, entries, right forms) of the shipped list."""
    data = yaml.safe_load(resources.files("checks.data").joinpath("typos.yaml").read_text(encoding="utf-8"))
    entries = tuple(parse_entry(e, "checks/data/typos.yaml") for e in data["entries"])
    return str(data["version"]), entries, tuple(data.get("rights") or ())


def _user_entries(options) -> list[Entry]:
    out = [parse_entry(e, "checks.options.text.words") for e in options.get("words") or ()]
    files = options.get("words_file") or ()
    for name in [files] if isinstance(files, str) else files:
        data = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
        raw = data.get("entries") if isinstance(data, dict) else data
        out += [parse_entry(e, str(name)) for e in raw or ()]
    return out


@dataclass
class Matcher:
    """An Aho–Corasick automaton over the wrong forms and the right forms of a word list.

    A wrong form inside an occurrence of a right form (a user entry shorter than an
    official name) is not reported; of overlapping wrong forms the longest wins.
    """

    version: str
    entries: dict[str, Entry]
    automaton: Any = field(repr=False, default=None)

    @classmethod
    def build(cls, version: str, entries: list[Entry], rights: list[str], ignore: set[str]) -> "Matcher":
        chosen = {e.wrong: e for e in entries if e.wrong not in ignore}
        auto = ahocorasick.Automaton()
        for wrong, entry in chosen.items():
            auto.add_word(wrong, (wrong, entry))
        for right in {*rights, *(e.right for e in chosen.values())}:
            if right not in chosen:
                auto.add_word(right, (right, None))
        if chosen:
            auto.make_automaton()
        return cls(version, chosen, auto if chosen else None)

    def scan(self, text: str) -> list[tuple[int, Entry]]:
        """(character position, entry) of every wrong form in ``text``, in order."""
        if not text or self.automaton is None:
            return []
        rights, wrongs = [], []
        for end, (key, entry) in self.automaton.iter(text):
            span = (end - len(key) + 1, end + 1)
            (rights if entry is None else wrongs).append((span, entry))
        out, last_end = [], -1
        for (start, end), entry in sorted(wrongs, key=lambda x: (x[0][0], -x[0][1])):
            if start < last_end or any(rs <= start and end <= re for (rs, re), _ in rights):
                continue
            out.append((start, entry))
            last_end = end
        return out


def matcher(options) -> Matcher:
    version, entries, rights = shipped()
    extra = _user_entries(options)
    merged = {e.wrong: e for e in entries}
    merged.update({e.wrong: e for e in extra})
    return Matcher.build(version + ("+user" if extra else ""), list(merged.values()), list(rights),
                         set(options.get("ignore") or ()))


@dataclass
class Hit:
    site: str
    url: str
    title: str
    entry: Entry
    where: str          # 标题 | 正文 | 附件
    attachment: bool
    occurrences: list[dict] = field(default_factory=list)


def _context(text: str, pos: int, length: int, width: int) -> str:
    before = text[max(0, pos - width):pos]
    after = text[pos + length:pos + length + width]
    return f"{'…' if pos > width else ''}{before}【{text[pos:pos + length]}】{after}" \
           f"{'…' if pos + length + width < len(text) else ''}"


def text_hits(ctx) -> list[Hit]:
    """Every wrong form in the stored texts of the run (titles, main texts, attachment
    texts), computed once per audit for both checks of the family."""
    opts = {k: ctx.options.get(k, v) for k, v in OPTIONS.items()}
    key = "text.hits:" + json.dumps(opts, sort_keys=True, ensure_ascii=False, default=str)

    def build():
        m = matcher(opts)
        width = int(opts["context"])
        skip = tuple(opts["ignore_urls"] or ())
        hits: dict[tuple[str, str, str], Hit] = {}

        def scan(site, url, title, where, text, attachment=False):
            for pos, entry in m.scan(text):
                hit = hits.get((site, url, entry.wrong))
                if hit is None:
                    hit = hits[(site, url, entry.wrong)] = Hit(site, url, title, entry, where, attachment)
                hit.occurrences.append({"where": where, "position": pos,
                                        "context": _context(text, pos, len(entry.wrong), width)})

        pages = 0
        for row in ctx.store.found_page_texts(ctx.run_id):
            pages += 1
            if skip and row["url"].startswith(skip):
                continue
            title = row["heading"] or row["title"] or ""
            scan(row["site"], row["url"], title, "标题", title)
            scan(row["site"], row["url"], title, "正文", row["main_text"] or "")
        for row in ctx.store.attachment_texts(ctx.run_id):
            if not (skip and row["url"].startswith(skip)):
                name = row["url"].rsplit("/", 1)[-1]
                scan(row["site"], row["url"], name, "附件", row["text"] or "", attachment=True)
        return pages, m.version, sorted(hits.values(), key=lambda h: (h.site, h.url, h.occurrences[0]["position"]))

    return ctx.computed(key, build)


def _findings(ctx, serious: bool):
    pages, version, hits = text_hits(ctx)
    if not pages:
        raise NotApplicable("快照中没有页面文本")
    label = "严重表述错误" if serious else "错别字"
    for hit in hits:
        if hit.entry.serious != serious:
            continue
        e, first = hit.entry, hit.occurrences[0]
        times = f"，共 {len(hit.occurrences)} 处" if len(hit.occurrences) > 1 else ""
        where = f"附件（{hit.title}）" if hit.attachment else first["where"]
        evidence = {"wrong": e.wrong, "right": e.right, "category": e.category, "severity_label": e.severity,
                    "origin": e.origin, "where": first["where"], "position": first["position"],
                    "context": first["context"], "count": len(hit.occurrences),
                    "occurrences": hit.occurrences[:MAX_OCCURRENCES], "title": hit.title, "word_list": version}
        page = linking_page(ctx, hit.url, hit.site) if hit.attachment else None
        yield ctx.finding(
            site=hit.site, url=hit.url, page=page,
            message=f"{label}（{e.category}）：“{e.wrong}”应为“{e.right}”，见{where}第 {first['position'] + 1} 字"
                    f"{times}：{first['context']}",
            evidence=evidence, identity=(hit.url, e.wrong))


@check("text.serious-error", verify=Verify.PAGE, title="严重表述错误", severity="error",
       fix="立即更正页面中的错误表述（国家机构名称、时政表述），并排查同一稿件的其他发布位置；"
           "建立发布前审校（三审三校）制度。",
       requires=("pages", "attachment_texts"), options=OPTIONS,
       source="国办函〔2019〕80号 单项否决“安全、泄密事故等严重问题”：出现严重表述错误；全国政府网站普查评分表："
              "网站出现严重错别字（例如将党和国家领导人姓名写错）即单项否决；DOMAIN.md §2.4（扫黑除恶 → 扫黑险恶）",
       uses=("text.hits",))
def text_serious_error(ctx):
    """Flags a page whose title, main text or attachment text holds a mistyped name of a
    national body (国务院办工厅, 中华人民共合国, 国家发展和改革委园会 …) or 时政表述
    (扫黑险恶, 社会主义核心价值关 …) — a 单项否决 item of the national inspection.

    The forms are those of the shipped word list (category 机构名称 or 时政表述, severity
    严重): the known mistyped forms listed by hand, and the forms generated from the
    official names by one 同音/形近 substitution (公/工, 和/合, 副/付, 暴/爆 …) that are
    not an ordinary word (not in jieba's dictionary, not in the real seed texts, never the
    first or last character); plus the user's own ``words`` of severity 严重. Matching is
    exact; a wrong form inside a right form (a user entry) is not reported, and of
    overlapping wrong forms the longest is.

    Not flagged: forms in ``ignore``; pages under ``ignore_urls``; pages the gatherer did
    not store (home and list pages keep no main text; their link texts are not scanned).

    One finding per page and wrong form. Evidence: the wrong and the right form, the
    category, where (标题/正文/附件) and the 0-based character position of the first
    occurrence in that text, the surrounding text with the wrong form in 【】, every
    occurrence (up to 10) and the word list's version.
    """
    yield from _findings(ctx, serious=True)


@check("text.typo", verify=Verify.PAGE, title="错别字", severity="warning",
       fix="更正错别字（法律名称、常见错别字），并检查同一稿件的其他发布位置；发布前审校。",
       requires=("pages", "attachment_texts"), options=OPTIONS,
       source="全国政府网站普查评分表、国办函〔2019〕80号 扣分项：错别字；《政府网站发展指引》(国办发〔2017〕47号) "
              "内容准确；法律名称以国家法律法规数据库为准（checks/data/regulations.yaml）",
       uses=("text.hits",))
def text_typo(ctx):
    """Flags a page whose title, main text or attachment text holds a mistyped law name
    (行政许课法, 中华人民共和国统记法 — generated from every title and alias of the
    regulation catalog by one 同音/形近 substitution, filtered as for
    ``text.serious-error``) or a common 错别字 (布署 → 部署, 再接再励 → 再接再厉, 按步就班
    → 按部就班 …): every word-list entry of severity 一般, and the user's own ``words``.

    Not flagged: the same exclusions as ``text.serious-error``; pairs whose two forms are
    both accepted (反映/反应, 截止/截至) are not in the list.

    One finding per page and wrong form, with the same evidence as
    ``text.serious-error``.
    """
    yield from _findings(ctx, serious=False)
