"""错别字 and 严重表述错误 (text.typo, text.serious-error): the shipped word list on the real
seed texts (zero hits as published, every planted error found at its position), on the
real saved pages (no 严重表述错误), the build script's output up to date, user lists and
the ignore list, run on small stored snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checks.text import Matcher, matcher, parse_entry, shipped
from crawler import content, extract
from tests.test_checks_dates import Snapshot

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
REAL = SHARED / "real-pages"


def seed_texts() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.skip(f"the real seed texts are not here ({SEEDS}): they live in ../shared/seeds/")
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def plant(text: str, m: Matcher) -> tuple[str, list[tuple[int, str, str]]]:
    """The text with one occurrence of every right form it holds replaced by a wrong form of
    that right form (non-overlapping, first occurrence), and the expected (position, wrong, right)."""
    by_right: dict[str, list[str]] = {}
    for e in m.entries.values():
        by_right.setdefault(e.right, []).append(e.wrong)
    taken: list[tuple[int, int]] = []
    planted = []
    for right in sorted(by_right, key=len, reverse=True):
        pos = text.find(right)
        while pos >= 0 and any(a < pos + len(right) and pos < b for a, b in taken):
            pos = text.find(right, pos + 1)
        if pos < 0:
            continue
        wrong = sorted(w for w in by_right[right] if len(w) == len(right))[0]
        text = text[:pos] + wrong + text[pos + len(right):]
        taken.append((pos, pos + len(right)))
        planted.append((pos, wrong, right))
    return text, sorted(planted)


def test_seed_texts_have_no_hit_as_published():
    m = matcher({})
    for name, text in seed_texts().items():
        assert m.scan(text) == [], name


def test_every_planted_error_in_the_seed_texts_is_found_at_its_position():
    m = matcher({})
    total = 0
    for name, text in seed_texts().items():
        press = "开展扫黑除恶专项斗争。"
        text = text + press.replace("扫黑除恶", "扫黑险恶")
        planted_text, planted = plant(text, m)
        planted.append((len(text) - len(press) + press.index("扫黑"), "扫黑险恶", "扫黑除恶"))
        got = [(pos, e.wrong, e.right) for pos, e in m.scan(planted_text)]
        assert got == sorted(planted), name
        assert len(planted) >= 5, name
        total += len(planted)
    assert total >= 30


def test_real_pages_hold_no_serious_error():
    if not (REAL / "manifest.json").is_file():
        pytest.skip(f"the real saved pages are not here ({REAL}): they live in ../shared/real-pages/")
    m = matcher({})
    scanned = 0
    for page in json.loads((REAL / "manifest.json").read_text(encoding="utf-8")):
        path = REAL / "pages" / page["host"] / page["path"].lstrip("/")
        path = path / "index.html" if path.is_dir() else path
        text, _ = extract.decode_html(path.read_bytes(), None)
        tree = extract.parse_tree(text)
        body = content.extract_main_text(tree)
        scanned += len(body)
        assert [(pos, e.wrong) for pos, e in m.scan(body) if e.serious] == [], page["id"]
    assert scanned > 100_000


def test_the_shipped_list_is_up_to_date_with_its_sources():
    pytest.importorskip("jieba")
    seed_texts()
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_typos.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_shipped_list_has_every_category_and_no_ordinary_word():
    version, entries, rights = shipped()
    cats = {e.category for e in entries}
    assert cats == {"机构名称", "时政表述", "法律名称", "一般"} and version
    assert all(e.severity == ("严重" if e.category in ("机构名称", "时政表述") else "一般") for e in entries)
    assert {"扫黑险恶", "国务院办工厅", "中华人民共合国"} <= {e.wrong for e in entries}
    generated = [e for e in entries if e.origin == "generated"]
    assert len(generated) > 300
    # no wrong form is (part of) a right form, and the edge characters are never substituted
    assert not any(e.wrong in r for e in entries for r in rights)
    assert all(e.wrong[0] == e.right[0] and e.wrong[-1] == e.right[-1] for e in generated)
    assert "水力部" not in {e.wrong for e in entries}   # 水利部 → 水力部分 is ordinary text


def test_matching_rules():
    entries = [parse_entry({"wrong": "国务院办工厅", "right": "国务院办公厅", "category": "机构名称"}, "t"),
               parse_entry({"wrong": "办工", "right": "办公"}, "t"),
               parse_entry({"wrong": "厅局", "right": "厅级", "category": "一般"}, "t")]
    m = Matcher.build("t", entries, ["国务院办公厅", "办公室"], set())
    assert [(p, e.wrong) for p, e in m.scan("国务院办工厅局")] == [(0, "国务院办工厅")]   # the longest wins
    assert m.scan("市政府办公室") == []
    assert [(p, e.wrong) for p, e in m.scan("请到办工地点")] == [(2, "办工")]
    with pytest.raises(ValueError):
        parse_entry({"wrong": "办公", "right": "办公室"}, "t")
    with pytest.raises(ValueError):
        parse_entry({"wrong": "x", "right": "y", "category": "其他"}, "t")


@pytest.fixture
def snap(tmp_path):
    s = Snapshot(tmp_path / "a.db")
    yield s
    s.store.close()


def test_findings_say_page_forms_context_and_position(snap, tmp_path):
    body = "为深入开展扫黑险恶专项斗争，根据国务院办工厅通知，现将有关工作布署如下。布署到位。"
    url = snap.page("/xxgk/tzgg/t_1.html", title="关于开展扫黑除恶专项斗争的通知", text=body)
    snap.page("/xxgk/tzgg/t_2.html", title="正常的通知", text="国务院办公厅印发通知，扫黑除恶专项斗争部署如下。")
    found = snap.audit("text.serious-error", "text.typo")
    got = sorted((f.check, f.url, f.evidence["wrong"], f.evidence["right"], f.evidence["position"], f.evidence["count"])
                 for f in found)
    assert got == [("text.serious-error", url, "国务院办工厅", "国务院办公厅", 16, 1),
                   ("text.serious-error", url, "扫黑险恶", "扫黑除恶", 5, 1),
                   ("text.typo", url, "布署", "部署", 31, 2)]
    by = {f.evidence["wrong"]: f for f in found}
    assert by["扫黑险恶"].severity.value == "error" and by["布署"].severity.value == "warning"
    assert "【扫黑险恶】" in by["扫黑险恶"].evidence["context"] and by["扫黑险恶"].evidence["where"] == "正文"
    assert "“扫黑险恶”应为“扫黑除恶”" in by["扫黑险恶"].message and "第 6 字" in by["扫黑险恶"].message
    assert by["扫黑险恶"].evidence["category"] == "时政表述"


def test_user_words_and_ignore_list(snap, tmp_path):
    words = tmp_path / "words.yaml"
    words.write_text("entries:\n  - {wrong: 临沂市人民正府, right: 临沂市人民政府, category: 机构名称, severity: 严重}\n",
                     encoding="utf-8")
    url = snap.page("/xxgk/t_1.html", title="通知", text="临沂市人民正府：现将有关工作布署如下。再接再励。")
    options = {"text": {"words_file": str(words), "ignore": ["布署"],
                        "words": [{"wrong": "再接再励", "right": "再接再厉", "severity": "严重"}]}}
    found = snap.audit("text.serious-error", "text.typo", options=options)
    assert sorted((f.check, f.evidence["wrong"], f.evidence["origin"]) for f in found) == [
        ("text.serious-error", "临沂市人民正府", "user"), ("text.serious-error", "再接再励", "user")]
    assert all(f.url == url and f.evidence["word_list"].endswith("+user") for f in found)
    options = {"text": {"ignore_urls": ["http://gov.test/xxgk/"]}}
    assert snap.audit("text.serious-error", "text.typo", options=options) == []
