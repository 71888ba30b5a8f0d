"""Procedure profiles applied to replies (the study's remedy 2: fit the procedure to the problem).

`reply_gaps` is used by the reply action (to refuse an incomplete reply) and by the reply page
(to show the unit, before it presses send, what a reviewer will check and what is missing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from hotline.directory import snapshot
from hotline.directory.models import ProcedureProfile, ReviewMode

# Used when a category has no profile: the general procedure.
DEFAULT_PROFILE = ProcedureProfile(
    name="一般诉求", code="general", require_process=True, require_outcome=True, min_process_chars=15,
    min_outcome_chars=10, require_contact=True, min_evidence=0, review_mode=ReviewMode.FULL, sample_rate=1.0,
)

# Replies that only push the caller elsewhere, with nothing done: the study's typical redo case
# ("来电人诉求应通过法律途径解决").
BRUSH_OFF_PHRASES = ("通过法律途径解决", "自行协商", "向法院起诉", "不属于我单位职责", "建议来电人自行")


@dataclass(frozen=True)
class Draft:
    responder: str
    process: str
    outcome: str
    contacted_caller: bool
    evidence_count: int


@dataclass(frozen=True)
class Gap:
    code: str
    message: str


def profile_for(order: object) -> ProcedureProfile:
    """The procedure of an order's category (inherited from the nearest ancestor that names one)."""
    category_id = getattr(order, "category_id", None)
    profile = snapshot.current().profile(category_id) if category_id is not None else None
    return profile or DEFAULT_PROFILE


def checklist(profile: ProcedureProfile, *, has_caller: bool = True) -> list[tuple[str, str]]:
    """What the reviewer will check, in the order shown on the reply page (a proactive order has
    no caller to contact)."""
    items = [("responder", _("答复人"))]
    if profile.require_process:
        items.append(("process", _("处办过程（不少于%(n)d字）：做了什么、何时、在哪里") % {"n": profile.min_process_chars}))
    if profile.require_outcome:
        items.append(("outcome", _("办理结果（不少于%(n)d字）：问题是否解决，未解决的原因和后续安排") % {"n": profile.min_outcome_chars}))
    if profile.require_contact and has_caller:
        items.append(("contact", _("与来电人联系的记录")))
    if profile.min_evidence:
        items.append(("evidence", _("现场证据至少%(n)d件（照片、文书或录音）") % {"n": profile.min_evidence}))
    return items


def reply_gaps(profile: ProcedureProfile, draft: Draft, *, contact_recorded: bool,
               has_caller: bool = True) -> list[Gap]:
    gaps: list[Gap] = []
    if not draft.responder.strip():
        gaps.append(Gap("responder", _("缺少答复人。")))
    process, outcome = draft.process.strip(), draft.outcome.strip()
    if profile.require_process and len(process) < profile.min_process_chars:
        gaps.append(Gap("process", _("处办过程过于简单：须写明做了什么（至少%(n)d字）。") % {"n": profile.min_process_chars}))
    if profile.require_outcome and len(outcome) < profile.min_outcome_chars:
        gaps.append(Gap("outcome", _("缺少办理结果：须写明问题是否解决（至少%(n)d字）。") % {"n": profile.min_outcome_chars}))
    if profile.require_contact and has_caller and not (contact_recorded or draft.contacted_caller):
        gaps.append(Gap("contact", _("没有与来电人联系的记录。")))
    if draft.evidence_count < profile.min_evidence:
        gaps.append(
            Gap("evidence", _("现场证据不足：需要%(need)d件，已上传%(have)d件。") % {"need": profile.min_evidence, "have": draft.evidence_count})
        )
    return gaps


def looks_like_brush_off(process: str, outcome: str) -> bool:
    """A reply that only redirects the caller: short, and made of a brush-off phrase."""
    text = (process + outcome).strip()
    return len(text) < 40 and any(p in text for p in BRUSH_OFF_PHRASES)


def drawn_for_review(profile: ProcedureProfile, order_number: str, round_no: int) -> bool:
    """Whether a reply goes to a reviewer. Full review: always. Sampled: a stable draw from the
    order number and reply round, so the decision is reproducible and cannot be re-rolled."""
    if profile.review_mode != ReviewMode.SAMPLE:
        return True
    digest = hashlib.sha256(f"{order_number}:{round_no}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < profile.sample_rate
