"""Unit tests of the privacy checks: GB 11643 check digits, region and birth validity, masked
forms, numbers inside longer numbers, and that no output ever holds a full number."""

from __future__ import annotations

import json

import pytest

from checks.privacy import (id_check_char, is_id_number, mask_id, mask_mobile, mask_numbers, scan_text)
from tests.test_checks_dates import AUDIT, H, Snapshot

TODAY = AUDIT


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


VALID = make_id("37130219850314253")            # 371302198503142538
VALID_X = "34052419800101001X"                    # the published test vector


@pytest.mark.parametrize("value, ok", [
    (VALID_X, True),
    (VALID_X.lower(), True),                      # a lower-case x is the same check character
    ("340524198001010013", False),                # the vector with a wrong check digit
    (VALID, True),
    (VALID[:17] + str((int(VALID[17]) + 1) % 10), False),
    (make_id("37130219901345123"), False),         # month 13
    (make_id("37130220230230123"), False),         # 30 February
    (make_id("37130220250101123"), False),         # born after the audit date
    (make_id("37130218990101123"), False),         # born before 1900
    (make_id("99130219900101123"), False),         # no province 99
    (make_id("20130219900101123"), False),         # no province 20
    (make_id("81000019900101123"), True),          # Hong Kong residents' code 81
    (make_id("71000019900101123"), True),          # 71 (台湾)
    ("37130219900101123", False),                  # 17 characters
])
def test_id_validity(value, ok):
    assert is_id_number(value, TODAY) is ok


def test_check_character_is_x_for_ten():
    assert id_check_char("34052419800101001") == "X"
    assert id_check_char("11010519491231002") == "X"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(k, masked) for k, masked, _ctx, _h in scan_text(text, TODAY)]


def test_full_numbers_are_found_and_masked():
    text = f"张某某，身份证号：{VALID}；李某 {VALID_X}；联系电话13905391234。"
    assert kinds(text) == [("id", "371302********2538"), ("id", "340524********001X"), ("mobile", "139****1234")]


@pytest.mark.parametrize("text", [
    "身份证号 3713**********1234",
    "身份证号 371302********123X",
    "手机 138****1234",
    "手机 139＊＊＊＊1234",
    f"银行账号 6{VALID}",                          # 19 digits: a longer run
    f"流水 {VALID}01",                              # 20 digits
    f"编号：{VALID}",                               # right after a code label
    "统一社会信用代码：91371313905391234X",           # a mobile-like run inside a credit code
    "订单号：2024061513905391234",                    # inside an order number
    "订单号2024061513905391234号",
    "合同金额13500000000元",                         # an amount
    "咨询电话：0539-8721234、0539-87212345",          # landlines
    "号码 1390539123",                               # 10 digits
    "号码 139053912345",                             # 12 digits
    "ID13905391234",                                 # glued to letters
    "号码 12905391234",                              # 12x is not a mobile prefix
])
def test_look_alikes_are_not_reported(text):
    assert kinds(text) == []


@pytest.mark.parametrize("text, masked", [
    ("手机：139 0539 8765。", "139****8765"),
    ("电话 +86 135-0539-8899", "135****8899"),
    ("电话 +8613505398899", "135****8899"),
    ("电话：13905391234（工作日）", "139****1234"),
    ("全角 １３９０５３９１２３４", "139****1234"),
])
def test_mobile_forms(text, masked):
    assert kinds(text) == [("mobile", masked)]


def test_masking_of_values_and_contexts():
    assert mask_id(VALID) == "371302********2538"
    assert mask_id(VALID_X.lower()) == "340524********001X"
    assert mask_mobile("+86 135-0539-8899") == "135****8899"
    text = f"张某 {VALID} 李某 340524198001010013 电话 13905391234 或 139 0539 8765 订单 2024061513905391234"
    masked = mask_numbers(text)
    for full in (VALID, "340524198001010013", "13905391234", "139 0539 8765", "2024061513905391234"):
        assert full not in masked
    assert "371302********2538" in masked and "139****1234" in masked and "139****8765" in masked
    for _k, _m, context, _h in scan_text(text, TODAY):
        assert not any(c in context for c in ("19850314", "0539123", "05398765", "51390539"))


def test_the_checks_report_each_value_once_per_page_and_never_the_full_number(tmp_path):
    snap = Snapshot(tmp_path / "p.db")
    second = make_id("37131119920720001")
    page = snap.page("/xxgk/rsxx/t_1.html", title="拟聘用人员公示",
                     text=f"张某 {VALID} 李某 {second} 张某（重复） {VALID} 联系人手机 13905391234")
    snap.page("/xxgk/rsxx/t_2.html", title="脱敏名单", text="张某 371302********2538 手机 139****1234")
    meta_page = snap.page("/xxgk/rsxx/t_3.html", title="元数据里的手机", meta={"发布机构": "某局 13905398765"})
    findings = snap.audit("privacy.id-number", "privacy.mobile")
    got = sorted((f.check, f.url, f.evidence["masked"]) for f in findings)
    assert got == sorted([("privacy.id-number", page, "371302********2538"),
                          ("privacy.id-number", page, "371311********" + second[-4:]),
                          ("privacy.mobile", meta_page, "139****8765"), ("privacy.mobile", page, "139****1234")])
    ids = {f.evidence["masked"]: f for f in findings if f.check == "privacy.id-number"}
    assert ids["371302********2538"].evidence["occurrences"] == 2
    assert ids["371302********2538"].evidence["distinct_on_page"] == 2
    assert "本页共 2 个" in ids["371302********2538"].message
    assert len({f.fingerprint for f in findings}) == 4
    stored = json.dumps([r["message"] + r["evidence_json"] for r in
                         snap.store.query("SELECT message, evidence_json FROM findings")], ensure_ascii=False)
    for full in (VALID, second, "13905391234", "13905398765"):
        assert full not in stored
    capped = snap.audit("privacy.id-number", options={"privacy.id-number": {"max_per_page": 1}})
    assert len(capped) == 1 and capped[0].evidence["distinct_on_page"] == 2
    snap.store.close()


def test_attachment_texts_are_scanned_and_named_as_attachments(tmp_path):
    snap = Snapshot(tmp_path / "a.db")
    article = snap.page("/xxgk/mzxx/t_5.html", title="低保对象名单公示", text="现将名单予以公示。")
    carrier = snap.page("/xxgk/rsxx/t_6.html", title="拟录用人员名单", text=f"详见附件。 周某某 {VALID}")
    xlsx, docx = H + "/xxgk/mzxx/P0205.xlsx", H + "/xxgk/rsxx/P0206.docx"
    snap.link("/xxgk/mzxx/t_5.html", xlsx, anchor="2024年低保对象名单.xlsx", kind="attachment")
    snap.link("/xxgk/rsxx/t_6.html", docx, anchor="名单.docx", kind="attachment")
    snap.store.insert_many("attachment_texts", [
        {"run_id": snap.run, "site": "s", "url": xlsx, "text": f"序号 姓名 身份证号 联系电话 1 刘某 {VALID_X} 13805391122"},
        # the docx is the carrier page's main text already: not reported twice
        {"run_id": snap.run, "site": "s", "url": docx, "text": f"周某某 {VALID}"}])
    findings = snap.audit("privacy.id-number", "privacy.mobile")
    got = sorted((f.check, f.url, f.page, f.evidence["masked"]) for f in findings)
    assert got == sorted([("privacy.id-number", carrier, None, "371302********2538"),
                          ("privacy.id-number", xlsx, article, "340524********001X"),
                          ("privacy.mobile", xlsx, article, "138****1122")])
    for f in findings:
        if f.url == xlsx:
            assert "附件" in f.message and "P0205.xlsx" in f.message and f.evidence["where"] == "附件"
            assert f.evidence["attachment"] == xlsx
    stored = json.dumps([r["message"] + r["evidence_json"] for r in
                         snap.store.query("SELECT message, evidence_json FROM findings")], ensure_ascii=False)
    for full in (VALID, VALID_X, "13805391122"):
        assert full not in stored
    snap.store.close()


def test_no_pages_is_not_applicable(tmp_path):
    snap = Snapshot(tmp_path / "e.db")
    assert snap.audit("privacy.mobile") == []
    state = snap.store.query("SELECT state FROM check_runs WHERE check_code = 'privacy.mobile'")[0]["state"]
    assert state == "n/a"
    snap.store.close()
