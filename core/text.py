"""Text and date helpers shared by the gatherer and the checks: dates, whitespace, CJK, timestamps."""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import date, datetime, timezone

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_CHARS = "〇零○Ｏ一二三四五六七八九十"

DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-./／])\s*(?P<m>\d{1,2})\s*(?:月|[-./／])\s*(?P<d>\d{1,2})\s*日?"
)
CN_DATE_RE = re.compile(
    rf"(?P<y>[{_CN_CHARS}]{{4}})年(?P<m>[{_CN_CHARS}]{{1,3}})月(?P<d>[{_CN_CHARS}]{{1,3}})日"
)


_FULLWIDTH_DIGIT = re.compile("[\uff10-\uff19]")


def _cn_number(text: str) -> int | None:
    """二〇二一 → 2021 (digit by digit); 十二 → 12; 二十五 → 25; 三十一 → 31."""
    if "十" not in text:
        try:
            return int("".join(str(_CN_DIGITS[c]) for c in text))
        except KeyError:
            return None
    tens, _, ones = text.partition("十")
    try:
        t = _CN_DIGITS[tens] if tens else 1
        o = _CN_DIGITS[ones] if ones else 0
    except KeyError:
        return None
    return t * 10 + o


def _make(y: int | None, m: int | None, d: int | None) -> date | None:
    if y is None or m is None or d is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, date]]:
    """All dates in ``text`` as (position, date), in order of appearance.

    Handles 2021-03-05, 2021/3/5, 2021.03.05, 2021年3月5日 and 二〇二一年三月五日.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text) if _FULLWIDTH_DIGIT.search(text) else text
    found = []
    for m in DATE_RE.finditer(text):
        d = _make(int(m["y"]), int(m["m"]), int(m["d"]))
        if d:
            found.append((m.start(), d))
    for m in CN_DATE_RE.finditer(text):
        d = _make(_cn_number(m["y"]), _cn_number(m["m"]), _cn_number(m["d"]))
        if d:
            found.append((m.start(), d))
    return sorted(found, key=lambda x: x[0])


def parse_date(text: str | None) -> date | None:
    """The first date in ``text``, or None."""
    dates = find_dates(text or "")
    return dates[0][1] if dates else None


def squash(text: str | None) -> str:
    """Collapse all whitespace (including full-width spaces) to single spaces."""
    # str.split() splits on exactly the characters re's \s matches (full-width and
    # no-break spaces included), without a regex
    return " ".join(text.split()) if text else ""


def cjk_count(text: str | None) -> int:
    return sum(1 for c in text or "" if "\u4e00" <= c <= "\u9fff")


_NOW: tuple[int, str] = (-1, "")   # the last second formatted, and its text


def now_iso() -> str:
    """Now, in the machine's local time zone, as ISO 8601 to the second (each second formatted
    once: a crawl stamps every row it writes)."""
    global _NOW
    second = int(time.time())
    if second != _NOW[0]:
        _NOW = (second, datetime.fromtimestamp(second, timezone.utc).astimezone().isoformat(timespec="seconds"))
    return _NOW[1]


def duration(value) -> float:
    """'30m', '15s', '7d', '1.5h', 90 → seconds."""
    if isinstance(value, bool):
        raise ValueError("应为秒数或 '30m' 这样的时长")
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError("时长应大于 0")
        return float(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*", str(value), re.I)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"无法识别的时长 {value!r}（示例：30m、15s、7d、1.5h）")
    unit = (m.group(2) or "s").lower()
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[unit]
