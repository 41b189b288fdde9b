"""Hidden elements and the forms of hiding that infected pages use for 暗链.

:class:`HiddenOracle` tells why an element (a link) is hidden from visitors: by its own
inline style, the ``hidden`` attribute or a class/id rule of an embedded ``<style>``, or
by any ancestor's. Two kinds of reasons:

- *never visible* (:func:`never_visible`), the forms 暗链 take: a 1-pixel or
  ``scrollamount``-racing ``<marquee>``; a block opened and closed by ``document.write``
  with a hiding style; off-screen text indent or position (2000px or more, beyond any
  screen: flyout menus sit a few hundred pixels aside); zero font size; text colour equal
  to the background colour; a 1-pixel box with ``overflow:hidden``; a class or id hidden
  by an unconditional ``<style>`` rule and mentioned by no other rule (``:hover``, a
  layout rule, an ``@media`` rule) and no inline script: a template's own classes appear
  in many rules, a class made up to hide an injected block only in its hiding rule;
- *collapsed* (inline ``display:none``, ``visibility:hidden``, ``opacity:0``, ``hidden``,
  zero size, a ``<style>`` rule for a class other rules mention): the state of dropdown
  and flyout menus, tab panels and 友情链接 lists, which a visitor opens by hovering,
  focusing or clicking.

A link that holds an image is visible whatever hides its text (font size 0, text indent,
text colour). Whether a hidden link is 暗链 also depends on where it leads and what it
says: :func:`spam_words` and the ``link.hidden`` check.
"""

from __future__ import annotations

import re

OFF_SCREEN_PX = 2000            # an offset this far out is beyond any screen
TINY_PX = 3                     # a marquee or overflow box this small shows nothing
NEVER_VISIBLE = ("off-screen", "font-size:0", "marquee", "document.write", "color=background",
                 "tiny-box", "style-rule")   # first word of a reason; "collapsed …" and the rest may open
_TEXT_ONLY = ("off-screen text-indent", "font-size:0", "color=background")

SPAM_WORDS = re.compile(
    r"博彩|娱乐|彩票|彩金|时时彩|六合彩|百家乐|真人|棋牌|赌|老虎机|葡京|威尼斯人|太阳城|投注|下注|"
    r"pk10|北京赛车|代孕|发票|办证|刻章|贷款|套现|私服|外挂|色情|成人视频|裸聊|捕鱼|开户送", re.I)

_DECL = re.compile(r"([a-zA-Z-]+)\s*:\s*([^;]+)")
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"([a-zA-Z0-9]*)([.#])([A-Za-z0-9_-]+)\s*$")
_NAMES_IN_SELECTOR = re.compile(r"[.#]([A-Za-z0-9_-]+)")
_REVEAL_STATE = re.compile(r":(?:hover|focus|focus-within|active|target|checked)\b", re.I)
_LENGTH = re.compile(r"^(-?\d+(?:\.\d+)?)(px|pt|em|rem|%)?$")
_DOC_WRITE = re.compile(r"document\.write(?:ln)?\s*\(\s*(['\"])(.*?)\1\s*\)", re.S)
_OPEN_TAG = re.compile(r"^\s*<\s*(\w+)([^>]*)>\s*$")
_CLOSE_TAG = re.compile(r"^\s*</\s*(\w+)\s*>\s*$")
_STYLE_ATTR = re.compile(r"style\s*=\s*(['\"]?)([^'\">]*)\1", re.I)
_COLOR_NAMES = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "blue": "#0000ff", "green": "#008000",
                "gray": "#808080", "grey": "#808080", "yellow": "#ffff00", "silver": "#c0c0c0"}


def never_visible(reason: str | None) -> bool:
    """Whether a hiding reason is one of the forms a visitor can never see or open."""
    return bool(reason) and reason.split(" ", 1)[0] in NEVER_VISIBLE


def spam_words(*texts: str | None) -> list[str]:
    """The gambling/lottery/fake-invoice words (博彩, 娱乐, 彩票, 代孕, 发票 …) in the texts."""
    found: list[str] = []
    for text in texts:
        for m in SPAM_WORDS.finditer(text or ""):
            if m.group(0) not in found:
                found.append(m.group(0))
    return found


def declarations(style: str | None) -> dict[str, str]:
    """``"a: 1; B:2"`` → ``{"a": "1", "b": "2"}`` (last one wins, ``!important`` dropped)."""
    out: dict[str, str] = {}
    for prop, value in _DECL.findall(style or ""):
        out[prop.strip().lower()] = value.replace("!important", "").strip().lower()
    return out


def _px(value: str | None) -> float | None:
    m = _LENGTH.match((value or "").strip())
    if not m or m.group(2) == "%":
        return None
    number = float(m.group(1))
    return number * 16 if m.group(2) in ("em", "rem") else number


def _color(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if value in _COLOR_NAMES:
        return _COLOR_NAMES[value]
    m = re.match(r"^#([0-9a-f]{3}|[0-9a-f]{6})\b", value)
    if m:
        h = m.group(1)
        return "#" + ("".join(c * 2 for c in h) if len(h) == 3 else h)
    m = re.match(r"^rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", value)
    if m:
        return "#" + "".join(f"{int(x):02x}" for x in m.groups())
    return None


def _background(decls: dict[str, str]) -> str | None:
    if "background-color" in decls:
        return _color(decls["background-color"])
    if "background" in decls:
        return _color(decls["background"].split()[0]) if decls["background"] else None
    return None


def hiding_reason(style: str | None) -> str | None:
    """Why an inline style (or a rule's declarations) hides its element, or None."""
    d = declarations(style)
    if not d:
        return None
    for prop in ("text-indent", "left", "top", "right", "margin-left", "margin-top"):
        px = _px(d.get(prop))
        if px is not None and px <= -OFF_SCREEN_PX:
            return f"off-screen {prop}:{d[prop]}"
    if _px(d.get("font-size")) == 0:
        return "font-size:0"
    width, height = _px(d.get("width")), _px(d.get("height"))
    if "hidden" in d.get("overflow", "") and width is not None and height is not None \
            and width <= TINY_PX - 2 and height <= TINY_PX - 2:
        return f"tiny-box {d['width']}×{d['height']}"
    if d.get("display") == "none":
        return "display:none"
    if d.get("visibility") == "hidden":
        return "visibility:hidden"
    if d.get("opacity") is not None and _px(d["opacity"]) == 0:
        return "opacity:0"
    if width == 0 and height == 0:
        return "zero-size"
    color = _color(d.get("color"))
    if color and color == _background(d):
        return f"color=background {color}"
    return None


def _marquee_reason(el) -> str | None:
    d = declarations(el.get("style"))
    sizes = [_px(el.get("height")), _px(el.get("width")), _px(d.get("height")), _px(d.get("width"))]
    tiny = [s for s in sizes if s is not None and s <= TINY_PX]
    if tiny:
        return f"marquee {int(min(tiny))}px"
    amount = _px(el.get("scrollamount"))
    if amount is not None and amount >= 500:
        return f"marquee scrollamount={int(amount)}"
    return None


def _same_colour_as_background(el) -> str | None:
    """Text coloured like the nearest background set inline on the element or an ancestor."""
    color = _color(declarations(el.get("style")).get("color")) if el.get("style") else None
    if not color:
        return None
    node = el
    while node is not None:
        background = _background(declarations(node.get("style"))) if isinstance(node.tag, str) else None
        if background:
            return f"color=background {color}" if background == color else None
        node = node.getparent()
    return None


def government_host(host: str) -> bool:
    """Hosts of the government's family of sites (gov.cn and its subdomains)."""
    host = (host or "").lower().rstrip(".")
    return host == "gov.cn" or host.endswith(".gov.cn")


def dark_link(reason: str | None, anchor: str | None, target: str, host: str) -> dict | None:
    """Why a hidden link to ``target`` (on ``host``, outside the site and its allowed
    domains) is 暗链, or None: never visible, or collapsed with spam words in its anchor or
    address; a government host is never 暗链."""
    if not reason or government_host(host):
        return None
    words = spam_words(anchor, target)
    if not (never_visible(reason) or words):
        return None
    return {"hidden_by": reason, "never_visible": never_visible(reason), "spam_words": words, "foreign_host": host}


class HiddenOracle:
    """Why an element is hidden from visitors (its own state or an ancestor's), memoised
    per tree; a never-visible reason anywhere up the chain wins over a collapsed one."""

    def __init__(self, tree):
        self.rules, mentioned = _style_rules(tree)
        scripts = " ".join(s.text or "" for s in tree.iter("script") if not s.get("src"))
        self.revealed = mentioned | {name for (_, name) in self.rules if name in scripts}
        self.written = _written_hidden(tree)
        self.memo: dict = {}

    def reason(self, el) -> str | None:
        reason = self._chain(el)
        if reason and reason.startswith(_TEXT_ONLY) and el.find(".//img") is not None:
            return None   # an image link shows whatever hides its text
        return reason

    def _chain(self, el) -> str | None:
        chain, node, inherited = [], el, None
        while node is not None:
            if node in self.memo:
                inherited = self.memo[node]
                break
            chain.append(node)
            node = node.getparent()
        for n in reversed(chain):
            own = self._own(n)
            if own and not (inherited and (never_visible(inherited) or not never_visible(own))):
                inherited = own
            self.memo[n] = inherited
        return inherited

    def _own(self, el) -> str | None:
        if not isinstance(el.tag, str):
            return None
        if el in self.written:
            return self.written[el]
        if el.tag == "marquee":
            reason = _marquee_reason(el)
            if reason:
                return reason
        if el.get("hidden") is not None:
            return "hidden"
        reason = hiding_reason(el.get("style"))
        if reason is None and self.rules:
            reason = self._by_rule(el)
        return reason or _same_colour_as_background(el)

    def _by_rule(self, el) -> str | None:
        keys = [("id", el.get("id", ""))] + [("class", c) for c in (el.get("class") or "").split()]
        for kind, name in keys:
            reason = self.rules.get((kind, name))
            if not reason:
                continue
            where = f"(<style> {'#' if kind == 'id' else '.'}{name})"
            if name in self.revealed:
                return f"collapsed {reason} {where}"
            return f"{reason} {where}" if never_visible(reason) else f"style-rule {reason} {where}"
        return None


def _style_rules(tree) -> tuple[dict[tuple[str, str], str], set[str]]:
    """Classes and ids that unconditional embedded ``<style>`` rules hide
    ({("class"|"id", name): reason}), and the names any other rule mentions (a ``:hover``
    rule, a layout rule, a rule for some screens only): a template's own classes appear in
    many rules, a class made up to hide an injected block only in its hiding rule."""
    rules: dict[tuple[str, str], str] = {}
    mentioned: set[str] = set()
    for style in tree.iter("style"):
        css, conditional = _split_at_rules(re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.S))
        for selectors, _ in _CSS_RULE.findall(conditional):
            mentioned.update(_NAMES_IN_SELECTOR.findall(selectors))
        for selectors, decls in _CSS_RULE.findall(css):
            reason = hiding_reason(decls)
            for sel in selectors.split(","):
                m = _SIMPLE_SELECTOR.search(sel.strip())
                if reason and m and not _REVEAL_STATE.search(sel):
                    rules[("class" if m.group(2) == "." else "id", m.group(3))] = reason
                    mentioned.update(_NAMES_IN_SELECTOR.findall(sel[:m.start()]))
                else:
                    mentioned.update(_NAMES_IN_SELECTOR.findall(sel))
    return rules, mentioned


def _split_at_rules(css: str) -> tuple[str, str]:
    """(the unconditional rules, the rules inside ``@media``/``@supports``/… blocks)."""
    plain, conditional, i = [], [], 0
    while i < len(css):
        at = css.find("@", i)
        if at < 0:
            plain.append(css[i:])
            break
        plain.append(css[i:at])
        opening = css.find("{", at)
        semicolon = css.find(";", at)
        if opening < 0 or 0 <= semicolon < opening:      # @import …; @charset …;
            i = (semicolon + 1) if semicolon >= 0 else len(css)
            continue
        depth, j = 1, opening + 1
        while j < len(css) and depth:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        conditional.append(css[opening + 1:j - 1])
        i = j
    return "".join(plain), "\n".join(conditional)


def _written_hidden(tree) -> dict:
    """Elements between a ``document.write("<div style='display:none'>")`` script and the
    script writing its closing tag: the browser puts them inside the hidden block."""
    out: dict = {}
    for script in tree.iter("script"):
        writes = _DOC_WRITE.findall(script.text or "")
        if len(writes) != 1:
            continue
        opening = _OPEN_TAG.match(writes[0][1])
        if not opening:
            continue
        style = _STYLE_ATTR.search(opening.group(2))
        reason = hiding_reason(style.group(2)) if style else None
        if not reason:
            continue
        tag = opening.group(1).lower()
        sib = script.getnext()
        between = []
        while sib is not None:
            if sib.tag == "script":
                closing = [_CLOSE_TAG.match(w[1]) for w in _DOC_WRITE.findall(sib.text or "")]
                if any(c and c.group(1).lower() == tag for c in closing):
                    for el in between:
                        out[el] = f"document.write {reason}"
                    break
            between.append(sib)
            sib = sib.getnext()
    return out
