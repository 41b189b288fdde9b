"""Sample pages of issue 4 (reading documents): policies and interpretations, national
laws and 行政法规, validity and 失效/废止 marking.

Hooked into :class:`~portal_audit.sample.full.FullPortalBuilder` by :func:`plant`, after
the base portal is built. It adds three columns to the 政府信息公开 page (linked from
/xxgk/): 政府文件 (/xxgk/zfwj/, policy), 文件解读 (/xxgk/wjjd/, interpretation) and
法律法规 (/xxgk/flfg/, regulation), with articles in several templates (TRS table, TRS
with Chinese dates and label variants, Hanweb ``<dl>``, ``<span>`` pairs, GBK pages, a
body that is only a PDF or DOCX link), and records the planted defects in ``expected``.

Planted defects (audit date 2024-06-30)
---------------------------------------
policy.no-interpretation
  P1 TRS policy (临政发〔2024〕31号) with no interpretation; the closest interpretation
     title scores below the threshold.  P2 GBK page (gb2312 meta, no charset header) with
     no interpretation.  P3 Hanweb ``<dl>`` page (/art/…) with no interpretation.
  Base portal: the 政策文件 without a 解读 (excluding the 表彰 决定 and the 名录 notice;
  zcwj[3] is only the target of a wrong link from another 解读, which does not count) and
  the two 关于印发… notices of the Hanweb 市教育局 column.
policy.late-interpretation (the finding is the policy's; its page is the 解读)
  P9 2024-04-08 → its 解读 2024-04-19 (9 working days).  P11 “2024.05.06” → 解读
  “2024年5月20日” (11 working days; Saturday 2024-05-11 is a 调休 working day).
  Base portal: every 解读 published more than 3 working days after its policy.
regulation.stale
  R1 《中华人民共和国政府信息公开条例》 still the 2007 text (国务院令第492号公布, 自2008年5月1日起
  施行), GBK without any charset.  R2 《中华人民共和国行政复议法》 at its 2017 修正 (2023 修订
  in force since 2024-01-01).  R3 《信访条例》 (repealed, 信访工作条例) published as valid.
document.expired-unmarked
  E1 有效期1年 from 自2023年4月1日起施行.  E2 Hanweb ``<dl>`` page, 有效期至二〇二四年五月三十一日,
  label 时效.  E3 body only a PDF link; the PDF says 试行期一年 from 印发 (2023-06-05).
  E4 body only a DOCX link; 有效期1年 from 2023-01-10.
document.repealed-unmarked
  X1t repealed by title (原《…规定》同时废止, in force 2024-04-01).  X2a repealed by 文号 only
  (下列文件同时废止：1.临政发〔2023〕47号 …), the repealing page being GBK.
document.marking-wrong
  W1 有效性 失效 but 有效期5年 from 2023-09-01.  W2 title 【已废止】 + 时效 废止 but 有效期至2026年.

Look-alikes (must not be flagged)
---------------------------------
- P4/I4 《》 name and links both ways, same day; P4 mentions a certificate 有效期 in the past.
- P5/I5: the 解读 is only linked from the 解读 list (with a “[原文]” link beside it),
  no link between the two pages; it names the policy in 《》.
- P6/I6: only a fuzzy title match (图解｜临沂市促进夜间经济发展的若干措施来了, score ≈ 89).
- P7/I7: 答记者问 whose body cites the policy's 文号 only.
- P8/I8: the policy page links its 解读, whose title names nothing.
- P10/I10: 2024-02-08 → 2024-02-19, 11 calendar days but 3 working days (Spring Festival,
  2024-02-18 调休).
- EL1 expired and marked 失效; X2b repealed and marked 失效 (validity still running);
  X3t named by a repeal that takes effect on 2024-08-01 (after the audit date).
- RL1 政府信息公开条例 at 国务院令第711号 (its header still names 492号);
  RL2 行政复议法实施条例 at 国务院令第499号: a 2026 revision exists in the catalog but was
  not adopted on the audit date; RL3 a notice about the 条例 (not the text itself).
- The base 法规文件 column (local regulations, not in the national catalog).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html import escape, unescape
from urllib.parse import urljoin

from core.workdays import workdays_between

from . import files
from .model import HTML_BARE, MAIN, TOKENS, Resource
from .templates import (
    GB2312_META,
    SITE_SUFFIX,
    UTF8_META,
    Article,
    article_footer_links,
    hanweb_article,
    page,
    trs_article,
    trs_list,
    trs_list_item,
    truncate,
)
from .titles import HANWEB_TITLES, ZCJD_TITLES

M = TOKENS[MAIN]
GOV, OFFICE = "临沂市人民政府", "临沂市人民政府办公室"
COLUMNS = [("zfwj", "政府文件"), ("wjjd", "文件解读"), ("flfg", "法律法规")]
PER_PAGE = 8

FILLER = [
    "为进一步规范管理，提升服务效能，根据有关法律法规和政策规定，结合本市实际，制定本文件。",
    "各县区人民政府，市政府各部门要切实加强组织领导，细化工作措施，明确责任分工，确保各项任务落地见效。",
    "有关部门要加强协调配合，建立健全工作推进机制，定期调度进展情况，及时研究解决实施中的问题。",
    "强化监督检查，将落实情况纳入年度考核，对工作推进不力的单位予以督促整改。",
]


@dataclass
class Doc:
    """One planted article."""

    key: str
    title: str
    column: str                      # zfwj | wjjd | flfg
    pub: date
    org: str = GOV
    doc_no: str = ""
    written: date | None = None
    validity: str = "有效"
    body: list[str] = field(default_factory=list)
    template: str = "trs"            # trs | trs-cn | hanweb-dl | spans | hanweb
    charset: str = "utf-8"           # utf-8 | gbk-meta | gbk-none
    path: str = ""
    extra_html: str = ""
    related: list[tuple[str, str]] = field(default_factory=list)
    attachment: tuple[str, bytes, str] | None = None   # (file name, bytes, content type): body is only this link
    list_extra: str = ""             # extra HTML inside the list item (e.g. a [原文] link)
    heading: str | None = None       # shown title when it differs (a title mark)
    index_no: str = ""

    @property
    def signed(self) -> date:
        return self.written or self.pub


def cn_date(d: date) -> str:
    """2024-03-05 → 二〇二四年三月五日."""
    digits = "〇一二三四五六七八九"

    def num(n: int) -> str:
        if n < 10:
            return digits[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")

    return "".join(digits[int(c)] for c in str(d.year)) + f"年{num(d.month)}月{num(d.day)}日"


def fmt(d: date, style: str) -> str:
    if style == "cn":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "cn-short":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "dot":
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    return d.isoformat()


def cjk_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text is Chinese (Adobe-GB1 STSong-Light, UniGB-UCS2-H), readable
    by pdfminer.six without any embedded font."""
    ops = ["BT /F1 12 Tf 16 TL 56 780 Td"]
    ops += [f"<{line.encode('utf-16-be').hex().upper()}> Tj T*" for line in lines]
    ops.append("ET")
    stream = "\n".join(ops).encode()
    return files.one_page_pdf(stream, [
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ])


# ---------------------------------------------------------------------------
# the planted documents


def _policies() -> list[Doc]:
    d = date
    P = []
    # -- policy.no-interpretation ------------------------------------------------------
    P.append(Doc("P1", f"{GOV}关于印发临沂市推进制造业数字化转型实施方案的通知", "zfwj", d(2024, 3, 12),
                 doc_no="临政发〔2024〕31号", written=d(2024, 3, 8),
                 body=["现将《临沂市推进制造业数字化转型实施方案》印发给你们，请认真贯彻执行。", *FILLER[:2],
                       "本方案自印发之日起施行，有效期至2027年12月31日。"]))
    P.append(Doc("P2", f"{OFFICE}关于印发临沂市加快发展银发经济若干措施的通知", "zfwj", d(2024, 5, 21),
                 org=OFFICE, doc_no="临政办发〔2024〕35号", written=d(2024, 5, 17), template="trs-cn",
                 charset="gbk-meta",
                 body=["现将《临沂市加快发展银发经济若干措施》印发给你们，请结合实际认真组织实施。", *FILLER[1:3],
                       "本措施自2024年6月1日起施行，有效期至2026年5月31日。"]))
    P.append(Doc("P3", f"{GOV}关于加快建设现代化物流枢纽城市的实施意见", "zfwj", d(2024, 4, 16),
                 doc_no="临政发〔2024〕33号", written=d(2024, 4, 12), template="hanweb-dl",
                 body=["为加快建设现代化物流枢纽城市，推动物流业高质量发展，现提出如下实施意见。", *FILLER[2:4],
                       "本意见自2024年5月1日起施行，有效期5年。"]))
    # -- pairs that match (look-alikes) --------------------------------------------------
    P.append(Doc("P4", f"{GOV}关于印发临沂市优化营商环境三年行动方案的通知", "zfwj", d(2024, 2, 26),
                 doc_no="临政发〔2024〕32号", written=d(2024, 2, 22),
                 body=["现将《临沂市优化营商环境三年行动方案》印发给你们，请认真贯彻落实。",
                       "已取得认定证书的企业，证书有效期至2023年12月31日的，应于2024年3月31日前重新申请。",
                       *FILLER[:2], "本方案自印发之日起施行。"]))
    P.append(Doc("P5", f"{OFFICE}关于印发临沂市城市停车设施建设管理办法的通知", "zfwj", d(2024, 4, 9),
                 org=OFFICE, doc_no="临政办发〔2024〕36号", written=d(2024, 4, 3), template="spans",
                 body=["《临沂市城市停车设施建设管理办法》已经市政府同意，现印发给你们，请认真贯彻执行。", *FILLER[1:3],
                       "本办法自2024年5月1日起施行，有效期5年。"]))
    P.append(Doc("P6", f"{OFFICE}关于印发临沂市促进夜间经济发展若干措施的通知", "zfwj", d(2024, 5, 14),
                 org=OFFICE, doc_no="临政办发〔2024〕38号", written=d(2024, 5, 10),
                 body=["现将《临沂市促进夜间经济发展若干措施》印发给你们，请认真组织实施。", *FILLER[:3],
                       "本措施自印发之日起施行，有效期至2026年12月31日。"]))
    P.append(Doc("P7", f"{OFFICE}关于进一步做好稳外贸稳外资工作的通知", "zfwj", d(2024, 4, 23),
                 org=OFFICE, doc_no="临政办发〔2024〕37号", written=d(2024, 4, 19), template="trs-cn",
                 body=["为进一步做好稳外贸稳外资工作，推动外贸外资保稳提质，经市政府同意，现就有关事项通知如下。",
                       *FILLER[1:4], "本通知自印发之日起施行，有效期至2025年12月31日。"]))
    P.append(Doc("P8", f"{GOV}关于印发临沂市水资源节约集约利用实施方案的通知", "zfwj", d(2024, 4, 30),
                 doc_no="临政发〔2024〕34号", written=d(2024, 4, 26),
                 body=["现将《临沂市水资源节约集约利用实施方案》印发给你们，请认真贯彻执行。", *FILLER[2:4],
                       "本方案自印发之日起施行，有效期至2028年12月31日。"]))
    # -- policy.late-interpretation ---------------------------------------------------------
    P.append(Doc("P9", f"{GOV}关于印发临沂市新一轮“无废城市”建设实施方案的通知", "zfwj", d(2024, 4, 8),
                 doc_no="临政发〔2024〕30号", written=d(2024, 4, 3),
                 body=["现将《临沂市新一轮“无废城市”建设实施方案》印发给你们，请认真抓好落实。", *FILLER[:2],
                       "本方案自印发之日起施行，有效期至2027年12月31日。"]))
    P.append(Doc("P10", f"{OFFICE}关于印发临沂市公共数据开放管理办法的通知", "zfwj", d(2024, 2, 8),
                 org=OFFICE, doc_no="临政办发〔2024〕30号", written=d(2024, 2, 5),
                 body=["《临沂市公共数据开放管理办法》已经市政府同意，现印发给你们，请认真贯彻执行。", *FILLER[1:3],
                       "本办法自2024年3月1日起施行，有效期5年。"]))
    P.append(Doc("P11", f"{OFFICE}关于加强农村集体资产管理的实施意见", "zfwj", d(2024, 5, 6),
                 org=OFFICE, doc_no="临政办发〔2024〕39号", written=d(2024, 4, 30), template="hanweb-dl",
                 body=["为加强农村集体资产管理，维护农村集体经济组织及其成员的合法权益，现提出如下实施意见。",
                       *FILLER[:2], "本意见自印发之日起施行，有效期至2029年4月29日。"]))
    return P


def _documents() -> list[Doc]:
    d = date
    D = []
    # -- document.expired-unmarked ---------------------------------------------------------
    D.append(Doc("E1", f"{GOV}关于印发临沂市市区道路临时停车收费管理暂行办法的通知", "zfwj", d(2023, 3, 22),
                 doc_no="临政发〔2023〕44号", written=d(2023, 3, 20),
                 body=["现将《临沂市市区道路临时停车收费管理暂行办法》印发给你们，请认真贯彻执行。", *FILLER[1:3],
                       "本办法自2023年4月1日起施行，有效期1年。"]))
    D.append(Doc("E2", f"{OFFICE}关于印发临沂市城乡居民临时救助实施细则的通知", "zfwj", d(2023, 5, 12),
                 org=OFFICE, doc_no="临政办发〔2023〕45号", written=d(2023, 5, 10), template="hanweb-dl",
                 body=["现将《临沂市城乡居民临时救助实施细则》印发给你们，请认真组织实施。", *FILLER[:2],
                       "本细则自印发之日起施行，有效期至二〇二四年五月三十一日。"]))
    e3_text = [
        "临沂市农业生产社会化服务项目管理办法（试行）",
        "第一条 为规范农业生产社会化服务项目管理，提高财政资金使用效益，制定本办法。",
        "第二条 本办法适用于本市行政区域内农业生产社会化服务项目的申报、实施和验收。",
        "第二十条 本办法由市农业农村局负责解释。",
        "第二十一条 本办法自印发之日起试行，试行期一年。",
        f"{OFFICE}",
        cn_date(d(2023, 6, 5)),
    ]
    D.append(Doc("E3", f"{OFFICE}关于印发临沂市农业生产社会化服务项目管理办法（试行）的通知", "zfwj", d(2023, 6, 7),
                 org=OFFICE, doc_no="临政办发〔2023〕46号", written=d(2023, 6, 5),
                 attachment=("P020230607400001.pdf", cjk_pdf(e3_text), files.PDF_TYPE)))
    e4_text = ("临沂市重点产业链“链长制”工作方案 为推动重点产业链高质量发展，建立市级领导同志担任产业链“链长”的工作机制，"
               "制定本方案。一、工作目标 围绕十大重点产业链，实行“一链一长”。二、保障措施 各链长单位要建立工作专班。"
               "本方案自2023年1月10日起施行，有效期1年。 临沂市人民政府 " + cn_date(d(2023, 1, 10)))
    D.append(Doc("E4", f"{GOV}关于印发临沂市重点产业链“链长制”工作方案的通知", "zfwj", d(2023, 1, 12),
                 doc_no="临政发〔2023〕40号", written=d(2023, 1, 10),
                 attachment=("P020230112400002.docx", files.make_docx(e4_text), files.DOCX_TYPE)))
    # -- look-alike: expired and marked ----------------------------------------------------
    D.append(Doc("EL1", f"{OFFICE}关于印发临沂市老旧小区改造工作实施办法的通知", "zfwj", d(2023, 4, 18),
                 org=OFFICE, doc_no="临政办发〔2023〕47号", written=d(2023, 4, 14), validity="失效",
                 body=["现将《临沂市老旧小区改造工作实施办法》印发给你们，请认真贯彻执行。", *FILLER[:2],
                       "本办法自2023年5月1日起施行，有效期至2023年12月31日。"]))
    # -- document.repealed-unmarked ----------------------------------------------------------
    D.append(Doc("X1", f"{OFFICE}关于印发临沂市户外广告设施设置管理办法的通知", "zfwj", d(2024, 3, 19),
                 org=OFFICE, doc_no="临政办发〔2024〕33号", written=d(2024, 3, 15),
                 body=["现将《临沂市户外广告设施设置管理办法》印发给你们，请认真贯彻执行。", *FILLER[1:3],
                       "本办法自2024年4月1日起施行，有效期5年。原《临沂市城区户外广告设置管理规定》同时废止。"]))
    D.append(Doc("X1t", f"{OFFICE}关于印发临沂市城区户外广告设置管理规定的通知", "zfwj", d(2023, 4, 25),
                 org=OFFICE, doc_no="临政办发〔2023〕48号", written=d(2023, 4, 21), template="spans",
                 body=["现将《临沂市城区户外广告设置管理规定》印发给你们，请遵照执行。", *FILLER[:2],
                       "本规定自印发之日起施行。"]))
    D.append(Doc("X2", f"{GOV}关于印发临沂市政府投资项目管理办法的通知", "zfwj", d(2024, 4, 2),
                 doc_no="临政发〔2024〕35号", written=d(2024, 3, 29), template="trs-cn", charset="gbk-meta",
                 body=["现将《临沂市政府投资项目管理办法》印发给你们，请认真贯彻执行。", *FILLER[:2],
                       "本办法自印发之日起施行，有效期5年。下列文件同时废止：1.临政发〔2023〕47号；"
                       "2.《临沂市政府投资项目代建制管理暂行办法》（临政办发〔2023〕49号）。"]))
    D.append(Doc("X2a", f"{GOV}关于加强政府投资项目管理的意见", "zfwj", d(2023, 3, 7),
                 doc_no="临政发〔2023〕47号", written=d(2023, 3, 3),
                 body=["为加强政府投资项目管理，提高政府投资效益，现提出如下意见。", *FILLER[1:4]]))
    D.append(Doc("X2b", f"{OFFICE}关于印发临沂市政府投资项目代建制管理暂行办法的通知", "zfwj", d(2023, 4, 11),
                 org=OFFICE, doc_no="临政办发〔2023〕49号", written=d(2023, 4, 7), validity="失效",
                 heading=f"{OFFICE}关于印发临沂市政府投资项目代建制管理暂行办法的通知（已失效）",
                 body=["现将《临沂市政府投资项目代建制管理暂行办法》印发给你们，请认真贯彻执行。", *FILLER[:2],
                       "本办法自2023年5月1日起施行，有效期至2025年12月31日。"]))
    D.append(Doc("X3", f"{OFFICE}关于印发临沂市公共资源交易管理办法的通知", "zfwj", d(2024, 6, 18),
                 org=OFFICE, doc_no="临政办发〔2024〕40号", written=d(2024, 6, 14),
                 body=["现将《临沂市公共资源交易管理办法》印发给你们，请认真贯彻执行。", *FILLER[1:3],
                       "本办法自2024年8月1日起施行，有效期5年，《临沂市公共资源交易管理暂行办法》同时废止。"]))
    D.append(Doc("X3t", f"{OFFICE}关于印发临沂市公共资源交易管理暂行办法的通知", "zfwj", d(2023, 2, 14),
                 org=OFFICE, doc_no="临政办发〔2023〕41号", written=d(2023, 2, 10),
                 body=["现将《临沂市公共资源交易管理暂行办法》印发给你们，请认真贯彻执行。", *FILLER[2:4],
                       "本办法自印发之日起施行。"]))
    # -- document.marking-wrong --------------------------------------------------------------
    D.append(Doc("W1", f"{OFFICE}关于印发临沂市重大行政决策程序规定的通知", "zfwj", d(2023, 8, 15),
                 org=OFFICE, doc_no="临政办发〔2023〕42号", written=d(2023, 8, 11), validity="失效",
                 body=["现将《临沂市重大行政决策程序规定》印发给你们，请认真贯彻执行。", *FILLER[:2],
                       "本规定自2023年9月1日起施行，有效期5年。"]))
    D.append(Doc("W2", f"{GOV}关于印发临沂市科技创新券管理办法的通知", "zfwj", d(2023, 10, 10),
                 doc_no="临政发〔2023〕43号", written=d(2023, 10, 8), validity="废止", template="hanweb-dl",
                 heading=f"【已废止】{GOV}关于印发临沂市科技创新券管理办法的通知",
                 body=["现将《临沂市科技创新券管理办法》印发给你们，请认真组织实施。", *FILLER[1:3],
                       "本办法自2023年11月1日起施行，有效期至2026年10月31日。"]))
    return D


def _interpretations(policies: dict[str, Doc]) -> list[Doc]:
    """The 解读 pages: hand-made ones for the look-alikes and late pairs, one generic one for
    every other unmarked policy that is not a planted no-interpretation defect."""
    d = date
    P = policies
    out = [
        Doc("I4", "《临沂市优化营商环境三年行动方案》政策解读", "wjjd", P["P4"].pub, org=GOV,
            body=["一、起草背景 为持续优化营商环境，激发市场主体活力，市政府印发了《临沂市优化营商环境三年行动方案》。",
                  "二、主要内容 方案围绕政务环境、市场环境、法治环境等方面提出具体举措。"],
            related=[("P4", P["P4"].title)]),
        Doc("I5", "《临沂市城市停车设施建设管理办法》解读", "wjjd", P["P5"].pub, org=OFFICE,
            body=["一、制定背景 近年来我市机动车保有量快速增长，停车供需矛盾日益突出。",
                  "二、主要内容 办法明确了停车设施规划、建设、管理等方面的要求。"],
            list_extra="P5"),
        Doc("I6", "图解｜临沂市促进夜间经济发展的若干措施来了", "wjjd", d(2024, 5, 15), org=OFFICE,
            body=["近日，我市出台促进夜间经济发展措施，从培育夜间消费场景、丰富夜间文旅产品等方面提出十条具体措施。",
                  "下面，通过图解带您了解主要内容。"]),
        Doc("I7", "市政府办公室负责同志就稳外贸稳外资政策答记者问", "wjjd", d(2024, 4, 24), org=OFFICE, template="spans",
            body=["近日，市政府办公室印发《关于进一步做好稳外贸稳外资工作的通知》（临政办发〔2024〕37号）。",
                  "市政府办公室负责同志就有关问题回答了记者提问。问：出台该通知的背景是什么？答：当前外贸外资发展面临新的形势。"]),
        Doc("I8", "节约集约利用水资源十问十答", "wjjd", P["P8"].pub, org=GOV,
            body=["问一：什么是水资源节约集约利用？答：以最小的水资源消耗获取最大的经济社会生态效益。",
                  "问二：我市在节水方面有哪些具体举措？答：全面实施用水总量和强度双控。"]),
        Doc("I9", "《临沂市新一轮“无废城市”建设实施方案》政策解读", "wjjd", d(2024, 4, 19), org=GOV,
            body=["一、出台背景 为深入推进“无废城市”建设，市政府印发了《临沂市新一轮“无废城市”建设实施方案》。",
                  "二、主要目标 到2027年，固体废物产生强度明显下降。"],
            related=[("P9", P["P9"].title)]),
        Doc("I10", "《临沂市公共数据开放管理办法》解读", "wjjd", d(2024, 2, 19), org=OFFICE,
            body=["一、制定背景 为规范公共数据开放，促进公共数据开发利用，市政府办公室印发了《临沂市公共数据开放管理办法》。",
                  "二、主要内容 办法明确了开放范围、开放方式和安全保障等要求。"]),
        Doc("I11", f"关于《{OFFICE}关于加强农村集体资产管理的实施意见》的解读", "wjjd", d(2024, 5, 20), org=OFFICE,
            template="trs-cn",
            body=["一、起草背景 为加强农村集体资产管理，市政府办公室印发了实施意见（临政办发〔2024〕39号）。",
                  "二、主要内容 实施意见从清产核资、资产登记、监督管理等方面作出规定。"]),
    ]
    for o in out:
        o.written = o.pub
    handmade = {"P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11"}
    defects = {"P1", "P2", "P3"}
    for key, p in policies.items():
        if key in handmade or key in defects or p.validity != "有效" or p.column != "zfwj":
            continue
        name = p.title.split("关于印发", 1)[1][:-len("的通知")] if "关于印发" in p.title else p.title
        out.append(Doc(f"I-{key}", f"《{name}》政策解读", "wjjd", p.pub, org=p.org, written=p.pub,
                       body=[f"一、出台背景 近日，《{name}》（{p.doc_no}）印发实施。",
                             "二、主要内容 文件明确了目标任务、工作措施和保障机制。"]))
    return out


def _regulations() -> list[Doc]:
    d = date
    gov_2007 = ("（2007年4月5日中华人民共和国国务院令第492号公布）",
                "第一章 总则 第一条 为了保障公民、法人和其他组织依法获取政府信息，提高政府工作的透明度，促进依法行政，"
                "充分发挥政府信息对人民群众生产、生活和经济社会活动的服务作用，制定本条例。",
                "第二条 本条例所称政府信息，是指行政机关在履行职责过程中制作或者获取的，以一定形式记录、保存的信息。",
                "第三十七条 教育、医疗卫生、计划生育、供水、供电、供气、供热、环保、公共交通等与人民群众利益密切相关的"
                "公共企事业单位在提供社会公共服务过程中制作、获取的信息的公开，参照本条例执行。",
                "第三十八条 本条例自2008年5月1日起施行。")
    gov_2019 = ("（2007年4月5日中华人民共和国国务院令第492号公布　2019年4月3日中华人民共和国国务院令第711号修订）",
                "第一章 总则 第一条 为了保障公民、法人和其他组织依法获取政府信息，提高政府工作的透明度，建设法治政府，"
                "充分发挥政府信息对人民群众生产、生活和经济社会活动的服务作用，制定本条例。",
                "第二条 本条例所称政府信息，是指行政机关在履行行政管理职能过程中制作或者获取的，以一定形式记录、保存的信息。",
                "第五十六条 本条例自2019年5月15日起施行。")
    fyfy_2017 = ("（1999年4月29日第九届全国人民代表大会常务委员会第九次会议通过　根据2009年8月27日第十一届全国人民代表大会"
                 "常务委员会第十次会议《关于修改部分法律的决定》第一次修正　根据2017年9月1日第十二届全国人民代表大会常务委员会"
                 "第二十九次会议《关于修改〈中华人民共和国法官法〉等八部法律的决定》第二次修正）",
                 "第一章 总则 第一条 为了防止和纠正违法的或者不当的具体行政行为，保护公民、法人和其他组织的合法权益，"
                 "保障和监督行政机关依法行使职权，根据宪法，制定本法。",
                 "第四十三条 本法自1999年10月1日起施行。1990年12月24日国务院发布、1994年10月9日国务院修订发布的"
                 "《行政复议条例》同时废止。")
    xinfang = ("（2005年1月10日中华人民共和国国务院令第431号公布）",
               "第一章 总则 第一条 为了保持各级人民政府同人民群众的密切联系，保护信访人的合法权益，维护信访秩序，制定本条例。",
               "第五十一条 本条例自2005年5月1日起施行。1995年10月28日国务院发布的《信访条例》同时废止。")
    fyfy_ss = ("（2007年5月29日中华人民共和国国务院令第四百九十九号公布）",
               "第一章 总则 第一条 为了进一步发挥行政复议制度在解决行政争议、建设法治政府、构建社会主义和谐社会中的作用，"
               "根据《中华人民共和国行政复议法》，制定本条例。",
               "第六十六条 本条例自2007年8月1日起施行。")
    notice = ("各县区人民政府，市政府各部门：",
              "《中华人民共和国政府信息公开条例》（国务院令第711号）自2019年5月15日起施行。为做好条例的学习宣传工作，现就有关事项通知如下。",
              *FILLER[1:3])
    return [
        Doc("R1", "中华人民共和国政府信息公开条例", "flfg", d(2023, 6, 12), org="国务院", doc_no="国务院令第492号",
            charset="gbk-none", body=list(gov_2007)),
        Doc("R2", "中华人民共和国行政复议法", "flfg", d(2023, 8, 1), org="全国人民代表大会常务委员会", doc_no="无",
            template="trs-cn", body=list(fyfy_2017)),
        Doc("R3", "信访条例", "flfg", d(2023, 9, 5), org="国务院", doc_no="国务院令第431号", body=list(xinfang)),
        Doc("RL1", "中华人民共和国政府信息公开条例（2019年修订）", "flfg", d(2024, 3, 4), org="国务院",
            doc_no="国务院令第711号", body=list(gov_2019)),
        Doc("RL2", "中华人民共和国行政复议法实施条例", "flfg", d(2023, 11, 20), org="国务院", doc_no="国务院令第499号",
            template="spans", body=list(fyfy_ss)),
        Doc("RL3", f"{OFFICE}关于认真学习贯彻《中华人民共和国政府信息公开条例》的通知", "flfg", d(2024, 5, 8),
            org=OFFICE, doc_no="临政办字〔2024〕31号", written=d(2024, 5, 6), body=list(notice)),
    ]


# ---------------------------------------------------------------------------
# rendering


def _meta_fields(doc: Doc, index_no: str, style: str) -> list[tuple[str, str]]:
    return [("索引号", index_no), ("主题分类", {"zfwj": "综合政务\\规范性文件", "wjjd": "综合政务\\解读",
                                            "flfg": "法律法规"}[doc.column]),
            ("发布机构", doc.org), ("成文日期", fmt(doc.signed, style)), ("发布日期", fmt(doc.pub, style)),
            ("文号", doc.doc_no), ("有效性", doc.validity), ("公开属性", "主动公开")]


_VARIANT_LABELS = {"发布机构": "发文机关", "成文日期": "生成日期", "文号": "发文字号", "有效性": "时效"}


def _body_html(doc: Doc) -> str:
    paras = "".join(f'<p style="text-indent:2em">{escape(p)}</p>\n' for p in doc.body)
    if doc.column != "flfg" and doc.body:
        paras += f'<p style="text-align:right">{escape(doc.org)}</p>\n<p style="text-align:right">{cn_date(doc.signed)}</p>\n'
    if doc.attachment:
        name = doc.attachment[0]
        label = doc.title.split("关于印发", 1)[-1].replace("的通知", "")
        paras += (f'<p>附件：<a href="./{name}" target="_blank">{escape(label)}.{name.rsplit(".", 1)[1]}</a></p>\n')
    return paras + doc.extra_html


def _related_html(doc: Doc) -> str:
    if not doc.related:
        return ""
    items = "".join(f'<li><a href="{escape(h)}" target="_blank">{escape(t)}</a></li>' for h, t in doc.related)
    return f'<div class="related"><div class="related-title">相关链接</div><ul>{items}</ul></div>\n'


def _custom_page(doc: Doc, index_no: str, column_name: str) -> str:
    shown = doc.heading or doc.title
    if doc.template == "trs-cn":
        fields = [(_VARIANT_LABELS.get(k, k), v) for k, v in _meta_fields(doc, index_no, "cn")]
        rows = "".join(
            f'<tr><th>{escape(fields[i][0])}：</th><td>{escape(fields[i][1])}</td>'
            f'<th>{escape(fields[i + 1][0])}：</th><td>{escape(fields[i + 1][1])}</td></tr>\n'
            for i in range(0, len(fields), 2))
        info = f'<table class="xxgk-table-cn" border="0">\n{rows}</table>'
        body = f'<div class="wz-body"><div id="UCAP-CONTENT">\n{_body_html(doc)}</div></div>'
    elif doc.template == "hanweb-dl":
        fields = [(_VARIANT_LABELS.get(k, k), v) for k, v in _meta_fields(doc, index_no, "dot")]
        dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in fields)
        info = f'<div class="xxgk-meta"><dl class="clearfix">{dl}</dl></div>'
        body = f'<div class="bt-article-content" id="zoomcon">\n{_body_html(doc)}</div>'
    else:  # spans
        fields = _meta_fields(doc, index_no, "cn-short")
        rows = "".join(f'<div class="meta-row"><span class="meta-label">{escape(k)}：</span>'
                       f'<span class="meta-value">{escape(v)}</span></div>' for k, v in fields)
        info = f'<div class="xxgk-info-box">{rows}</div>'
        body = f'<div class="article">\n<div class="content">\n{_body_html(doc)}</div>\n</div>'
    content = f"""<div class="main w1200">
<div class="xxgk-detail">
{info}
<h1 class="article-title">{escape(shown)}</h1>
<div class="article-info"><span>来源：{escape(doc.org)}</span></div>
{body}
{_related_html(doc)}</div>
</div>"""
    return page(
        shown + SITE_SUFFIX, content,
        crumbs=[("首页", "/"), ("政府信息公开", "/xxgk/"), (column_name, f"/xxgk/{doc.column}/"), ("正文", None)],
        charset=doc.charset, meta={"ColumnName": column_name},
        article_footer=article_footer_links("/site/jiucuo.html"), nav_current="政府信息公开",
    )


def _article(doc: Doc, index_no: str, column_name: str) -> Article:
    return Article(path=doc.path, title=doc.heading or doc.title, column=doc.column, column_name=column_name,
                   pub=doc.pub, written=doc.signed, org=doc.org, doc_no=doc.doc_no, index_no=index_no,
                   topic="综合政务", validity=doc.validity, body=list(doc.body), related=list(doc.related),
                   charset=doc.charset, list_title=truncate(doc.title, 30))


def _render(doc: Doc, index_no: str, column_name: str) -> str:
    if doc.template == "trs":
        art = _article(doc, index_no, column_name)
        art.body, art.extra_html = [], _body_html(doc)
        return trs_article(art)
    if doc.template == "hanweb":
        return hanweb_article(_article(doc, index_no, column_name))
    return _custom_page(doc, index_no, column_name)


# ---------------------------------------------------------------------------
# the hook


class ContentPolicyPlanter:
    def __init__(self, builder):
        self.b = builder
        self.next_id = 600100
        self.docs: dict[str, Doc] = {}
        self._linked: dict[str, tuple[str, tuple[int, bool]]] | None = None

    def new_id(self) -> int:
        self.next_id += 7
        return self.next_id

    def plant(self) -> None:
        policies = {doc.key: doc for doc in _policies() + _documents()}
        interps = _interpretations(policies)
        regs = _regulations()
        for doc in [*policies.values(), *interps, *regs]:
            aid = self.new_id()
            if doc.template == "hanweb-dl":
                doc.path = f"/art/{doc.pub.year}/{doc.pub.month}/{doc.pub.day}/art_6120_{aid}.html"
            else:
                doc.path = f"/xxgk/{doc.column}/{doc.pub:%Y%m}/t{doc.pub:%Y%m%d}_{aid}.html"
            doc.index_no = f"11371300004349497N/{doc.pub.year}-{aid % 100000:05d}"
            self.docs[doc.key] = doc
        for doc in self.docs.values():
            doc.related = [(self.docs[h].path if h in self.docs else h, t) for h, t in doc.related]
        # P8 links its interpretation (policy → 解读 only)
        p8, i8 = self.docs["P8"], self.docs["I8"]
        p8.extra_html += f'<p>相关解读：<a href="{i8.path}" target="_blank">{escape(i8.title)}</a></p>\n'
        names = dict(COLUMNS)
        for doc in self.docs.values():
            self._register(doc, names[doc.column])
        for code, name in COLUMNS:
            self._list(code, name, [doc for doc in self.docs.values() if doc.column == code])
        self._link_columns()
        self._expect()

    def _register(self, doc: Doc, column_name: str) -> None:
        html = _render(doc, doc.index_no, column_name)
        if doc.charset == "utf-8":
            res = Resource(body=html)
        else:
            if doc.charset == "gbk-none":
                html = html.replace(UTF8_META, "", 1).replace(GB2312_META, "", 1)
            res = Resource(body=html, content_type=HTML_BARE, encoding="gbk")
        self.b.main.add(doc.path, res)
        if doc.attachment:
            name, data, ctype = doc.attachment
            self.b.main.add(doc.path.rsplit("/", 1)[0] + "/" + name,
                            Resource(body=data, content_type=ctype, headers=[("Accept-Ranges", "bytes")], page=False))

    def _list(self, code: str, name: str, docs: list[Doc]) -> None:
        docs = sorted(docs, key=lambda d: (d.pub, d.path), reverse=True)
        chunks = [docs[i:i + PER_PAGE] for i in range(0, len(docs), PER_PAGE)]
        for idx, chunk in enumerate(chunks):
            items = []
            for doc in chunk:
                art = Article(path=doc.path, title=doc.heading or doc.title, column=code, column_name=name,
                              pub=doc.pub, written=doc.signed, org=doc.org,
                              list_href=doc.path if doc.path.startswith("/art/") else None)
                item = trs_list_item(art, f"/xxgk/{code}")
                if doc.list_extra:
                    target = self.docs[doc.list_extra]
                    item = item.replace("</a>", f'</a> <a class="yw" href="{target.path}" target="_blank">[原文]</a>', 1)
                items.append(item)
            path = f"/xxgk/{code}/index.html" if idx == 0 else f"/xxgk/{code}/index_{idx}.html"
            self.b.main.add(path, Resource(body=trs_list(code, name, "".join(items), idx, len(chunks))))

    def _link_columns(self) -> None:
        """Add the three columns to the 政府信息公开 page (where the crawler finds columns)."""
        res = self.b.main.resources["/xxgk/index.html"]
        blocks = []
        for code, name in COLUMNS:
            docs = sorted((d for d in self.docs.values() if d.column == code), key=lambda d: d.pub, reverse=True)[:5]
            lis = "".join(f'<li><a href="{escape(d.path)}" title="{escape(d.title)}">{escape(truncate(d.title, 22))}</a>'
                          f'<span>{d.pub.isoformat()}</span></li>' for d in docs)
            blocks.append(f'<div class="xxgk-block"><div class="xxgk-block-title"><a href="/xxgk/{code}/">{name}</a>'
                          f'</div><ul>{lis}</ul></div>\n')
        anchor = '<div class="xxgk-block"><div class="xxgk-block-title">部门信息公开</div>'
        body = res.body if isinstance(res.body, str) else res.body.decode("utf-8")
        if anchor not in body:
            raise RuntimeError("content_policy: the 政府信息公开 page changed; cannot add the issue-4 columns")
        res.body = body.replace(anchor, "".join(blocks) + anchor, 1)

    # -- expected findings ---------------------------------------------------------------
    def _expect(self) -> None:
        """Record the planted defects. ``page`` is a list page that links the defective page
        (the invariant of :class:`ExpectedFinding`); the findings themselves name the policy
        (late interpretation) or the repealing document (repealed) as their page."""
        b, docs = self.b, self.docs
        expect = self.expect
        for key in ("P1", "P2", "P3"):
            expect("policy.no-interpretation", docs[key].path)
        for key in ("P9", "P11"):
            expect("policy.late-interpretation", docs[key].path)   # the finding is the policy's
        for key in ("R1", "R2", "R3"):
            expect("regulation.stale", docs[key].path)
        for key in ("E1", "E2", "E3", "E4"):
            expect("document.expired-unmarked", docs[key].path)
        for key in ("X1t", "X2a"):
            expect("document.repealed-unmarked", docs[key].path)
        for key in ("W1", "W2"):
            expect("document.marking-wrong", docs[key].path)
        self._expect_base()
        b.lookalikes.update({
            "interpretation-only-from-list": M + docs["I5"].path,
            "interpretation-fuzzy-title": M + docs["I6"].path,
            "interpretation-by-doc-no": M + docs["I7"].path,
            "interpretation-linked-from-policy": M + docs["I8"].path,
            "interpretation-spring-festival": M + docs["I10"].path,
            "expired-marked": M + docs["EL1"].path,
            "repealed-marked": M + docs["X2b"].path,
            "repeal-not-yet-in-force": M + docs["X3t"].path,
            "regulation-current-711": M + docs["RL1"].path,
            "regulation-499-before-2026-revision": M + docs["RL2"].path,
            "notice-about-regulation": M + docs["RL3"].path,
        })

    def expect(self, check: str, path: str) -> None:
        self.b.expect(check, path, self.list_page(path))

    def list_page(self, path: str) -> str:
        """The list page of the main site that links ``path``: preferably one of its own
        column (whose directory contains it), else any list page, else any page."""
        if self._linked is None:
            self._linked = {}
            for src, res in self.b.main.resources.items():
                body = res.body if isinstance(res.body, str) else ""
                if not res.page or "href" not in body:
                    continue
                base = src.split("?", 1)[0]
                listed = base.endswith("/index.html") or "/index_" in base
                for href in re.findall(r'href="([^"#]+)"', body):
                    if href.startswith(("http:", "https:", "javascript:", "mailto:", "tel:", "@@")):
                        continue
                    target = urljoin(base, unescape(href))
                    folder = base.rsplit("/", 1)[0] + "/"
                    rank = (len(folder) if listed and target.startswith(folder) else 0, listed)
                    if target not in self._linked or rank > self._linked[target][1]:
                        self._linked[target] = (src, rank)
        if path not in self._linked:
            raise RuntimeError(f"content_policy: nothing links {path}")
        src = self._linked[path][0]
        return src[: -len("index.html")] if src.endswith("/index.html") else src

    def _expect_base(self) -> None:
        """Defects of these codes that the rest of the sample carries by construction.

        - base portal: the 政策文件 without a 解读 (the 表彰 决定 and the 名录 notice need none;
          zcwj[3] is only the target of a wrong link from another 解读, which does not count),
          the two 关于印发… notices of the Hanweb 市教育局 column, and every 解读 published more
          than 3 working days after its policy;
        - the pages of ``content_misc`` (timeliness/metadata/privacy): none of them has a 解读,
          so each article of its 规范性文件 column and each 关于印发… notice elsewhere lacks one.
        """
        b = self.b
        zcwj, zcjd = b.cols["zcwj"], b.cols["zcjd"]
        explained = {idx for _t, idx in ZCJD_TITLES}
        for i, a in enumerate(zcwj):
            if i not in explained and not NEEDS_NONE.search(a.title):
                self.expect("policy.no-interpretation", a.path)
        for title, a in zip(HANWEB_TITLES, b.hanweb):
            if "关于印发" in title:
                self.expect("policy.no-interpretation", a.path)
        for a, (_t, idx) in zip(zcjd, ZCJD_TITLES):
            if workdays_between(zcwj[idx].pub, a.pub) > 3:
                self.expect("policy.late-interpretation", zcwj[idx].path)
        mine = {d.path for d in self.docs.values()}
        base = {a.path for arts in b.cols.values() for a in arts} | {a.path for a in b.hanweb}
        for path, res in list(b.main.resources.items()):
            if path in mine or path in base or not res.page or not ARTICLE_PATH.search(path):
                continue
            body = res.body if isinstance(res.body, str) else ""
            m = re.search(r"<title>([^<]*)</title>", body)
            title = unescape(m.group(1)) if m else ""
            if INTERPRETATION.search(title):
                raise RuntimeError(f"content_policy: {path} is a 解读; update the expected findings")
            policy_column = path.startswith("/xxgk/gfxwj/")
            if (policy_column or "关于印发" in title) and not NEEDS_NONE.search(title):
                self.expect("policy.no-interpretation", path)


NEEDS_NONE = re.compile(r"表彰|名录|名单|公示")
ARTICLE_PATH = re.compile(r"/t\d{8}_\d+\.html$|/art_\d+_\d+\.html$")
INTERPRETATION = re.compile(r"解读|图解|答记者问")


def plant(builder) -> None:
    """Add the issue-4 pages to a full sample portal under construction."""
    ContentPolicyPlanter(builder).plant()
