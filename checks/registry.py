"""The check registry: every rule is one decorated function with its metadata.

A check has a code such as ``link.broken``, a Chinese title, a default
severity, a how-to-fix text, the facts it requires from the gatherer, and
options with defaults. Its docstring is its documentation (what it flags,
what it deliberately does not, what evidence it gives); ``portal-audit checks
--explain CODE`` prints it.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from checks import load_all
from core.models import Finding, Severity, Verify, fingerprint
from core.vocabulary import Stage, stages_for


log = logging.getLogger(__name__)


class NotApplicable(Exception):
    """Raised by a check when the snapshot has nothing it can judge."""


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    severity: Severity
    fix: str
    func: Callable[["AuditContext"], Iterable[Finding]]
    verify: Verify
    requires: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    uses: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.code.split(".", 1)[0]

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")


REGISTRY: dict[str, Check] = {}


def check(code: str, *, title: str, severity: str, fix: str, verify: Verify | str, requires: Sequence[str] = (),
          options: Mapping[str, Any] | None = None, source: str = "", uses: Sequence[str] = ()):
    """Register the decorated function as the check ``code``.

    ``verify`` says how a later run proves its findings fixed (:class:`core.models.Verify`);
    ``requires`` names the stored facts it reads (tables, and the facts of the optional
    gather stages: :data:`core.vocabulary.STAGE_FACTS`), from which the runner decides
    which stages to run. ``uses`` names the shared indexes it reads (``ctx.computed`` keys,
    the part before any ``:``): an index is kept only while a check still to run uses it."""

    def register(func: Callable[["AuditContext"], Iterable[Finding]]):
        if code in REGISTRY:
            raise ValueError(f"check {code} registered twice")
        REGISTRY[code] = Check(code=code, title=title, severity=Severity(severity), fix=fix,
                               func=func, verify=Verify(verify), requires=tuple(requires), options=dict(options or {}),
                               source=source, uses=tuple(uses))
        return func

    return register


def all_checks() -> list[Check]:
    load_all()
    return sorted(REGISTRY.values(), key=lambda c: c.code)


def verify_rules() -> dict[str, Verify]:
    """Each check code's ``verify`` rule, for the finding history and the re-check."""
    return {c.code: c.verify for c in all_checks()}


def checks_section_problems(section) -> Iterator[tuple[str, str]]:
    """(config key, problem in Chinese) for each entry of the ``checks:`` config section
    (``select``, ``ignore``, ``severity``, ``options``) that names no registered check, or
    an option the check does not have."""
    checks = {c.code: c for c in all_checks()}
    hint = "（运行 portal-audit checks 查看全部）"
    for field_name in ("select", "ignore"):
        for i, pattern in enumerate(getattr(section, field_name)):
            if not any(matches(code, pattern) for code in checks):
                yield f"checks.{field_name}[{i}]", f"未知的检查项或前缀 {pattern!r}{hint}"
    for pattern in section.severity:
        if not any(matches(code, pattern) for code in checks):
            yield f"checks.severity.{pattern}", f"未知的检查项或前缀 {pattern!r}{hint}"
    for code, options in section.options.items():
        chk = checks.get(code)
        if chk is None:
            yield f"checks.options.{code}", f"未知的检查项 {code!r}（options 须写完整的检查项代码）{hint}"
            continue
        for option in options:
            if option not in chk.options:
                known = "、".join(chk.options) or "无"
                yield f"checks.options.{code}.{option}", f"检查项 {code} 没有选项 {option!r}，可用的选项：{known}"


def matches(code: str, pattern: str) -> int:
    """How specifically ``pattern`` (a code or a dotted prefix) matches ``code``; 0 = not at all."""
    if pattern in ("ALL", "*"):
        return 1
    if code == pattern:
        return 1000
    if code.startswith(pattern.rstrip(".") + "."):
        return 1 + pattern.count(".")
    return 0


def is_selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """flake8-style selection: the most specific matching pattern wins, ignore wins ties."""
    best_sel = max((matches(code, p) for p in select), default=0) if select else 1
    best_ign = max((matches(code, p) for p in ignore), default=0)
    return best_sel > 0 and best_sel > best_ign


@dataclass
class CheckSettings:
    """The ``checks:`` part of the config, resolved."""

    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def selected(self, only: Sequence[str] = ()) -> list[Check]:
        chosen = [c for c in all_checks() if is_selected(c.code, self.select, self.ignore)]
        if only:
            chosen = [c for c in chosen if any(matches(c.code, p) for p in only)]
        return chosen

    def stages(self, only: Sequence[str] = ()) -> set[Stage]:
        """The optional gather stages the selected checks need (from their ``requires``)."""
        return stages_for(fact for chk in self.selected(only) for fact in chk.requires)

    def severity_of(self, chk: Check) -> Severity:
        best, level = 0, chk.severity
        for pattern, value in self.severity.items():
            score = matches(chk.code, pattern)
            if score > best:
                best, level = score, Severity(value)
        return level

    def options_of(self, chk: Check) -> dict[str, Any]:
        """The check's defaults, then the family's options (``checks.options.text``), then
        the check's own (``checks.options."text.typo"``)."""
        merged = dict(chk.options)
        merged.update(self.options.get(chk.family, {}))
        merged.update(self.options.get(chk.code, {}))
        return merged


class AuditContext:
    """What a check sees: the stored snapshot of one run, read-only, plus its options.

    ``shared`` holds derived data computed once per audit and reused by many
    checks (for instance the set of pages linking to each target); ``used`` records the
    names (:func:`index_name`) of the indexes the check itself asked for, not those built
    inside another index's build.
    """

    def __init__(self, store, run_id: int, audit_date: date, sites: Mapping[str, Any],
                 chk: Check, severity: Severity, options: Mapping[str, Any],
                 shared: dict[str, Any]):
        self.store = store
        self.run_id = run_id
        self.audit_date = audit_date
        self.sites = sites
        self.check = chk
        self.severity = severity
        self.options = options
        self.shared = shared
        self.used: set[str] = set()
        self._building = 0

    def computed(self, key: str, build: Callable[[], Any]) -> Any:
        if not self._building:
            self.used.add(index_name(key))
        if key not in self.shared:
            self._building += 1
            try:
                self.shared[key] = build()
            finally:
                self._building -= 1
        return self.shared[key]

    def finding(self, *, site: str, url: str | None, page: str | None, message: str,
                evidence: Mapping[str, Any] | None = None, anchor: str | None = None,
                identity: Sequence[Any] | None = None, severity: Severity | None = None) -> Finding:
        """Build a finding of this check. ``identity`` are the fields that make it the
        same problem across runs (default: the defective URL)."""
        ident = tuple(identity) if identity is not None else (url,)
        return Finding(
            check=self.check.code, severity=severity or self.severity, site=site, url=url,
            page=page, anchor=anchor, message=message, evidence=dict(evidence or {}),
            fingerprint=fingerprint(self.check.code, site, *ident), run_id=self.run_id,
        )


@dataclass(frozen=True)
class CheckResult:
    code: str
    state: str          # "ok" | "found" | "n/a" | "error"
    found: int
    error: str | None
    elapsed: float
    used: frozenset[str] = frozenset()    # the shared indexes the check asked for


def index_name(key: str) -> str:
    """The name of a shared index's key: ``policy.index:<options>`` → ``policy.index``."""
    return key.split(":", 1)[0]


def release_unused(shared: dict[str, Any], still_to_run: Sequence[Check]) -> None:
    """Drop the shared indexes no check still to run uses (a check that asks for a dropped
    index after all gets it rebuilt: a declaration decides memory, never results)."""
    wanted = {name for chk in still_to_run for name in chk.uses}
    for key in [k for k in shared if index_name(k) not in wanted]:
        del shared[key]


def run_order(checks: Sequence[Check]) -> list[Check]:
    """``checks`` in code order, except that the checks sharing an index (``uses``) run one
    after another, depth first: each check is followed by the next check still to run that
    shares an index with it (and that one's, and so on), so that an index is built, used and
    released in one stretch rather than kept alive across unrelated checks."""
    left = list(checks)
    order: list[Check] = []

    def follow(chk: Check) -> None:
        order.append(chk)
        while nxt := next((c for c in left if set(c.uses) & set(chk.uses)), None):
            left.remove(nxt)
            follow(nxt)

    while left:
        follow(left.pop(0))
    return order


def run_checks(store, run_id: int, audit_date: date, sites: Mapping[str, Any],
               settings: CheckSettings, only: Sequence[str] = (),
               on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run the selected checks on a stored run (in :func:`run_order`); one failing check never
    stops the others. A shared index is released as soon as no check still to run uses it."""
    shared: dict[str, Any] = {}
    results = []
    selected = run_order(settings.selected(only))
    for i, chk in enumerate(selected):
        started = time.perf_counter()
        ctx = AuditContext(store, run_id, audit_date, sites, chk, settings.severity_of(chk),
                           settings.options_of(chk), shared)
        try:
            found, count = _rows(store, run_id, chk.func(ctx))
            store.delete_findings(run_id, [chk.code])
            store.save_finding_rows(found)
            del found
            state, error = ("found" if count else "ok"), None
        except NotApplicable as exc:
            state, error, count = "n/a", str(exc) or None, 0
        except Exception as exc:  # noqa: BLE001 - one check must never kill the run
            log.exception("check %s failed", chk.code)
            state, error, count = "error", f"{type(exc).__name__}: {exc}", 0
        result = CheckResult(chk.code, state, count, error, time.perf_counter() - started, frozenset(ctx.used))
        store.record_check_run(run_id, chk.code, state, count, error, result.elapsed)
        results.append(result)
        release_unused(shared, selected[i + 1:])
        if on_result:
            on_result(result)
    return results


def _rows(store, run_id: int, findings: Iterable[Finding]) -> tuple[list[tuple], int]:
    """A check's findings as the rows they are stored as (the store's ``finding_row``), each
    made as the check yields it: tens of thousands of findings are held as their rows, not as
    objects with parsed evidence. A fingerprint found again keeps its first finding; the count
    is of every finding made (CheckResult.found)."""
    rows: list[tuple] = []
    seen: set[str] = set()
    count = 0
    for f in findings:
        count += 1
        if f.fingerprint not in seen:
            seen.add(f.fingerprint)
            rows.append(store.finding_row(run_id, f))
    return rows, count
