"""The findings on real government pages: one real audit (the CLI, as a user runs it) of the
saved pages of ``../shared/real-pages`` served on loopback under their own host names, judged
against the hand labels (:func:`tests.realpages.judge`). Every labelled hidden spam link is
found, at most 3 false 暗链, at most 3 false alarms of any check in all. Skipped, saying why,
when the folder is absent."""

from __future__ import annotations

import pytest

from tests import realpages

MAX_FALSE_DARK_LINKS = 3
MAX_FALSE_ALARMS = 3


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    realpages.corpus()    # skips with the reason when the pages are not here
    return realpages.judge(realpages.audit(tmp_path_factory.mktemp("real-pages")))


def _listing(items) -> str:
    return "\n".join(f"  {code}: {pid}: {what} ({why})" for code, pid, what, why in items)


def test_every_labelled_spam_link_is_found(judged):
    missing = sorted(judged.spam_total - judged.spam_found)
    assert judged.spam_total and not missing, f"hidden spam links not reported as 暗链: {missing}"


def test_few_false_dark_links(judged):
    false = [("link.hidden", *item) for item in judged.false.get("link.hidden", ())]
    assert len(false) <= MAX_FALSE_DARK_LINKS, f"{len(false)} false 暗链:\n{_listing(false)}"


def test_few_false_alarms_of_any_check(judged):
    false = [(code, *item) for code, items in sorted(judged.false.items()) for item in items]
    assert len(false) <= MAX_FALSE_ALARMS, f"{len(false)} false alarms:\n{_listing(false)}\n{judged.table()}"


@pytest.mark.parametrize("code", ["disclosure.late", "metadata.inconsistent", "policy.no-interpretation"])
def test_no_false_alarm_of_the_date_and_pairing_rules(judged, code):
    """Old documents republished (disclosure.late ``since``), a forwarded report's date (not
    the notice's signature), a 解读 column on another host (inconclusive)."""
    assert not judged.false.get(code), _listing((code, *item) for item in judged.false[code])
