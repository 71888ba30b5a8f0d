"""Scope screening rules (pure: no Django models): is a request outside the hotline's remit, a
private-interest demand, abusive? Keyword patterns are deliberately readable so the district
can audit and edit them; every hit says which words matched. Flags are proposals for a person
(the daily review), never decisions.

Flag codes match actions.SCREEN_REASONS where an agent can screen the order out for that reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

# code → (Chinese label for the review page and the published statistics, patterns). Labels are
# marked for translation and translated where they are shown.
RULES: dict[str, tuple[str, list[str]]] = {
    "litigation": (
        gettext_noop("诉讼、仲裁等法定途径事项"),
        [r"起诉", r"诉讼", r"仲裁", r"法院", r"判决", r"裁定书", r"执行款", r"强制执行", r"律师函",
         r"合同纠纷", r"借款", r"借钱不还", r"欠款不还", r"民间借贷", r"债务纠纷", r"打官司", r"离婚", r"遗产",
         r"继承纠纷", r"上诉"],
    ),
    "emergency": (
        gettext_noop("110/119/120/122紧急警情"),
        [r"着火", r"火灾", r"失火", r"起火", r"抢劫", r"持刀", r"杀人", r"绑架", r"车祸", r"交通事故", r"撞人",
         r"急救", r"昏迷", r"晕倒", r"心脏病发", r"大出血", r"溺水", r"报警", r"打劫", r"正在打架", r"有人跳楼"],
    ),
    "private_interest": (
        gettext_noop("为个人私利的不合理诉求"),
        [r"要求(?:政府|你们)?(?:给|赔)(?:我|偿).{0,6}(?:万|钱)", r"给我安排工作", r"帮我(?:找|安排)(?:工作|对象)",
         r"要求.{0,4}补偿.{0,4}(?:百万|千万|\d{3,}万)", r"不给钱就", r"私人恩怨", r"帮我讨债", r"帮我追债",
         r"帮我要回", r"帮我办理.{0,6}(?:户口|低保).{0,6}(?:不符合|不够)"],
    ),
    "malicious": (
        gettext_noop("恶意或辱骂性诉求"),
        [r"傻[逼比b屄]", r"煞笔", r"[操草艹]你", r"他妈的", r"tmd", r"王八蛋", r"混蛋", r"去死", r"狗官",
         r"废物", r"垃圾政府", r"弄死", r"炸了你们", r"报复社会", r"(?<![a-z])sb(?![a-z])"],
    ),
}

# The frequent-caller flag comes from the caller's history, not the text (see services.screen).
FLAG_LABELS: dict[str, str] = {code: label for code, (label, _p) in RULES.items()}
FLAG_LABELS["frequent_caller"] = gettext_noop("频繁来电且诉求不合理")

_COMPILED = {code: [re.compile(p, re.IGNORECASE) for p in pats] for code, (_label, pats) in RULES.items()}


@dataclass
class Flag:
    """A reason to put an order before a person: the rule's code, its label, the words that
    matched, and how sure the rule is (keywords: 0.6 for one hit, higher for several)."""

    code: str
    label: str
    evidence: list[str] = field(default_factory=list)
    confidence: float = 0.6

    @property
    def reason(self) -> str:
        return f"{self.label}：{'、'.join(self.evidence)}" if self.evidence else self.label


def screen_text(title: object, description: object) -> list[Flag]:
    """Keyword screening of a request's text. Never raises; empty text gives no flags."""
    text = unicodedata.normalize("NFKC", f"{title or ''} {description or ''}")[:20000]
    flags: list[Flag] = []
    for code, patterns in _COMPILED.items():
        found: list[str] = []
        for pat in patterns:
            m = pat.search(text)
            if m and m.group(0) not in found:
                found.append(m.group(0))
        if found:
            flags.append(Flag(code, FLAG_LABELS[code], found[:5], round(min(0.95, 0.5 + 0.15 * len(found)), 2)))
    return flags
