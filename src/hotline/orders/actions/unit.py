"""What the handling unit does (sign, contact, progress, evidence, extensions, reply) and the review of its reply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.directory.models import User
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound

from .. import clock, deadlines, evidence, procedures, states
from ..models import (
    Evidence,
    ExtensionRequest,
    Note,
    Reply,
    Review,
    WorkOrder,
)
from ..selectors import orders_visible_to
from ..states import Action, State
from ..validation import as_id
from . import joint as joint_parts
from ._base import (
    MIN_REASON_CHARS,
    A,
    _atomic,
    _calendar,
    _check,
    _finish,
    _int,
    _later,
    _lock,
    _reason,
    system_user,
)

# ---- the unit handles it ----------------------------------------------------------------------------


def do_sign(order_id: int, *, actor: User) -> WorkOrder:
    """The lead unit signs for a dispatched order and starts handling it."""
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.SIGN)
        now = clock.now()
        order.signed_at = now
        _finish(order, actor, A.SIGN, target, now, unit=actor.unit_id, late=bool(order.sign_due and now > order.sign_due))
    return order


def _note_action(action: Action, kind: str, order_id: int, actor: User, text: str, **extra: Any) -> WorkOrder:
    text = _reason(text, "text", min_chars=2)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, action)
        now = clock.now()
        Note.objects.create(order=order, kind=kind, text=text, by=actor, unit_id=actor.unit_id, at=now)
        if action is A.CONTACT and order.first_contact_at is None:
            order.first_contact_at = now
        if action is A.URGE:
            order.urge_count += 1
        _finish(order, actor, action, target, now, text=text, **extra)
    return order


def do_contact(order_id: int, *, actor: User, text: str, method: str = "phone") -> WorkOrder:
    """Record contact with the caller (the first one stops the first-contact clock)."""
    return _note_action(A.CONTACT, Note.Kind.CONTACT, order_id, actor, text, method=method)


def do_progress(order_id: int, *, actor: User, text: str) -> WorkOrder:
    """Record progress on site."""
    return _note_action(A.PROGRESS, Note.Kind.PROGRESS, order_id, actor, text)


def do_urge(order_id: int, *, actor: User, text: str) -> WorkOrder:
    """Urge the unit (催办): the caller or the centre chases the order."""
    return _note_action(A.URGE, Note.Kind.URGE, order_id, actor, text)


def do_annotate(order_id: int, *, actor: User, text: str) -> WorkOrder:
    """Add a note to an order in any state."""
    return _note_action(A.ANNOTATE, Note.Kind.ANNOTATION, order_id, actor, text)


def do_view_phone(order_id: int, *, actor: User) -> str:
    """A unit's person looks at the caller's full number (it is masked for units). The look
    is an event in the trace; the number is returned."""
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.VIEW_PHONE)
        now = clock.now()
        _finish(order, actor, A.VIEW_PHONE, target, now, unit=actor.unit_id)
    return order.caller_phone


def do_attach(order_id: int, *, actor: User, file: IO[bytes] | File, name: str | None = None,
              kind: str | None = None) -> Evidence:
    """Attach a file to the trace (a site photo taken on a phone, a document, a recording).

    `file` is a file object (an upload, a django File, BytesIO), read in chunks; `name` defaults
    to its name. Before: the content is what the name says and an allowed type
    (orders/evidence.py), within HOTLINE_MAX_UPLOAD_BYTES. After: the stored file (a photo
    re-encoded without its metadata), its Evidence row and one event with its hash; a refusal
    leaves no file, no row and no event."""
    checked = evidence.check(file, name if name is not None else getattr(file, "name", "") or "")
    kind = kind or checked.kind
    if kind not in Evidence.Kind.values:
        raise InvalidInput(_("未知的材料类型。"), details={"kind": [kind]})
    stored = ""
    try:
        with _atomic():
            order = _lock(order_id)
            target = _check(order, actor, A.ATTACH)
            now = clock.now()
            item = Evidence(order=order, kind=kind, name=checked.name, sha256=checked.sha256, size=checked.size,
                            content_type=checked.content_type, uploaded_by=actor, uploaded_at=now)
            item.file.save(f"{order.number}-{checked.sha256[:12]}{checked.ext}", checked.content, save=False)
            stored = item.file.name
            item.save()
            _finish(order, actor, A.ATTACH, target, now, evidence=item.pk, name=checked.name, sha256=checked.sha256,
                    kind=kind, content_type=checked.content_type,
                    source_sha256=checked.source_sha256 if checked.source_sha256 != checked.sha256 else None)
    except BaseException:
        # The file was written before the transaction ended: without its row it must not stay.
        if stored:
            default_storage.delete(stored)
        raise
    return item


def do_view_evidence(order_id: int, *, actor: User, evidence_id: int) -> Evidence:
    """Someone looks at an evidence file where the order's procedure traces such looks
    (ProcedureProfile.trace_evidence_views; the evidence view decides when to call this). Only
    for an order the actor sees. After: one event naming the file; the Evidence is returned
    for the caller to serve."""
    pk = as_id(evidence_id)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.VIEW_EVIDENCE)
        if not orders_visible_to(actor).filter(pk=order.pk).exists():
            raise NotAllowed(_("这张工单不属于您所在的单位。"), details={"action": str(A.VIEW_EVIDENCE)})
        item = Evidence.objects.filter(order=order, pk=pk).first() if pk is not None else None
        if item is None:
            raise NotFound(_("材料不存在。"), details={"evidence_id": [_("请核对材料编号。")]})
        now = clock.now()
        _finish(order, actor, A.VIEW_EVIDENCE, target, now, evidence=item.pk, name=item.name, unit=actor.unit_id)
    return item


def do_request_extension(order_id: int, *, actor: User, days: int, reason: str) -> ExtensionRequest:
    """Ask for more working days, with the reason (wage arrears without written evidence take
    longer than five days to reconcile)."""
    reason = _reason(reason, "reason", min_chars=10)
    days = _int(days, "days")
    if not 1 <= days <= settings.HOTLINE_MAX_EXTENSION_DAYS:
        raise InvalidInput(_("延期天数须在1到%(n)d个工作日之间。") % {"n": settings.HOTLINE_MAX_EXTENSION_DAYS},
                           details={"days": [_("天数超出范围。")]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.REQUEST_EXTENSION)
        if order.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
            raise Conflict(_("已有一份待审批的延期申请。"))
        now = clock.now()
        req = ExtensionRequest.objects.create(order=order, unit_id=actor.unit_id, requested_by=actor,
                                              requested_at=now, days=days, reason=reason)
        _finish(order, actor, A.REQUEST_EXTENSION, target, now, request=req.pk, days=days, reason=reason)
    return req


def _decide_extension(order_id: int, actor: User, action: Action, note: str, days: int | None) -> ExtensionRequest:
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, action)
        req = order.extensions.filter(status=ExtensionRequest.Status.PENDING).order_by("-requested_at").first()
        if req is None:
            raise InvalidTransition(_("没有待审批的延期申请。"))
        now = clock.now()
        req.decided_by, req.decided_at, req.decision_note = actor, now, note
        if action is A.APPROVE_EXTENSION:
            granted = req.days if days in (None, "") else _int(days, "days")
            if not 1 <= granted <= req.days:
                raise InvalidInput(_("批准天数须在1到申请天数之间。"), details={"days": [str(req.days)]})
            req.status = ExtensionRequest.Status.APPROVED
            req.old_due = order.reply_due
            base = order.reply_due or now
            order.reply_due = deadlines.extend(base, granted, _calendar())
            req.new_due = order.reply_due
            req.days = granted
            order.extension_days += granted
        else:
            req.status = ExtensionRequest.Status.DENIED
        req.save()
        _finish(order, actor, action, target, now, request=req.pk, days=req.days, note=note,
                old_due=req.old_due, new_due=req.new_due)
    return req


def do_approve_extension(order_id: int, *, actor: User, note: str = "", days: int | None = None) -> ExtensionRequest:
    """Approve the pending extension (all or part of the days asked); the reply clock moves."""
    return _decide_extension(order_id, actor, A.APPROVE_EXTENSION, (note or "").strip(), days)


def do_deny_extension(order_id: int, *, actor: User, note: str) -> ExtensionRequest:
    """Deny the pending extension, with a reason."""
    return _decide_extension(order_id, actor, A.DENY_EXTENSION, _reason(note), None)


def do_reply(
    order_id: int, *, actor: User, responder: str, process: str, outcome: str,
    result: str = Reply.Result.RESOLVED, contacted_caller: bool = False, co_gap: str = "",
) -> Reply:
    """Reply to the hotline. The category's procedure decides what a reply must contain; an
    incomplete reply is refused with the list of what is missing. Under sampled review a reply
    not drawn passes review at once, by the system, with that reason in the trace.

    On a joint order the reply gathers the co-units' parts (actions/joint.py): it is refused while
    a part is owed and not yet due; an owed, overdue part lets it go with the gap stated in
    `co_gap`. The event records the parts gathered and those missing."""
    if result not in Reply.Result.values:
        raise InvalidInput(_("请选择办理结论。"), details={"result": [_("未知的办理结论。")]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.REPLY)
        profile = procedures.profile_for(order)
        # the lead's own fresh files (a co-unit's go with its part's reply)
        co_ids = list(order.co_units.values_list("id", flat=True))
        fresh_evidence = order.evidence.filter(reply__isnull=True, co_part__isnull=True).exclude(
            uploaded_by__unit_id__in=co_ids)
        draft = procedures.Draft(responder=responder or "", process=process or "", outcome=outcome or "",
                                 contacted_caller=contacted_caller, evidence_count=fresh_evidence.count())
        gaps = procedures.reply_gaps(profile, draft, contact_recorded=order.first_contact_at is not None,
                                     has_caller=not order.is_proactive)
        if gaps:
            raise InvalidInput(
                _("答复不完整：%(gaps)s") % {"gaps": " ".join(g.message for g in gaps)},
                code="reply_incomplete", details={"missing": [g.code for g in gaps],
                                                  "messages": [g.message for g in gaps]},
            )
        now = clock.now()
        if contacted_caller and order.first_contact_at is None:
            order.first_contact_at = now
        reply = Reply.objects.create(
            order=order, unit_id=order.lead_unit_id, author=actor, responder=draft.responder.strip(), replied_at=now,
            process=draft.process.strip(), outcome=draft.outcome.strip(), result=result,
            contacted_caller=contacted_caller,
            round=order.redo_count + 1,
        )
        joint = joint_parts.gather(order, reply, now, co_gap or "") if co_ids else {}
        if joint.get("co_gap"):
            reply.co_gap = joint["co_gap"]
            reply.save(update_fields=["co_gap"])
        if draft.evidence_count:
            fresh_evidence.update(reply=reply)
        order.replied_at = now
        drawn = procedures.drawn_for_review(profile, order.number, reply.round)
        _finish(order, actor, A.REPLY, target, now, reply=reply.pk, round=reply.round, result=result,
                late=bool(order.reply_due and now > order.reply_due), review="full" if drawn else "not_drawn", **joint)
        if not drawn:
            system = system_user()
            Review.objects.create(order=order, reply=reply, reviewer=system, decision=Review.Decision.APPROVE,
                                  note="抽样审核未抽中，自动通过", sampled=False, at=now)
            after = states.next_state(State(order.state), A.APPROVE)
            assert after is not None
            _finish(order, system, A.APPROVE, after, now, reply=reply.pk, reason="sample_not_drawn")
    return reply


# ---- review by effect (审核看实效) -----------------------------------------------------------------
# The reviewer answers what the caller got (EFFECT_QUESTIONS); a redo stands on at least one
# "no" and names the effect it failed (REDO_REASONS). Completeness (process written, contact
# recorded, evidence uploaded) is checked before the reply is sent (procedures.reply_gaps) and
# is no reason for redo on its own. See docs/review.md.
# Lazy: the review form's choices are built at import, before any user's language is known.
EFFECT_QUESTIONS = {
    "answered": gettext_lazy("诉求是否得到回应"),
    "resolved": gettext_lazy("问题是否解决，未解决是否说明原因和后续安排"),
    "factual": gettext_lazy("答复是否与事实相符"),
    "contacted": gettext_lazy("来电人是否被联系"),
}
REDO_REASONS = {
    "not_answered": gettext_lazy("未回应诉求的核心问题"),
    "not_solved": gettext_lazy("诉求未解决且未说明原因和后续安排"),
    "brush_off": gettext_lazy("推诿（仅让来电人另寻途径）"),
    "inconsistent": gettext_lazy("答复与事实或来电人所述不符"),
    "promise_unkept": gettext_lazy("承诺事项未落实"),
    "other": gettext_lazy("其他（须说明）"),
}
# The effect questions a reason stands on: a redo reason needs a "no" on one of them ("other"
# stands on any "no", and its note says which).
REASON_QUESTIONS: dict[str, frozenset[str]] = {
    "not_answered": frozenset({"answered"}),
    "not_solved": frozenset({"resolved"}),
    "brush_off": frozenset({"answered", "resolved"}),
    "inconsistent": frozenset({"factual"}),
    "promise_unkept": frozenset({"resolved", "factual"}),
    "other": frozenset(EFFECT_QUESTIONS),
}
# Completeness codes of the reviews before review by effect: no longer selectable, still shown
# (and counted in the reasons report) for the reviews and events that carry them.
LEGACY_REDO_REASONS = {
    "no_process": gettext_lazy("未写明处办过程（旧完整性理由）"),
    "no_outcome": gettext_lazy("未写明办理结果（旧完整性理由）"),
    "no_contact": gettext_lazy("未与来电人联系（旧完整性理由）"),
    "no_evidence": gettext_lazy("缺少现场证据（旧完整性理由）"),
}
REDO_REASON_LABELS = {**REDO_REASONS, **LEGACY_REDO_REASONS}


def _effect_checks(checks: Mapping[str, Any] | None) -> dict[str, bool]:
    """The reviewer's answers, only the questions answered (True = yes, False = no)."""
    if checks is None:
        return {}
    if not isinstance(checks, Mapping):
        raise InvalidInput(_("审核要点的回答格式不正确。"), details={"checks": [_("请逐项回答是或否。")]})
    unknown = [str(k) for k in checks if k not in EFFECT_QUESTIONS]
    if unknown:
        raise InvalidInput(_("未知的审核要点。"), details={"checks": unknown[:10]})
    out: dict[str, bool] = {}
    for key in EFFECT_QUESTIONS:
        value = checks.get(key)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise InvalidInput(_("审核要点的回答格式不正确。"), details={key: [_("请回答是或否。")]})
        out[key] = value
    return out


def _redo_grounds(reasons: Sequence[str], checks: Mapping[str, Any] | None) -> tuple[list[str], dict[str, bool]]:
    """Check a redo's reasons against the effect checklist. Without a checklist (a client of the
    API before review by effect) the questions the reasons name are taken as answered "no"."""
    if isinstance(reasons, str) or not isinstance(reasons, Sequence):
        raise InvalidInput(_("请选择驳回理由。"), details={"reasons": [_("至少选择一项。")]})
    reasons = list(dict.fromkeys(str(r) for r in reasons))
    legacy = [r for r in reasons if r in LEGACY_REDO_REASONS]
    if legacy:
        message = _("答复是否填写完整已在提交前检查，不能单独作为驳回理由；请说明答复在回应和解决诉求上的问题。")
        raise InvalidInput(message, code="completeness_not_a_reason", details={"reasons": [message], "codes": legacy})
    unknown = [r for r in reasons if r not in REDO_REASONS]
    if not reasons or unknown:
        raise InvalidInput(_("请选择驳回理由。"), details={"reasons": unknown[:10] or [_("至少选择一项。")]})
    answered = _effect_checks(checks)
    if checks is None:
        answered = {q: False for r in reasons if r != "other" for q in sorted(REASON_QUESTIONS[r])}
        return reasons, answered
    noes = {q for q, v in answered.items() if v is False}
    if not noes:
        raise InvalidInput(_("驳回重办须至少有一项审核要点回答为“否”：答复在哪一点上没有做到？"),
                           code="redo_without_effect", details={"checks": [_("请指出未做到的审核要点。")]})
    unmatched = [r for r in reasons if not REASON_QUESTIONS[r] & noes]
    if unmatched:
        message = _("驳回理由与审核要点不一致：%(reasons)s") % {
            "reasons": _("、").join(str(REDO_REASONS[r]) for r in unmatched)}
        raise InvalidInput(message, code="reasons_do_not_match", details={"reasons": [message], "codes": unmatched})
    return reasons, answered


def _reply_under_review(order: WorkOrder) -> Reply:
    reply = order.replies.order_by("-round").first()
    if reply is None:
        raise InvalidTransition(_("没有可审核的答复。"))
    return reply


def do_approve(order_id: int, *, actor: User, note: str = "", checks: Mapping[str, Any] | None = None) -> Review:
    """Accept a reply: the order goes to callback. `checks` are the reviewer's answers to the
    effect questions (EFFECT_QUESTIONS); an approval with a "no" needs a note saying why the
    reply still passes. After: the Review with its checks, one event carrying them."""
    answered = _effect_checks(checks)
    note = (note or "").strip()
    if any(v is False for v in answered.values()) and len(note) < MIN_REASON_CHARS:
        raise InvalidInput(_("审核要点有回答为“否”仍予通过的，须在意见中写明理由（至少%(n)d个字）。") % {"n": MIN_REASON_CHARS},
                           code="approve_needs_note", details={"note": [_("请说明为何仍予通过。")]})
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.APPROVE)
        now = clock.now()
        reply = _reply_under_review(order)
        review = Review.objects.create(order=order, reply=reply, reviewer=actor, decision=Review.Decision.APPROVE,
                                       note=note, sampled=True, at=now, checks=answered)
        _finish(order, actor, A.APPROVE, target, now, reply=reply.pk, note=note, checks=answered)
    return review


def do_redo(order_id: int, *, actor: User, reasons: Sequence[str], note: str,
            checks: Mapping[str, Any] | None = None, co_unit_ids: Sequence[int] = ()) -> Review:
    """Reject a reply for redo (驳回重办) for its effect: the reasons (REDO_REASONS) must each stand
    on a "no" in the reviewer's effect checklist (`checks`), and there must be one; completeness
    codes are refused (the reply was checked for them before it was sent). The unit has at least
    the redo limit again to reply. On a joint order the reviewer names the co-units whose part
    caused it (`co_unit_ids`): their replied parts are reopened, each due again by the co-reply
    limit and counted as a redo of the co-unit (docs/joint.md). After: the Review with reasons and
    checks, one event."""
    if isinstance(co_unit_ids, str | int) or co_unit_ids is None:
        raise InvalidInput(_("参数格式不正确。"), details={"co_unit_ids": [_("须为单位编号的列表。")]})
    reasons, answered = _redo_grounds(reasons, checks)
    note = _reason(note)
    with _atomic():
        order = _lock(order_id)
        target = _check(order, actor, A.REDO)
        now = clock.now()
        reply = _reply_under_review(order)
        review = Review.objects.create(order=order, reply=reply, reviewer=actor, decision=Review.Decision.REDO,
                                       reasons=reasons, note=note, sampled=True, at=now, checks=answered)
        order.redo_count += 1
        order.reply_due = _later(order.reply_due, _calendar().add(now, settings.HOTLINE_REDO_LIMIT))
        reopened = joint_parts.reopen(order, co_unit_ids, now)
        _finish(order, actor, A.REDO, target, now, reply=reply.pk, reasons=reasons, note=note, checks=answered,
                co_reopened=reopened)
    return review
