"""Hidden-element detection: inline styles, the hidden attribute and the class/id rules
of embedded <style> elements that hide an element or one of its ancestors."""

from __future__ import annotations

import re

_HIDING_DECLS = [
    (re.compile(r"display\s*:\s*none", re.I), "display:none"),
    (re.compile(r"visibility\s*:\s*hidden", re.I), "visibility:hidden"),
    (re.compile(r"font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|$|!)", re.I), "font-size:0"),
    (re.compile(r"(?:left|top|right)\s*:\s*-\d{3,}(?:\.\d+)?(?:px|em|rem)?", re.I), "off-screen"),
    (re.compile(r"text-indent\s*:\s*-\d{3,}", re.I), "off-screen"),
    (re.compile(r"(?:^|;|\s)(?:width|height)\s*:\s*0(?:px)?\s*(?:;|$|!)", re.I), "zero-size"),
    (re.compile(r"opacity\s*:\s*0(?:\.0+)?\s*(?:;|$|!)", re.I), "opacity:0"),
]
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"([a-zA-Z0-9]*)([.#])([A-Za-z0-9_-]+)\s*$")


def hiding_reason(style: str | None) -> str | None:
    if not style:
        return None
    for pattern, reason in _HIDING_DECLS:
        if pattern.search(style):
            if reason == "zero-size" and "overflow" not in style.lower() and "display" not in style.lower():
                if not re.search(r"width\s*:\s*0", style, re.I) or not re.search(r"height\s*:\s*0", style, re.I):
                    continue
            return reason
    return None


def hidden_selectors(tree) -> dict[tuple[str, str], str]:
    """Classes and ids that embedded <style> rules hide: {("class"|"id", name): reason}."""
    rules: dict[tuple[str, str], str] = {}
    for style in tree.iter("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.S)
        for selectors, decls in _CSS_RULE.findall(css):
            reason = hiding_reason(decls)
            if not reason:
                continue
            for sel in selectors.split(","):
                m = _SIMPLE_SELECTOR.search(sel.strip())
                if m:
                    rules[("class" if m.group(2) == "." else "id", m.group(3))] = reason
    return rules


class HiddenOracle:
    """Why an element is hidden from visitors (its own or an ancestor's state), memoised per tree."""

    def __init__(self, tree):
        self.rules = hidden_selectors(tree)
        self.memo: dict = {}

    def reason(self, el) -> str | None:
        chain = []
        node = el
        reason = None
        while node is not None:
            if node in self.memo:
                reason = self.memo[node]
                break
            chain.append(node)
            own = self._own(node)
            if own:
                reason = own
                break
            node = node.getparent()
        for n in chain:
            self.memo[n] = reason
        return reason

    def _own(self, el) -> str | None:
        if not isinstance(el.tag, str):
            return None
        if el.get("hidden") is not None:
            return "hidden"
        reason = hiding_reason(el.get("style"))
        if reason:
            return reason
        if self.rules:
            if (r := self.rules.get(("id", el.get("id", "")))):
                return r
            for cls in (el.get("class") or "").split():
                if (r := self.rules.get(("class", cls))):
                    return r
        return None
