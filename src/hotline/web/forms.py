"""Forms for the workspaces. They only check the shape of input; the actions check the rest and
their DomainErrors are shown beside the fields (see web/actions.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.directory.models import Area, Category, Unit
from hotline.orders.actions import EFFECT_QUESTIONS, REDO_REASONS, SCREEN_REASONS, UNREASONABLE_REASONS
from hotline.orders.evidence import limit_text
from hotline.orders.models import (
    CALLBACK_APPEAL_REASONS,
    REDO_APPEAL_REASONS,
    AppealReason,
    Channel,
    Evidence,
    OrderAppeal,
    Reply,
    ReturnKind,
    Review,
    Satisfaction,
    Urgency,
)
from hotline.orders.validation import as_id, as_int
from hotline.widgets import QuickSelect


class WholeNumberField(forms.IntegerField):
    """An IntegerField read by the one integer parser (orders.validation.as_int): Django's own
    reads "3.0" as 3; here it is refused like "3.7"."""

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        number = as_int(value.strip() if isinstance(value, str) else value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows by id that refuses, as a field error, ids no id column can
    hold: Django sends `pk IN (<30 digits>)` to the database, which fails there (a 500)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if as_id(pk) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})
        return super()._check_values(value)


def handling_units() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Unit.objects.filter(active=True, handles_orders=True).order_by("kind", "name"),
        label=_("承办单位"), empty_label=_("请选择"),
    )


class IntakeForm(forms.Form):
    caller_name = forms.CharField(label=_("来电人"), max_length=50, required=False)
    caller_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False,
                                   widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    # What an agent can take in: not the channels that only a system writes (history import, Open311).
    channel = forms.ChoiceField(label=_("渠道"), initial=Channel.PHONE, choices=[
        (value, label) for value, label in Channel.choices if value not in {Channel.IMPORT, Channel.OPEN311}])
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.all(), required=False, empty_label=_("请选择"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("诉求内容"), widget=forms.Textarea(attrs={"rows": 5}))
    category = forms.ModelChoiceField(label=_("诉求分类"), queryset=Category.objects.filter(active=True, level__gte=2),
                                      required=False, empty_label=_("（由系统建议）"), widget=QuickSelect)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.GENERAL)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


class DispatchForm(forms.Form):
    unit = handling_units()
    co_units = IdsChoiceField(
        queryset=Unit.objects.filter(active=True, handles_orders=True), required=False, label=_("协办单位"),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    category = forms.ModelChoiceField(label=_("诉求分类（可更正）"), queryset=Category.objects.filter(active=True),
                                      required=False, empty_label=_("不变"), widget=QuickSelect)
    note = forms.CharField(label=_("说明（不按权责清单派单时必填）"), required=False, max_length=1000)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class TextForm(forms.Form):
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class ScreenOutForm(forms.Form):
    reason = forms.ChoiceField(label=_("不予受理原因"), choices=list(SCREEN_REASONS.items()))
    advice = forms.CharField(label=_("告知来电人的办理途径"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MergeForm(forms.Form):
    main_number = forms.CharField(label=_("主工单编号"), max_length=20)
    note = forms.CharField(label=_("说明"), required=False, max_length=1000)


class ReturnForm(forms.Form):
    kind = forms.ChoiceField(label=_("回退类型"), choices=ReturnKind.choices)
    reason = forms.CharField(label=_("回退理由（引用三定方案或权责清单）"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=4000)
    suggested_unit = forms.ModelChoiceField(
        queryset=Unit.objects.filter(active=True, handles_orders=True), required=False, label=_("建议承办单位"),
        empty_label=_("不确定"),
    )


class ReassignForm(forms.Form):
    unit = handling_units()
    co_units = IdsChoiceField(
        queryset=Unit.objects.filter(active=True, handles_orders=True), required=False, label=_("协办单位"),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    note = forms.CharField(label=_("裁定意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class EscalateForm(forms.Form):
    unit = handling_units()
    note = forms.CharField(label=_("裁定意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class JointForm(forms.Form):
    lead_unit = handling_units()
    co_units = IdsChoiceField(
        queryset=Unit.objects.filter(active=True, handles_orders=True), label=_("协办单位"),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    co_ask = forms.CharField(label=_("协办事项（交给每个协办单位，可不填）"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionForm(forms.Form):
    days = WholeNumberField(label=_("延期工作日"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ExtensionDecisionForm(forms.Form):
    days = WholeNumberField(label=_("批准工作日（留空为全部）"), min_value=1, required=False)
    note = forms.CharField(label=_("意见"), required=False, max_length=2000)


class ReplyForm(forms.Form):
    responder = forms.CharField(label=_("答复人"), max_length=50)
    process = forms.CharField(label=_("处办过程"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              max_length=8000)
    outcome = forms.CharField(label=_("办理结果"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=8000)
    result = forms.ChoiceField(label=_("办理结论"), choices=Reply.Result.choices)
    contacted_caller = forms.BooleanField(label=_("已与来电人联系"), required=False)
    co_gap = forms.CharField(label=_("协办答复缺项说明（协办单位超期未答复时填写）"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def for_order(self, order: Any) -> ReplyForm:
        # the gap is a joint order's: an order without co-units has no part to miss
        if not order.co_units.exists():  # type: ignore[attr-defined]
            del self.fields["co_gap"]
        return self


class AttachForm(forms.Form):
    file = forms.FileField(label=_("现场照片或材料"), widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx,.mp3,.m4a,.amr,.wav,.txt", "capture": "environment"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("照片、PDF、Word、Excel、文本或录音，不超过%(limit)s。") % {
            "limit": limit_text(settings.HOTLINE_MAX_UPLOAD_BYTES)}


# ---- review by effect: one checklist shared by the approve and redo forms ---------------------------
REVIEW_PREFIX = "review"  # the checklist and note are named alike in both forms (one form, two buttons)
YES_NO = [("1", _("是")), ("0", _("否"))]


class EffectChecklistForm(forms.Form):
    """The effect questions (EFFECT_QUESTIONS), yes or no, and the note, named review-<field> in
    both the approve and the redo form, so that the review page asks them once and either
    button sends them."""

    SHARED = (*EFFECT_QUESTIONS, "note")
    CHECK_INITIAL: str | None = "1"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # the approve and redo forms sit side by side on the order page: ids of their own
        kwargs.setdefault("auto_id", f"id_{kwargs.get('prefix') or REVIEW_PREFIX}_%s")
        super().__init__(*args, **kwargs)
        for name, label in EFFECT_QUESTIONS.items():
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=YES_NO, widget=forms.RadioSelect(attrs={"class": "inline"}),
                coerce=lambda v: v == "1", initial=self.CHECK_INITIAL)
        self.order_fields([*EFFECT_QUESTIONS, *[f for f in self.fields if f not in EFFECT_QUESTIONS]])

    def add_prefix(self, field_name: str) -> str:
        if self.prefix and field_name in self.SHARED:
            return f"{REVIEW_PREFIX}-{field_name}"
        return super().add_prefix(field_name)


class RedoForm(EffectChecklistForm):
    reasons = forms.MultipleChoiceField(label=_("驳回理由"), choices=list(REDO_REASONS.items()),
                                        widget=forms.CheckboxSelectMultiple, required=False)
    note = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    co_units = IdsChoiceField(queryset=Unit.objects.none(), required=False,
                              label=_("退回协办单位重新答复（问题出在其协办答复时选择）"),
                              widget=forms.CheckboxSelectMultiple)

    def for_order(self, order: Any) -> RedoForm:
        self.fields["co_units"].queryset = order.co_units.order_by("name")  # type: ignore[attr-defined]
        return self


class CoReplyForm(forms.Form):
    text = forms.CharField(label=_("协办答复（办理情况和结果，交主办单位汇总）"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class CoUrgeForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("协办单位"), empty_label=_("请选择"))
    text = forms.CharField(label=_("催办内容"), max_length=2000)

    def for_order(self, order: Any) -> CoUrgeForm:
        self.fields["unit"].queryset = order.co_units.order_by("name")  # type: ignore[attr-defined]
        return self

    def clean_reasons(self) -> list[str]:
        reasons = self.cleaned_data.get("reasons") or []
        if not reasons:
            raise forms.ValidationError(_("驳回重办须选择驳回理由。"))
        return reasons


class CallbackForm(forms.Form):
    valid = forms.TypedChoiceField(label=_("回访是否有效"), choices=[("1", _("有效")), ("0", _("无效"))],
                                   coerce=lambda v: v == "1", initial="1")
    contacted = forms.TypedChoiceField(label=_("承办单位是否联系过您？"), choices=[("", "—"), ("1", _("是")), ("0", _("否"))],
                                       coerce=lambda v: v == "1", empty_value=None, required=False)
    resolved = forms.TypedChoiceField(label=_("您的问题是否解决？"), choices=[("", "—"), ("1", _("已解决")), ("0", _("未解决"))],
                                      coerce=lambda v: v == "1", empty_value=None, required=False)
    satisfaction = forms.ChoiceField(label=_("您对办理结果是否满意？"), choices=[("", "—"), *Satisfaction.choices],
                                     required=False)
    phone = forms.CharField(label=_("回访号码（与来电号码不同时填写）"), required=False, max_length=30)
    note = forms.CharField(label=_("备注"), required=False, max_length=2000)


class RecheckForm(forms.Form):
    """The centre's second callback of a suspect callback (复核回访). for_order offers the order's
    valid callbacks that may be re-checked (the action checks it again, and refuses the person
    who made the callback)."""

    callback = forms.TypedChoiceField(label=_("被复核的回访"), choices=[], coerce=int)
    reached = forms.TypedChoiceField(label=_("是否接通来电人"), choices=[("1", _("已接通")), ("0", _("未接通"))],
                                     coerce=lambda v: v == "1", initial="1")
    confirmed = forms.TypedChoiceField(label=_("来电人是否确认此前的回访回答是本人所答？"),
                                       choices=[("", "—"), ("1", _("确认属实")), ("0", _("不是本人所答（回访不实）"))],
                                       coerce=lambda v: v == "1", empty_value=None, required=False)
    contacted = forms.TypedChoiceField(label=_("承办单位是否联系过您？"), choices=[("", "—"), ("1", _("是")), ("0", _("否"))],
                                       coerce=lambda v: v == "1", empty_value=None, required=False)
    resolved = forms.TypedChoiceField(label=_("您的问题是否解决？"), choices=[("", "—"), ("1", _("已解决")), ("0", _("未解决"))],
                                      coerce=lambda v: v == "1", empty_value=None, required=False)
    satisfaction = forms.ChoiceField(label=_("您对办理结果是否满意？"), choices=[("", "—"), *Satisfaction.choices],
                                     required=False)
    note = forms.CharField(label=_("复核说明（回访不实时必填理由）"), widget=forms.Textarea(attrs={"rows": 2}),
                           required=False, max_length=4000)

    def for_order(self, order: Any) -> RecheckForm:
        rows = (order.callbacks.filter(valid=True, reached=True, voided_at__isnull=True, replaces__isnull=True)
                .select_related("agent").order_by("at"))
        self.fields["callback"].choices = [
            (cb.pk, f"{timezone.localtime(cb.at):%Y-%m-%d %H:%M} {cb.agent.display_name or cb.agent.username} "
                    f"{cb.get_satisfaction_display()}") for cb in rows]
        return self


class ApproveForm(EffectChecklistForm):
    note = forms.CharField(label=_("审核意见（有回答为“否”仍予通过的须写明理由）"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("核验意见（现场核验的情况）"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SuperviseForm(forms.Form):
    """督办: the instruction and the feedback deadline (working days or a date; neither: the
    default by urgency). Lifting is its own action (撤销督办)."""

    text = forms.CharField(label=_("督办要求"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    days = WholeNumberField(label=_("反馈时限（工作日，留空按紧急程度默认）"), min_value=1, max_value=30, required=False)
    due_date = forms.CharField(label=_("或截止日期"), required=False, max_length=10,
                               widget=forms.DateInput(attrs={"type": "date"}))


class SupervisionFeedbackForm(forms.Form):
    text = forms.CharField(label=_("督办反馈（办理情况和进展）"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=4000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ReportUnreasonableForm(forms.Form):
    """The unit's report of an unreasonable request. The evidence offered is the order's own files
    (for_order narrows the choice; the action checks it again)."""

    reason = forms.ChoiceField(label=_("理由类型"), choices=list(UNREASONABLE_REASONS.items()))
    explanation = forms.CharField(label=_("情况说明（已做的工作、答复经过、依据）"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    evidence = IdsChoiceField(queryset=Evidence.objects.none(), required=False, label=_("佐证材料（本工单已上传的材料）"),
                              widget=forms.CheckboxSelectMultiple)

    def for_order(self, order: Any) -> ReportUnreasonableForm:
        field = self.fields["evidence"]
        field.queryset = order.evidence.order_by("uploaded_at")  # type: ignore[attr-defined]
        field.label_from_instance = lambda e: e.name  # type: ignore[attr-defined]
        return self


# ---- appeals (申诉, docs/appeals.md) ---------------------------------------------------------------

_APPEAL_LABELS = dict(AppealReason.choices)


class _AppealForm(forms.Form):
    """A unit's appeal: the decision appealed (for_order offers the order's own), reason codes,
    the explanation and the order's own files as evidence (the action checks all of it again)."""

    target_field = ""
    codes: tuple[str, ...] = ()
    reasons = forms.MultipleChoiceField(label=_("申诉理由"), choices=[], widget=forms.CheckboxSelectMultiple)
    explanation = forms.CharField(label=_("申诉说明（事实、依据、与留痕的对照）"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    evidence = IdsChoiceField(queryset=Evidence.objects.none(), required=False, label=_("佐证材料（本工单已上传的材料）"),
                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].choices = [(c, _APPEAL_LABELS[c]) for c in self.codes]

    def targets(self, order: Any) -> list[tuple[int, str]]:
        return []

    def for_order(self, order: Any) -> _AppealForm:
        field = self.fields["evidence"]
        field.queryset = order.evidence.order_by("uploaded_at")  # type: ignore[attr-defined]
        field.label_from_instance = lambda e: e.name  # type: ignore[attr-defined]
        self.fields[self.target_field].choices = self.targets(order)
        return self


class AppealRedoForm(_AppealForm):
    target_field, codes = "review_id", REDO_APPEAL_REASONS
    review_id = forms.TypedChoiceField(label=_("被申诉的驳回重办"), choices=[], coerce=int)

    def targets(self, order: Any) -> list[tuple[int, str]]:
        rows = order.reviews.filter(decision=Review.Decision.REDO, appeal__isnull=True).order_by("-at")
        return [(r.pk, f"{timezone.localtime(r.at):%Y-%m-%d %H:%M} {r.note[:40]}") for r in rows]


class AppealCallbackForm(_AppealForm):
    target_field, codes = "callback_id", CALLBACK_APPEAL_REASONS
    callback_id = forms.TypedChoiceField(label=_("被申诉的回访"), choices=[], coerce=int)

    def targets(self, order: Any) -> list[tuple[int, str]]:
        rows = order.callbacks.filter(valid=True, reached=True, voided_at__isnull=True,
                                      appeal__isnull=True).order_by("-at")
        return [(cb.pk, f"{timezone.localtime(cb.at):%Y-%m-%d %H:%M} {cb.get_satisfaction_display()}") for cb in rows]


class AppealDecisionForm(forms.Form):
    appeal_id = forms.TypedChoiceField(label=_("申诉"), choices=[], coerce=int)
    note = forms.CharField(label=_("裁定意见（理由）"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)

    def for_order(self, order: Any) -> AppealDecisionForm:
        rows = order.appeals.filter(status=OrderAppeal.Status.PENDING).order_by("at")
        self.fields["appeal_id"].choices = [
            (a.pk, f"{a.get_kind_display()} {timezone.localtime(a.at):%Y-%m-%d} {a.explanation[:40]}") for a in rows]
        return self


class EmptyForm(forms.Form):
    pass


class AttemptForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, max_length=500, initial=_("未接通"))


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("关键词或编号"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("状态"), required=False)
    unit = forms.ModelChoiceField(label=_("承办单位"), queryset=Unit.objects.filter(handles_orders=True), required=False)
    category = forms.ModelChoiceField(label=_("分类"), queryset=Category.objects.filter(level=1), required=False)
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.all(), required=False)
    date_from = forms.DateField(label=_("受理日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("仅超期"), required=False)
    source = forms.ChoiceField(label=_("来源"), required=False, choices=[
        ("", _("全部")), ("call", _("群众诉求")), ("proactive", _("主动治理（未诉先办）")), ("task", _("专项治理任务")),
        ("hotspot", _("热点")), ("seasonal", _("季节性规则")), ("patrol", _("巡查发现"))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        from hotline.orders.models import STATE_LABELS

        self.fields["state"].choices = [("", _("全部")), *[(s.value, label) for s, label in STATE_LABELS.items()]]  # type: ignore[attr-defined]


class ProactiveForm(forms.Form):
    """A proactive order (未诉先办) the centre opens and dispatches at once: no caller."""

    SOURCES = [("patrol", _("巡查发现")), ("hotspot", _("热点")), ("task", _("专项治理任务"))]

    source = forms.ChoiceField(label=_("来源"), choices=SOURCES, initial="patrol")
    source_ref = WholeNumberField(label=_("来源编号（热点首单编号或任务编号；巡查发现不填）"), required=False,
                                  min_value=1, max_value=2**63 - 1)
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("需要办理的事项"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.all(), required=False, empty_label=_("请选择"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    category = forms.ModelChoiceField(label=_("诉求分类"), queryset=Category.objects.filter(active=True, level__gte=2),
                                      required=False, empty_label=_("请选择"))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.GENERAL)
    unit = forms.ModelChoiceField(label=_("承办单位"), empty_label=_("请选择"),
                                  queryset=Unit.objects.filter(active=True, handles_orders=True).order_by("kind", "name"))
    note = forms.CharField(label=_("说明（不按权责清单派单时必填）"), required=False, max_length=1000)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)
