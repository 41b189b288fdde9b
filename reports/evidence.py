"""The Chinese words of the evidence the checks attach to their findings, for the report.

A check's evidence is a dict of facts under English keys (``checks/``); the HTML report
shows each fact under its label here, nested dicts included, and an enumerated value (a
verdict, a problem kind) in words. :func:`label` and :func:`value_label` fall back to the key
or value itself, so a new fact still shows; ``tests/test_e2e_second.py`` and
``tests/test_report_html.py`` fail when a check's evidence has a key without a label.
"""

from __future__ import annotations

from typing import Any

LABELS: dict[str, str] = {
    # a request's answer (link, attachment, IPv6 probe)
    "outcome": "结果代码", "outcome_label": "结果", "status": "HTTP状态", "status_label": "状态说明",
    "error": "错误信息", "attempts": "尝试次数", "elapsed": "耗时", "method": "请求方式", "final_url": "最终地址",
    "redirects": "跳转链", "linked_from": "引用页面", "line": "行号", "anchor": "链接文字", "attr": "链接属性",
    "fragment": "页内锚点", "title": "页面标题", "page": "页面", "pages": "页面", "url": "地址", "tag": "标签",
    "count": "数量", "rule": "判定规则", "reason": "原因",
    # link.wrong, link.hidden
    "target_title": "目标页面标题", "target_heading": "目标页面正文标题", "similarity": "相似度",
    "threshold": "判定阈值", "anchor_names": "链接文字所指文件", "target_names": "目标页面所载文件",
    "max_hops": "允许的跳转次数", "hidden_by": "隐藏方式", "hidden_label": "隐藏方式",
    "never_visible": "页面上始终不可见", "foreign_host": "外部域名", "spam_words": "涉赌涉诈等词语",
    # columns
    "column": "栏目", "kind": "类别代码", "kind_label": "类别", "items": "条目数", "says_empty": "页面写明暂无信息",
    "text_length": "正文字数", "age_days": "距最近更新（天）", "max_age_days": "更新周期上限（天）",
    "date_source": "日期来源", "level": "层级", "newest": "最近更新日期", "newest_item": "最近一条信息",
    "parent": "上级栏目", "navigation_home": "首页为导航页（按二级页面判定）", "disclosure": "政府信息公开栏目",
    "pattern": "栏目名称规则", "names_found": "已有的栏目名称", "reports": "已有的年度报告",
    # dates and deadlines
    "audit_date": "审计基准日", "published": "发布日期", "published_source": "发布日期来源", "written": "成文日期",
    "since": "适用规则起始日期", "limit": "期限", "decision": "属于决策类文件", "calendar_days": "相隔自然日",
    "working_days": "相隔工作日", "workdays": "相隔工作日", "max_workdays": "工作日上限", "days_late": "超期天数",
    "deadline": "期限", "date": "日期", "start": "起始日期", "end": "截止日期", "time": "时间", "year": "年份",
    "years_found": "已有年份",
    # metadata
    "fields": "元数据表已有字段", "missing": "缺少的字段", "present": "已有的字段", "problem": "问题类型",
    "value": "填写的值", "table": "元数据表", "table_published": "元数据表发布日期",
    "table_written": "元数据表成文日期", "signature": "落款日期", "signature_text": "落款原文",
    "problems": "不一致之处", "list": "列表日期", "list_page": "列表页", "what": "问题", "text": "说明",
    # documents, policies, interpretations, regulations
    "document": "文件", "validity_clause": "有效期条款", "validity_field": "有效性标注", "mark": "页面标注",
    "effective": "施行日期", "repealed_by": "废止文件", "named_by": "废止依据所指", "statement": "废止表述",
    "other_repealing_documents": "其他废止文件", "policy": "政策文件", "interpretation": "解读",
    "interpretation_source": "解读发布日期来源", "other_interpretations": "其他解读", "paired_by": "对应依据",
    "paired_with": "已对应的解读", "best_candidate": "最接近的解读", "score": "相似度得分",
    "interpretations_on_site": "站内解读总数", "catalog_title": "法规名称", "verdict": "判定",
    "page_shows": "页面所载", "in_force": "现行版本", "newer_adopted": "此后通过的版本", "repealed": "废止日期",
    "official_text": "官方文本出处", "official_source": "官方文本地址", "decree": "令号", "decrees": "令号",
    "effective_dates": "施行日期", "latest_revision": "最近修订", "revision_events": "修订沿革", "event": "事件",
    # text
    "wrong": "错误写法", "right": "正确写法", "category": "类别", "severity_label": "词表级别", "context": "上下文",
    "occurrences": "出现次数", "position": "位置（字符）", "where": "位置", "origin": "词表来源",
    "word_list": "词表版本",
    # privacy
    "masked": "脱敏后的号码", "attachment": "附件", "file": "文件名", "distinct_on_page": "本页不同号码数",
    "occurrences_on_page": "本页出现次数", "reported_on_page": "本页已报告数",
    # messages (留言) and consultation
    "asked": "留言日期", "answered": "答复日期", "state": "办理状态", "max_months": "答复时限（月）",
    # availability
    "probes": "探测", "failed": "失败次数", "inconclusive": "无法判定次数", "failure_percent": "失败比例（%）",
    "uptime_percent": "可用率（%）", "window_start": "统计起始", "window_end": "统计截止", "window_days": "统计天数",
    "decided": "可以判定", "undecided_reason": "无法判定的原因", "first_probe": "首次探测",
    "required_probes": "判定所需探测次数", "v6_probes": "IPv6 探测次数", "v6_ok": "IPv6 成功次数",
    "v6_percent": "IPv6 成功比例（%）", "failed_probes": "失败的探测", "threshold_percent": "判定阈值（%）",
    # IPv6 and DNS
    "host": "主机名", "name": "名称", "aaaa": "AAAA 记录", "a": "A 记录", "cname": "CNAME 链", "answers": "解析结果",
    "usable": "可用的地址", "unusable": "不可用的地址", "nameserver": "应答的域名服务器",
    "nameservers": "域名服务器", "zone": "域", "address": "地址", "addresses": "地址", "scope": "范围",
    "ipv4": "IPv4 访问", "ipv6": "IPv6 访问", "differences": "差异", "field": "项目", "label": "项目",
    "rate": "支持率", "target": "目标支持率", "supported": "支持的链接数", "total": "链接总数",
    "undecided": "无法判定的链接数", "undecided_links": "无法判定的链接", "links": "链接数",
    "sampled": "为抽样结果", "failing_hosts": "不支持的主机", "examples": "示例",
    "reasons": "原因",
}

# enumerated values a check writes as codes: key -> {code: words}
VALUES: dict[str, dict[str, str]] = {
    "verdict": {"stale": "未使用现行版本", "repealed": "已废止"},
    "origin": {"curated": "内置词表（人工整理）", "generated": "内置词表（生成）", "user": "自定义词表"},
    "problem": {"missing": "缺失", "invalid": "填写不规范", "published": "依申请公开或不予公开的信息已全文发布",
                "no-channel": "无网上咨询建言渠道", "unanswered": "留言超期未答复"},
    "scope": {"host": "整站", "link": "单个链接"},
}

# a coded fact whose words are another fact of the same evidence: only the words are shown
SAID_BY = {"kind": "kind_label", "hidden_by": "hidden_label"}


def label(key: Any) -> Any:
    """The Chinese label of an evidence key (the key itself when it has none)."""
    return LABELS.get(key, key)


def value_label(key: Any, value: Any) -> Any:
    """An enumerated evidence value in words (any other value as it is)."""
    words = VALUES.get(key)
    return words.get(value, value) if words and isinstance(value, str) else value
