"""The verdict per site, in the 抽查 通报's terms: 不合格 / 合格 / 待定, the 单项否决 items that
trigger it, the counts the inspections report, and a health score (not the official one).

Everything is derived from what is stored (the run's findings and check states, the watch's
probes) with the thresholds of ``checks/data/inspection.yaml`` as the run's config
overrides them; re-rendering a stored run gives the same verdicts. The trend compares with
the previous completed audit run, computed the same way.

Rules (the README has the same text, sourced):

* a veto item counts the site's findings of its check codes (waived ones excluded) and
  triggers at its threshold; a triggered item makes the site 不合格 whatever else is unknown;
* an item is undecided when one of its checks did not run, was not applicable or failed, when
  the home page could not be fetched (content items), or — availability — when the watch does
  not cover the window yet; with no item triggered and one undecided the site is 待定;
* otherwise 合格. The health score never changes the verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from checks.availability import Availability, availability, run_end
from checks.inspection import thresholds
from core.models import SiteStatus
from core.vocabulary import column_label
from store.db import row_to_finding
from store.history import counts_of

FAIL, PASS, PENDING = "不合格", "合格", "待定"
VERDICT_CLASS = {FAIL: "fail", PASS: "pass", PENDING: "pending"}
RAN = ("ok", "found")
LINK_CODES = ("link.broken", "attachment.broken", "link.redirect-loop", "link.soft404")
STALE_KINDS = ("news", "notice", "policy")


@dataclass
class VetoItem:
    id: str
    label: str
    rule: str
    source: str
    threshold: int
    count: int = 0
    triggered: bool = False
    decided: bool = True
    reason: str | None = None
    codes: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        return "triggered" if self.triggered else ("ok" if self.decided else "undecided")

    @property
    def state_label(self) -> str:
        return {"triggered": "单项否决", "ok": "未触发", "undecided": "待定"}[self.state]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "count": self.count, "threshold": self.threshold,
                "state": self.state, "reason": self.reason, "codes": list(self.codes)}


@dataclass
class ScoreItem:
    id: str
    label: str
    count: float
    deduction: float
    measured: bool
    rule: str


@dataclass
class SiteVerdict:
    site: str
    code: str | None
    unit: str | None
    url: str
    verdict: str
    items: list[VetoItem]
    counts: dict[str, Any]
    availability: Availability
    score: float | None
    score_items: list[ScoreItem] = field(default_factory=list)
    previous: dict[str, Any] | None = None

    @property
    def triggered(self) -> list[VetoItem]:
        return [i for i in self.items if i.triggered]

    @property
    def undecided(self) -> list[VetoItem]:
        return [i for i in self.items if not i.decided and not i.triggered]

    @property
    def css(self) -> str:
        return VERDICT_CLASS[self.verdict]

    @property
    def score_delta(self) -> float | None:
        if not self.previous or self.previous.get("score") is None or self.score is None:
            return None
        return round(self.score - self.previous["score"], 1)

    def as_dict(self) -> dict[str, Any]:
        """The per-site summary of the JSONL and the ledger."""
        return {"site": self.site, "site_code": self.code, "site_unit": self.unit, "verdict": self.verdict,
                "veto": [i.id for i in self.triggered], "veto_labels": [i.label for i in self.triggered],
                "undecided": [{"id": i.id, "reason": i.reason} for i in self.undecided],
                "score": self.score, "counts": self.counts,
                "availability": {k: v for k, v in self.availability.as_dict().items() if k != "failed_probes"},
                "previous": self.previous}


def site_identities(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """site name → {code, unit} from a run's stored config."""
    out = {}
    for s in (config or {}).get("sites") or []:
        if isinstance(s, dict) and s.get("name") is not None:
            out[str(s["name"])] = {"code": None if s.get("code") is None else str(s["code"]), "unit": s.get("unit")}
    return out


def _matches(item: dict[str, Any], ev: dict[str, Any]) -> bool:
    """Does a finding of the item's codes, ``ev`` its evidence, count under veto item ``item``?"""
    if item.get("kinds") and ev.get("kind") not in set(item["kinds"]):
        return False
    if item.get("top_level_kinds") and not _top_level(ev, set(item["top_level_kinds"])):
        return False
    return item.get("min_age_days") is None or _stale_age(ev) >= float(item["min_age_days"])


def _top_level(ev: dict[str, Any], kinds) -> bool:
    """Does a finding, ``ev`` its evidence, count under ``top_level_kinds``: not of those kinds,
    or an 一级栏目 (a finding stored before columns had levels counts as one)?"""
    return ev.get("kind") not in kinds or (ev.get("level") or 1) == 1


def _stale_age(ev: dict[str, Any]) -> float:
    return float("inf") if ev.get("newest") is None else float(ev.get("age_days") or 0)


def _is_home_link(f, ev: dict[str, Any], homes: set[str]) -> bool:
    linked = ev.get("linked_from")
    pages = [p.get("page") for p in linked.get("pages") or [] if isinstance(p, dict)] if isinstance(linked, dict) else []
    return bool(homes & ({f.page} | set(pages)))


def counted_codes(th: dict[str, Any]) -> set[str]:
    """Every check code a veto item or a score item counts: no other finding changes a verdict or
    a score."""
    return {c for spec in [*(th.get("veto") or []), *((th.get("score") or {}).get("items") or [])]
            for c in spec.get("codes") or ()}


def item_counts(th: dict[str, Any], findings, homes: set[str]) -> tuple[list[int], list[int]]:
    """How many of one site's ``findings`` (any iterable, read once: the findings are not held)
    count under each veto item and each score item of ``th``, in their order."""
    veto = list(th.get("veto") or [])
    items = list((th.get("score") or {}).get("items") or [])
    veto_codes = [set(v.get("codes") or ()) for v in veto]
    item_codes = [set(i.get("codes") or ()) for i in items]
    veto_n, item_n = [0] * len(veto), [0] * len(items)
    for f in findings:
        ev = None
        for k, spec in enumerate(veto):
            if f.check in veto_codes[k]:
                ev = (f.evidence or {}) if ev is None else ev
                veto_n[k] += _matches(spec, ev)
        for k, it in enumerate(items):
            if f.check not in item_codes[k]:
                continue
            where = it.get("where")
            if where in ("home", "other"):
                ev = (f.evidence or {}) if ev is None else ev
                if _is_home_link(f, ev, homes) != (where == "home"):
                    continue
            item_n[k] += 1
    return veto_n, item_n


@dataclass
class _Context:
    """What every site's verdict of one run reads besides its findings."""
    store: Any
    th: dict[str, Any]
    end: Any
    av_opts: dict[str, Any]
    homes_by_site: dict[str, set[str]]

    @classmethod
    def of(cls, store, run_id: int, config: dict[str, Any]) -> _Context:
        th = thresholds(config.get("inspection"))
        av_opts = {**(th.get("check_options") or {}).get("site.unavailable", {}),
                   **((config.get("checks") or {}).get("options") or {}).get("site.unavailable", {})}
        homes = {r["site"]: {u for u in (r["url"], r["final_url"]) if u} for r in store.home_fetches(run_id)}
        return cls(store, th, run_end(store, run_id), av_opts, homes)

    def homes(self, s) -> set[str]:
        return self.homes_by_site.get(s.name, set()) | {s.url}

    def judge(self, s, veto_n: list[int], item_n: list[int], check_states: dict[str, str]):
        """Site ``s``'s veto items, verdict, availability and score from its item counts."""
        reachable = s.status == "ok"
        av = availability(self.store, s.name, self.end, self.av_opts)
        items = []
        for spec, count in zip(self.th.get("veto") or [], veto_n):
            codes = tuple(spec.get("codes") or ())
            item = VetoItem(id=spec["id"], label=spec["label"], rule=spec.get("rule", ""), source=spec.get("source", ""),
                            threshold=int(spec.get("threshold", 1)), count=count, codes=codes)
            item.triggered = item.count >= item.threshold
            if not item.triggered:
                not_run = [c for c in codes if check_states.get(c) not in RAN]
                if "site.unavailable" in codes:
                    if not av.decided:
                        item.decided, item.reason = False, av.undecided_reason()
                    elif not_run:
                        item.decided, item.reason = False, "检查项 site.unavailable 本次未执行"
                elif not_run:
                    states = "、".join(f"{c}（{_STATE_LABELS.get(check_states.get(c), '本次未执行')}）" for c in not_run)
                    item.decided, item.reason = False, f"检查项未得出结果：{states}"
                elif not reachable:
                    item.decided = False
                    item.reason = ("本次未能检查（各次采集均失败）" if s.status == SiteStatus.NOT_AUDITED
                                   else "首页无法访问，内容未能检查")
            items.append(item)
        verdict = FAIL if any(i.triggered for i in items) else PENDING if any(not i.decided for i in items) else PASS
        score, score_items = _score(self.th.get("score") or {}, item_n, check_states, av, reachable)
        return items, verdict, av, score, score_items


def compute(store, run_id: int, findings, check_states: dict[str, str], sites: list,
            config: dict[str, Any], *, with_trend: bool = True) -> list[SiteVerdict]:
    """The verdict of every site of a run (``sites``: SiteSummary-like objects with name, url,
    status; ``findings``: the run's findings without the waived ones)."""
    ctx = _Context.of(store, run_id, config)
    ids = site_identities(config)
    previous = _previous(store, run_id, sites) if with_trend else {}
    # the per-kind 栏目不更新 counts follow the veto item (通知公告/政策文件: 一级栏目 only)
    top_level = set(next((v.get("top_level_kinds") or () for v in ctx.th.get("veto") or []
                          if v.get("id") == "stale-columns"), ()))
    by_site: dict[str, list] = {}
    for f in findings:
        by_site.setdefault(f.site, []).append(f)
    out = []
    for s in sites:
        mine = by_site.get(s.name, [])
        homes = ctx.homes(s)
        items, verdict, av, score, score_items = ctx.judge(s, *item_counts(ctx.th, mine, homes), check_states)
        reachable = s.status == "ok"
        ident = ids.get(s.name, {})
        sv = SiteVerdict(site=s.name, code=ident.get("code"), unit=ident.get("unit"), url=s.url, verdict=verdict,
                         items=items, counts=_counts(mine, homes, av, check_states if reachable else {}, top_level),
                         availability=av,
                         score=score, score_items=score_items, previous=previous.get(s.name))
        out.append(sv)
    return out


_STATE_LABELS = {"n/a": "不适用", "error": "执行出错", None: "本次未执行"}


def _counts(findings: list, homes: set[str], av: Availability, states: dict[str, str],
            top_level: set[str]) -> dict[str, Any]:
    broken = [f for f in findings if f.check in LINK_CODES]
    stale = [f for f in findings if f.check == "column.stale"]
    by_kind = {column_label(k): sum(1 for f in stale if (f.evidence or {}).get("kind") == k
                                and _top_level(f.evidence or {}, top_level))
               for k in STALE_KINDS}
    home_stale = next((f for f in findings if f.check == "site.home-stale"), None)
    return {
        "home_broken_links": sum(1 for f in broken if _is_home_link(f, f.evidence or {}, homes)),
        "site_broken_links": len(broken),
        "blank_columns": sum(1 for f in findings if f.check == "column.empty"),
        "stale_columns": by_kind,
        "stale_columns_total": len(stale),
        "long_stale_columns": sum(1 for f in stale if _stale_age(f.evidence or {}) >= 365),
        "home_stale": None if states.get("site.home-stale") not in RAN else home_stale is not None,
        "home_newest": (home_stale.evidence or {}).get("newest") if home_stale else None,
        "interaction_problems": (None if states.get("interaction.unanswered") not in RAN
                                 else sum(1 for f in findings if f.check == "interaction.unanswered")),
        "serious_errors": (None if states.get("text.serious-error") not in RAN
                           else sum(1 for f in findings if f.check == "text.serious-error")),
        "uptime_percent": av.uptime_percent,
        "probes": av.probes,
        "v6_percent": av.v6_percent,
    }


def _score(spec: dict[str, Any], item_n: list[int], states: dict[str, str], av: Availability,
           reachable: bool) -> tuple[float | None, list[ScoreItem]]:
    """The health score from the site's count per score item (:func:`item_counts`)."""
    if not reachable and not av.probes:
        return None, []
    items = []
    total = 0.0
    a = spec.get("availability")
    if a:
        measured = av.probes > 0
        lost = (100.0 - av.uptime_percent) if measured else 0.0
        d = min(float(a["cap"]), float(a["per_percent"]) * lost) if measured else 0.0
        items.append(ScoreItem("availability", a.get("label", "首页连通率"), round(lost, 2), round(d, 2), measured,
                               f"每低于100%一个百分点扣 {a['per_percent']:g} 分，最多 {a['cap']:g} 分"))
        total += d
    for it, count in zip(spec.get("items") or [], item_n):
        codes = set(it.get("codes") or ())
        measured = reachable and any(states.get(c) in RAN for c in codes)
        d = min(float(it["cap"]), float(it["per"]) * count) if measured else 0.0
        items.append(ScoreItem(it["id"], it["label"], count, round(d, 2), measured,
                               f"每项扣 {it['per']:g} 分，最多 {it['cap']:g} 分"))
        total += d
    return round(max(0.0, 100.0 - total), 1), items


def _previous(store, run_id: int, sites: list) -> dict[str, dict[str, Any]]:
    """The verdict and score of each site in the previous completed audit run. Its findings are
    read one at a time, in site order, and only counted (:func:`item_counts`; only those of
    the check codes a verdict or score counts are parsed): a nightly run's memory does not
    grow with the previous run's findings."""
    prev = store.last_run_before(run_id, status="completed")
    if prev is None:
        return {}
    waived = set(counts_of(store, prev, "waived"))
    states = {r["check_code"]: r["state"] for r in store.check_runs(prev)}
    names = {s.name for s in sites}
    prev_sites = [_Site(r["site"], r["url"], r["status"]) for r in store.run_sites(prev) if r["site"] in names]
    ctx = _Context.of(store, prev, json.loads(store.run(prev)["config_json"] or "{}"))
    by_name = {s.name: s for s in prev_sites}
    codes = counted_codes(ctx.th)
    rows = (r for r in store.finding_rows(prev) if r["check_code"] in codes and r["fingerprint"] not in waived)
    counts = {}
    for site, group in groupby(rows, key=lambda r: r["site"]):   # finding_rows is in site order
        if site in by_name:
            counts[site] = item_counts(ctx.th, (row_to_finding(r) for r in group), ctx.homes(by_name[site]))
    zero = ([0] * len(ctx.th.get("veto") or []), [0] * len(((ctx.th.get("score") or {}).get("items")) or []))
    out = {}
    for s in prev_sites:
        items, verdict, _, score, _ = ctx.judge(s, *counts.get(s.name, zero), states)
        out[s.name] = {"run_id": prev, "verdict": verdict, "score": score,
                       "veto": [i.id for i in items if i.triggered]}
    return out


@dataclass
class _Site:
    name: str
    url: str
    status: str


# -- report parts ---------------------------------------------------------------------------

LEAD = ("sections/verdict.html.j2", "检查结论（对照国办函〔2019〕80号单项否决指标）")
AVAILABILITY = ("sections/availability.html.j2", "可用性监测（首页连通率）")
CHART_WIDTH, ROW_HEIGHT = 720, 14


def chart(av: Availability) -> dict[str, Any]:
    """The probe strip of one site: one mark per probe on a time axis over the window, a row
    per address family (drawn as inline SVG by the template)."""
    from datetime import datetime

    start = datetime.fromisoformat(av.window_start).timestamp()
    span = max(av.window_seconds, 1.0)
    marks = []
    families = sorted({fam for _, fam, _ in av.series})
    for t, fam, result in av.series:
        x = (datetime.fromisoformat(t).timestamp() - start) / span * CHART_WIDTH
        marks.append({"x": round(min(max(x, 0), CHART_WIDTH - 2), 1), "y": families.index(fam) * (ROW_HEIGHT + 4),
                      "result": result, "time": t, "family": fam})
    width = max(2.0, min(6.0, CHART_WIDTH / max(1, len(av.series) // max(1, len(families)))))
    return {"marks": marks, "families": families, "width": CHART_WIDTH, "mark_width": round(width * 0.8, 1),
            "height": max(1, len(families)) * (ROW_HEIGHT + 4), "row_height": ROW_HEIGHT,
            "start": av.window_start, "end": av.window_end}


def attach(store, run_id: int, data) -> None:
    """Compute the verdicts of ``data``'s run, put the verdict table first in report.html and,
    when the watch has data, the availability section."""
    states = {r["check_code"]: r["state"] for r in data.check_runs}
    data.verdicts = compute(store, run_id, data.findings, states, data.sites, data.run.get("config") or {})
    for s in data.sites:
        ident = site_identities(data.run.get("config") or {}).get(s.name, {})
        s.code, s.unit = ident.get("code"), ident.get("unit")
    data.lead_sections.append(LEAD)
    if any(v.availability.watched for v in data.verdicts):
        data.sections.append(AVAILABILITY)


def write_jsonl(data, path) -> None:
    """sites.jsonl: one verdict summary per site of the run (``SiteVerdict.as_dict``), also for
    sites without findings."""
    import json

    with open(path, "w", encoding="utf-8") as out:
        for v in data.verdicts:
            out.write(json.dumps({"run_id": data.run.get("id"), **v.as_dict()}, ensure_ascii=False, sort_keys=True) + "\n")
