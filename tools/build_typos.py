"""Build checks/data/typos.yaml, the 错别字 word list of the text.* checks.

Reads the curated source checks/data/typos_curated.yaml and the law titles of
checks/data/regulations.yaml, generates the one-character 同音/形近 substitutions of every
entry marked ``generate`` (and of every law title and alias), and keeps a generated form
only when it is not an ordinary word:

- it is not a word of jieba's dictionary;
- the word it changes (the jieba token of the right form holding the changed character,
  two characters or more) does not become another dictionary word (水利部 → 水力部 is
  dropped: 水力部分 is ordinary text);
- it does not occur in any real text of the reference folder (../shared/seeds/ by default);
- it is not a right form and not part of one.

Names shorter than ``MIN_GENERATED`` characters are not expanded (their one-character
variants are too often ordinary text); their known forms are listed by hand. The first and
last characters are never substituted: a changed edge character joins the neighbouring
text into ordinary phrases (食品安全法 → 食品安全发展, 科学技术部 → 科学技术布局). A position
inside a shorter right form that is generated itself (中华人民共和国 inside a law title)
is left to that shorter entry.

Usage:  python tools/build_typos.py            # write checks/data/typos.yaml
        python tools/build_typos.py --check    # exit 1 when the file is out of date
Runtime never runs this: the checks read the written file only.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "checks" / "data"
CURATED = DATA / "typos_curated.yaml"
REGULATIONS = DATA / "regulations.yaml"
OUTPUT = DATA / "typos.yaml"
DEFAULT_REFERENCE = ROOT.parent / "shared" / "seeds"
CATEGORIES = ("机构名称", "时政表述", "法律名称", "一般")
SERIOUS = ("机构名称", "时政表述")
MIN_GENERATED = 4


def load_source() -> tuple[dict, list[dict]]:
    """The curated document and its entries (with the law titles of the catalog added)."""
    doc = yaml.safe_load(CURATED.read_text(encoding="utf-8"))
    entries = []
    for category in CATEGORIES:
        for raw in doc.get(category) or ():
            entries.append({"right": raw["right"], "wrong": list(raw.get("wrong") or ()),
                            "generate": bool(raw.get("generate")), "category": category})
    known = {e["right"] for e in entries}
    catalog = yaml.safe_load(REGULATIONS.read_text(encoding="utf-8"))
    for reg in catalog["regulations"]:
        for title in [reg["title"], *(reg.get("aliases") or ())]:
            if title not in known:
                known.add(title)
                entries.append({"right": title, "wrong": [], "generate": True, "category": "法律名称"})
    return doc, entries


def reference_texts(folder: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    if not texts:
        raise SystemExit(f"no reference texts (*.txt) in {folder}")
    return texts


def dictionary() -> set[str]:
    import jieba

    path = Path(jieba.__file__).with_name("dict.txt")
    with open(path, encoding="utf-8") as f:
        return {line.split(" ", 1)[0] for line in f if line.strip()}


def token_spans(text: str) -> list[tuple[int, int]]:
    import jieba

    spans, pos = [], 0
    for token in jieba.lcut(text, HMM=False):
        spans.append((pos, pos + len(token)))
        pos += len(token)
    return spans


def build(reference: Path) -> dict:
    import jieba

    jieba.setLogLevel(60)
    doc, entries = load_source()
    subs = {k: list(v) for k, v in (doc.get("substitutions") or {}).items()}
    words = dictionary()
    texts = reference_texts(reference)
    rights = [e["right"] for e in entries]
    generating = [e["right"] for e in entries if e["generate"] and len(e["right"]) >= MIN_GENERATED]
    out: dict[str, dict] = {}
    filtered: Counter = Counter()
    curated_in_text = []

    def severity(category: str) -> str:
        return "严重" if category in SERIOUS else "一般"

    for e in entries:
        for wrong in e["wrong"]:
            if any(wrong in t for t in texts):
                curated_in_text.append(wrong)
            out.setdefault(wrong, {"wrong": wrong, "right": e["right"], "category": e["category"],
                                   "severity": severity(e["category"]), "origin": "curated"})
    for e in entries:
        right = e["right"]
        if not e["generate"] or len(right) < MIN_GENERATED:
            continue
        inner = [(i, i + len(r)) for r in generating if r != right and len(r) < len(right)
                 for i in _occurrences(right, r)]
        spans = token_spans(right)
        for pos, ch in enumerate(right):
            if ch not in subs or any(a <= pos < b for a, b in inner):
                continue
            if pos in (0, len(right) - 1):
                filtered["首尾字替换可与上下文成词"] += len(subs[ch])
                continue
            start, end = next(s for s in spans if s[0] <= pos < s[1])
            for alt in subs[ch]:
                wrong = right[:pos] + alt + right[pos + 1:]
                token = right[start:pos] + alt + right[pos + 1:end]
                if wrong in out:
                    continue
                if any(wrong in r for r in rights):
                    filtered["是正确写法或其一部分"] += 1
                elif wrong in words:
                    filtered["是词典中的词"] += 1
                elif end - start >= 2 and token in words:
                    filtered["改动的词是另一个词"] += 1
                elif any(wrong in t for t in texts):
                    filtered["出现在参考文本中"] += 1
                else:
                    out[wrong] = {"wrong": wrong, "right": right, "category": e["category"],
                                  "severity": severity(e["category"]), "origin": "generated"}
    order = {c: i for i, c in enumerate(CATEGORIES)}
    listed = sorted(out.values(), key=lambda x: (order[x["category"]], x["origin"] != "curated", x["right"], x["wrong"]))
    by_category = Counter(x["category"] for x in listed)
    by_origin = Counter(x["origin"] for x in listed)
    return {
        "version": str(doc.get("version")),
        "generated_by": "tools/build_typos.py from checks/data/typos_curated.yaml and regulations.yaml",
        "reference": f"jieba dict.txt + {len(texts)} texts of {reference.name}/",
        "stats": {"right_forms": len(set(rights)), "entries": len(listed),
                  "by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
                  "curated": by_origin.get("curated", 0), "generated": by_origin.get("generated", 0),
                  "filtered": dict(sorted(filtered.items())), "curated_in_reference": sorted(curated_in_text)},
        "rights": sorted(set(rights)),
        "entries": listed,
    }


def _occurrences(text: str, part: str) -> list[int]:
    out, i = [], text.find(part)
    while i >= 0:
        out.append(i)
        i = text.find(part, i + 1)
    return out


HEADER = ("# GENERATED by tools/build_typos.py — do not edit; edit typos_curated.yaml and run `make typos`.\n"
          "# The word list of the checks text.typo and text.serious-error (see README, 错别字).\n")


def render(data: dict) -> str:
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                        help="folder of real texts (*.txt) no generated form may occur in")
    parser.add_argument("--check", action="store_true", help="exit 1 when typos.yaml is out of date")
    args = parser.parse_args(argv)
    data = build(args.reference)
    text = render(data)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run `make typos`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    s = data["stats"]
    print(f"{OUTPUT.relative_to(ROOT)}: {s['entries']} entries ({s['curated']} curated, {s['generated']} generated)"
          f" by category {s['by_category']}; filtered out {sum(s['filtered'].values())}: {s['filtered']}")
    if s["curated_in_reference"]:
        print(f"curated forms found in the reference texts: {s['curated_in_reference']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
