"""The work order and everything that happens to it.

Only the actions (orders/actions/) write these tables (the rule of the house). The Event table is the
trace (留痕): append-only, hash-chained per order, with the order holding its latest hash.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import DEFERRED
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotline.directory.models import Area, Category, DeadlineRule, ResponsibilityRule, Unit, Urgency

from .states import Action, State, is_proactive

STATE_LABELS = {
    State.RECEIVED: _("已受理"),
    State.DISPATCHED: _("已派单"),
    State.RETURNED: _("已回退"),
    State.IN_PROGRESS: _("办理中"),
    State.REPLIED: _("已答复"),
    State.AWAITING_CALLBACK: _("待回访"),
    State.CLOSED: _("已办结"),
    State.SCREENED_OUT: _("不予受理"),
    State.RETURNED_TO_CITY: _("已退回市级"),
    State.MERGED: _("已合并"),
}

# What each action is called wherever an event is shown (the order's trace, the review queue).
# The one table from an action code to its label: nothing else may print a raw code.
ACTION_LABELS = {
    Action.CREATE: _("受理"),
    Action.DISPATCH: _("派单"),
    Action.CLAIM: _("主动认领"),
    Action.ANSWER: _("直接答复办结"),
    Action.SCREEN_OUT: _("不予受理"),
    Action.RESTORE: _("恢复受理"),
    Action.MERGE: _("合并到主工单"),
    Action.UNMERGE: _("撤销合并"),
    Action.SIGN: _("签收"),
    Action.RETURN: _("回退"),
    Action.ACCEPT_RETURN: _("同意回退并改派"),
    Action.REJECT_RETURN: _("驳回回退"),
    Action.JOINT: _("联合处办"),
    Action.ESCALATE: _("提级处理"),
    Action.RETURN_TO_CITY: _("退回市级"),
    Action.CONTACT: _("记录联系来电人"),
    Action.PROGRESS: _("记录办理进展"),
    Action.REQUEST_EXTENSION: _("申请延期"),
    Action.APPROVE_EXTENSION: _("同意延期"),
    Action.DENY_EXTENSION: _("不同意延期"),
    Action.REPLY: _("答复"),
    Action.APPROVE: _("审核通过"),
    Action.REDO: _("驳回重办"),
    Action.CALLBACK: _("记录回访结果"),
    Action.CALLBACK_ATTEMPT: _("未接通"),
    Action.REOPEN: _("重新办理"),
    Action.URGE: _("催办"),
    Action.SUPERVISE: _("督办"),
    Action.ANNOTATE: _("备注"),
    Action.ATTACH: _("上传材料"),
    Action.VIEW_PHONE: _("查看完整号码"),
    Action.VIEW_EVIDENCE: _("查看证据材料"),
    Action.REPORT_UNREASONABLE: _("上报不合理诉求"),
    Action.UPHOLD_UNREASONABLE: _("认定不合理诉求"),
    Action.REJECT_UNREASONABLE: _("不予认定不合理诉求"),
    Action.CONTEST_MARK: _("记录来电人异议"),
    Action.LIFT_MARK: _("异议成立，撤销标记"),
    Action.KEEP_MARK: _("异议不成立，维持标记"),
    Action.RECHECK: _("复核回访"),
    Action.VERIFY: _("核验办结"),
    # supervision (督办)
    Action.SUPERVISION_FEEDBACK: _("督办反馈"),
    Action.CLOSE_SUPERVISION: _("督办办结"),
    Action.LIFT_SUPERVISION: _("撤销督办"),
    Action.ESCALATE_SUPERVISION: _("提请市级联合督办"),
    # appeals (docs/appeals.md)
    Action.APPEAL_REDO: _("对驳回重办提出申诉"),
    Action.APPEAL_CALLBACK: _("对回访结果提出申诉"),
    Action.UPHOLD_APPEAL: _("申诉成立"),
    Action.REJECT_APPEAL: _("申诉不成立"),
    # joint handling (docs/joint.md)
    Action.CO_SIGN: _("协办签收"),
    Action.CO_REPLY: _("协办答复"),
    Action.CO_URGE: _("催办协办单位"),
}


def action_label(code: str) -> str:
    """The label of an action code, in the active language; an unknown code is shown as it is."""
    try:
        return str(ACTION_LABELS[Action(code)])
    except (ValueError, KeyError):
        return code


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    WEB = "web", _("网站")
    APP = "app", _("移动端")
    WECHAT = "wechat", _("微信")
    EMAIL = "email", _("邮件")
    LETTER = "letter", _("来信")
    TRANSFER = "transfer", _("上级转办")
    IMPORT = "import", _("历史导入")
    OPEN311 = "open311", _("Open311接口")
    PROACTIVE = "proactive", _("主动发现")


class Source(models.TextChoices):
    """Where an order came from: a caller's request, or the centre's own initiative (未诉先办).
    states.PROACTIVE_SOURCES are the proactive ones."""

    CALL = "call", _("群众诉求")
    TASK = "task", _("专项治理任务")
    HOTSPOT = "hotspot", _("热点")
    SEASONAL = "seasonal", _("季节性规则")
    PATROL = "patrol", _("巡查发现")


# Urgency (the tiers chosen at intake) lives with the reference data, below the orders (a
# deadline rule names a category's default tier); it is imported from here as before.


class WorkOrder(models.Model):
    """A citizen's request and its life through the closed loop.

    Invariants (kept by actions.py): `state` moves only along states.TRANSITIONS; while the
    order is dispatched or later it has exactly one lead unit; `last_hash` is the hash of its
    latest event and `event_seq` that event's position."""

    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    caller_name = models.CharField(_("来电人"), max_length=50, blank=True)
    caller_phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    area = models.ForeignKey(Area, verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("诉求内容"))
    category = models.ForeignKey(Category, verbose_name=_("诉求分类"), null=True, blank=True, on_delete=models.PROTECT)
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.GENERAL)
    state = models.CharField(
        _("状态"), max_length=20, choices=[(s.value, STATE_LABELS[s]) for s in State], default=State.RECEIVED
    )
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("主办单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="led_orders"
    )
    co_units = models.ManyToManyField(Unit, verbose_name=_("协办单位"), blank=True, related_name="co_orders")
    rule = models.ForeignKey(
        ResponsibilityRule, verbose_name=_("派单依据"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    deadline_rule = models.ForeignKey(
        DeadlineRule, verbose_name=_("答复时限依据"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="dispatched_orders",
        help_text=_("派单（认领、改派、提级）时设定答复时限的时限规则；为空表示按紧急程度的默认时限。"),
    )
    main_order = models.ForeignKey(
        "self", verbose_name=_("主工单"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_orders"
    )
    repeat_of = models.ForeignKey(
        "self", verbose_name=_("重复诉求的前一工单"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="repeats",
    )

    received_at = models.DateTimeField(_("受理时间"), db_index=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("首次联系时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    sign_due = models.DateTimeField(_("签收时限"), null=True, blank=True)
    contact_due = models.DateTimeField(_("首次联系时限"), null=True, blank=True)
    reply_due = models.DateTimeField(_("答复时限"), null=True, blank=True, db_index=True)

    redo_count = models.PositiveIntegerField(_("重办次数"), default=0)
    return_count = models.PositiveIntegerField(_("退单次数"), default=0)
    dispatch_count = models.PositiveIntegerField(_("派单次数"), default=0)
    urge_count = models.PositiveIntegerField(_("催办次数"), default=0)
    extension_days = models.PositiveIntegerField(_("已批准延期（工作日）"), default=0)
    supervised = models.BooleanField(_("督办中"), default=False)
    outside_authority = models.BooleanField(
        _("超出承办单位权限"), default=False,
        help_text=_("已确认承办单位无权处理（退单被采纳或提级），不计入该单位的解决率和满意率。"),
    )
    screen_reason = models.CharField(_("不予受理原因"), max_length=40, blank=True)
    unreasonable = models.BooleanField(
        _("认定为不合理诉求"), default=False,
        help_text=_("热线中心认定了承办单位上报的不合理诉求：不计入单位的响应率、解决率和满意率，仍计入受理量。"),
    )

    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported = models.BooleanField(_("历史导入"), default=False)
    # A proactive order (未诉先办) has no caller; source_ref names what it came from: the
    # governance task's id, the hotspot's first order, the seasonal rule's id (none for a patrol).
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.CALL)
    source_ref = models.BigIntegerField(_("来源编号"), null=True, blank=True)
    event_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["lead_unit", "state"]),
            models.Index(fields=["category", "received_at"]),
            models.Index(fields=["area", "received_at"]),
            models.Index(fields=["state", "reply_due"]),
            models.Index(fields=["caller_phone", "received_at"]),
            models.Index(fields=["source", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def state_label(self) -> str:
        if self.is_proactive and self.state == State.AWAITING_CALLBACK:
            return str(_("待核验"))
        return str(STATE_LABELS[State(self.state)])

    @property
    def is_proactive(self) -> bool:
        """No caller: opened by the centre (未诉先办) and closed by its verification."""
        return is_proactive(self.source)

    @classmethod
    def from_db(cls, db, field_names, values):  # noqa: ANN001, ANN206
        # Remember what was read, so an action writes back only the columns it changed.
        instance = super().from_db(db, field_names, values)
        instance._loaded = {name: value for name, value in zip(field_names, values, strict=True)
                            if value is not DEFERRED}
        return instance

    def changed_fields(self) -> list[str] | None:
        """The columns changed since the row was read (attribute names), or None when the order
        was not read from the database (a new order: write every column)."""
        loaded = getattr(self, "_loaded", None)
        if loaded is None:
            return None
        return [name for name, value in loaded.items() if getattr(self, name) != value]

    def save_changes(self) -> None:
        """Write the columns changed since the row was read (all of them for a new order)."""
        fields = self.changed_fields()
        if fields is None:
            self.save()
        elif fields:
            self.save(update_fields=fields)
        names = self._loaded if fields is not None else [f.attname for f in self._meta.concrete_fields]
        self._loaded = {name: getattr(self, name) for name in names}


class OrderNumberCounter(models.Model):
    """The last order number given out on a day (numbers read YYYYMMDD + a running count)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Event(models.Model):
    """One step in an order's life: the trace. Append-only; each event's hash covers the
    previous one, so a changed, inserted or deleted event is detectable."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=20)
    actor_unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict)
    imported = models.BooleanField(default=False)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("留痕记录")
        verbose_name_plural = _("留痕记录")
        ordering = ["order_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["order", "seq"], name="event_order_seq_unique")]
        indexes = [models.Index(fields=["action", "at"]), models.Index(fields=["actor_unit", "at"])]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.seq} {self.action}"


class Reply(models.Model):
    """A unit's reply (答复): who, when, what was done, the outcome, and whether the caller was
    contacted. Evidence files hang off it."""

    class Result(models.TextChoices):
        RESOLVED = "resolved", _("已解决")
        PARTLY = "partly", _("部分解决")
        EXPLAINED = "explained", _("已解释说明")
        NO_AUTHORITY = "no_authority", _("无权处理")
        UNRESOLVED = "unresolved", _("未解决")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="replies")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    responder = models.CharField(_("答复人"), max_length=50)
    replied_at = models.DateTimeField(_("答复时间"))
    process = models.TextField(_("处办过程"), blank=True)
    outcome = models.TextField(_("办理结果"), blank=True)
    result = models.CharField(_("办理结论"), max_length=20, choices=Result.choices, default=Result.RESOLVED)
    contacted_caller = models.BooleanField(_("已联系来电人"), default=False)
    round = models.PositiveIntegerField(_("第几次答复"), default=1)
    # Joint handling (docs/joint.md): why the reply went out without a co-unit's overdue part.
    co_gap = models.TextField(_("协办答复缺项说明"), blank=True)

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["order_id", "round"]


class Evidence(models.Model):
    """A file in the trace: a site photo, a document, a recording. Written only by do_attach,
    after orders/evidence.py checked its content (content_type is what was detected, photos
    re-encoded; sha256 is of the stored file); read only through the order's evidence view."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("现场照片")
        DOCUMENT = "document", _("文书材料")
        AUDIO = "audio", _("录音")
        OTHER = "other", _("其他")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="evidence")
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence")
    # a co-unit's file, handed in with its part's reply (joint handling, docs/joint.md)
    co_part = models.ForeignKey("CoPart", null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.PHOTO)
    file = models.FileField(_("文件"), upload_to="evidence/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    # Empty for files stored before types were checked: served as a download of bytes.
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")

    def get_absolute_url(self) -> str:
        return reverse("web:evidence", args=[self.order_id, self.pk])


class Review(models.Model):
    """The district centre's review of a reply: approve, or reject for redo with a reason, and the
    reviewer's answers to the effect checklist."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("通过")
        REDO = "redo", _("驳回重办")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="reviews")
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("结论"), max_length=10, choices=Decision.choices)
    reasons = models.JSONField(_("驳回理由代码"), default=list)
    # The reviewer's answers to the effect questions (actions.EFFECT_QUESTIONS): {"answered":
    # true, "resolved": false, ...}, only those answered; {} for reviews before review by effect.
    checks = models.JSONField(_("审核要点"), default=dict, blank=True)
    note = models.TextField(_("意见"), blank=True)
    sampled = models.BooleanField(_("抽样复核"), default=False)
    at = models.DateTimeField()
    # An upheld appeal (申诉成立) against a redo: the redo stays in the trace but stops counting
    # against the unit from then on (docs/appeals.md).
    overturned_at = models.DateTimeField(_("申诉成立时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审核")
        verbose_name_plural = _("审核")


class ReturnKind(models.TextChoices):
    NOT_REMIT = "not_remit", _("不属于本单位职责")
    NO_AUTHORITY = "no_authority", _("超出本单位权限")
    NEEDS_OTHERS = "needs_others", _("需其他单位共同办理")


class OrderReturn(models.Model):
    """A unit's return (回退) of an order, and the district centre's arbitration of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待裁定")
        ACCEPTED = "accepted", _("同意回退并改派")
        REJECTED = "rejected", _("驳回回退")
        JOINT = "joint", _("联合处办")
        ESCALATED = "escalated", _("提级处理")
        TO_CITY = "to_city", _("退回市级")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="returns")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="returns")
    kind = models.CharField(_("回退类型"), max_length=20, choices=ReturnKind.choices)
    reason = models.TextField(_("回退理由"))
    suggested_unit = models.ForeignKey(
        Unit, verbose_name=_("建议承办单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_cited = models.ForeignKey(
        ResponsibilityRule, verbose_name=_("引用的权责清单"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    outcome = models.CharField(_("裁定结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("裁定意见"), blank=True)
    decision_rule = models.ForeignKey(
        ResponsibilityRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("退单")
        verbose_name_plural = _("退单")
        indexes = [models.Index(fields=["unit", "at"])]


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class CallbackChannel(models.TextChoices):
    PHONE = "phone", _("电话回访")
    WEB = "web", _("网上评价")


class Callback(models.Model):
    """A callback (回访) to the caller, or an attempt that did not get through."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="callbacks")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reached = models.BooleanField(_("已接通"), default=True)
    phone = models.CharField(_("回访号码"), max_length=20, blank=True)
    valid = models.BooleanField(_("有效回访"), default=True)
    contacted = models.BooleanField(_("承办单位联系过来电人"), null=True)
    resolved = models.BooleanField(_("已解决"), null=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    note = models.TextField(_("备注"), blank=True)
    # Snapshot of the unit being assessed, so later re-dispatches do not move past answers.
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="callbacks")
    # How the answers came: an agent's call, or the citizen on the public web page; how the
    # answerer was verified there (the order's query code); and a keyed digest of the answering
    # device and address (never the address itself) for the gaming checks.
    channel = models.CharField(_("回访方式"), max_length=10, choices=CallbackChannel.choices,
                               default=CallbackChannel.PHONE)
    verification = models.CharField(_("核验方式"), max_length=20, blank=True)
    device = models.CharField(_("设备指纹"), max_length=64, blank=True, db_index=True)
    # A re-check (复核回访) that found this rating fabricated voids it: the row keeps its answers
    # (they are the evidence) but stops counting in the rates; the caller's real answers are a
    # new row that `replaces` it. Written only by do_recheck.
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    void_reason = models.TextField(_("作废理由"), blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by", verbose_name=_("替代的回访"))

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        indexes = [models.Index(fields=["unit", "at"])]


class ExtensionRequest(models.Model):
    """A unit's request for more time, and the decision on it. Approval moves the reply clock."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        DENIED = "denied", _("不同意")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    days = models.PositiveIntegerField(_("延期工作日"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    old_due = models.DateTimeField(null=True, blank=True)
    new_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")


class Note(models.Model):
    """A note in an order's life that is not a reply: contact with the caller, progress on site,
    an urge, a supervision instruction, an annotation."""

    class Kind(models.TextChoices):
        CONTACT = "contact", _("联系来电人")
        PROGRESS = "progress", _("办理进展")
        URGE = "urge", _("催办")
        SUPERVISION = "supervision", _("督办")
        ANNOTATION = "annotation", _("备注")
        ANSWER = "answer", _("直接答复")
        SCREENING = "screening", _("不予受理说明")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("记录")
        verbose_name_plural = _("记录")
        indexes = [models.Index(fields=["order", "kind"])]


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key for one request that wrote an order (the IETF
    idempotency-key draft, Stripe): a retry with the same key and the same input gets the first
    request's result instead of a second event; the same key with another input, another action
    or order, or from another user is refused. Written by the actions, in the transaction of
    the event it stands for."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=80)
    action = models.CharField(max_length=24)
    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(Event, null=True, on_delete=models.PROTECT, related_name="+")
    # sha256 of the action, the order and the normalised input: what "the same request" means
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="idempotency_actor_key_unique")]
        indexes = [models.Index(fields=["key"])]

    def __str__(self) -> str:
        return f"{self.key} → {self.action} #{self.order_id}"


class TriageJob(models.Model):
    """An order waiting for triage: the outbox row intake writes in the order's own transaction,
    so a new order can never be lost between its commit and a queue.

    The worker claims waiting jobs for a lease (`claimed_until`, so a worker killed mid-way
    only delays the order until the lease is over) and marks `done_at` in the same transaction
    as the order's decisions and actions: a job is done exactly when its order's triage is
    complete. `attempts` counts claims; after HOTLINE_TRIAGE_MAX_ATTEMPTS the order is left to
    the dispatcher (it is on the board anyway), with `last_error` saying why."""

    order = models.OneToOneField(WorkOrder, primary_key=True, on_delete=models.CASCADE, related_name="triage_job")
    queued_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("待甄别工单")
        verbose_name_plural = _("待甄别工单")
        indexes = [models.Index(fields=["done_at", "queued_at"])]


class UnreasonableReason(models.TextChoices):
    """Why a unit reports a request as unreasonable (上报不合理诉求的理由)."""

    MALICIOUS = "malicious", _("恶意诉求（无理纠缠、辱骂、虚假反映）")
    REPEATED = "repeated", _("已充分答复后仍重复诉求")
    PRIVATE_INTEREST = "private_interest", _("为个人不正当利益的诉求")
    LEGAL_CHANNEL = "legal_channel", _("应通过诉讼、仲裁等法定途径解决")
    NO_PUBLIC_DUTY = "no_public_duty", _("超出任何公共职责范围")


class UnreasonableReport(models.Model):
    """A lead unit's report that an order is an unreasonable request, and the centre's decision.

    Written only by the actions (do_report_unreasonable, do_uphold_unreasonable,
    do_reject_unreasonable). Invariant: at most one pending report per order (a partial unique
    constraint); an upheld report sets WorkOrder.unreasonable and has exactly one CallerMark
    where the order has a caller's number."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        UPHELD = "upheld", _("已认定")
        REJECTED = "rejected", _("不予认定")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="unreasonable_reports")
    unit = models.ForeignKey(Unit, verbose_name=_("上报单位"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("理由类型"), max_length=20, choices=UnreasonableReason.choices)
    explanation = models.TextField(_("情况说明"))
    evidence = models.ManyToManyField(Evidence, verbose_name=_("佐证材料"), blank=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("上报时间"))
    status = models.CharField(_("审核结果"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("不合理诉求上报")
        verbose_name_plural = _("不合理诉求上报")
        constraints = [models.UniqueConstraint(fields=["order"], condition=models.Q(status="pending"),
                                               name="unreasonable_one_pending_per_order")]
        indexes = [models.Index(fields=["status", "at"]), models.Index(fields=["unit", "at"])]


class CallerMark(models.Model):
    """A mark on a caller's record (来电人标记): an upheld unreasonable request from this number.

    Shown to agents at intake and to dispatchers, never a block: the call is still taken. It is
    active until `expires_at` (HOTLINE_CALLER_MARK_MONTHS after the decision) unless a supervisor
    lifts it on the caller's contest. `phone` is the order's number as intake stores it
    (validation.normalise_phone), the key every repeat-caller match uses."""

    phone = models.CharField(_("来电号码"), max_length=20)
    order = models.ForeignKey(WorkOrder, verbose_name=_("来源工单"), on_delete=models.CASCADE,
                              related_name="caller_marks")
    report = models.OneToOneField(UnreasonableReport, on_delete=models.CASCADE, related_name="mark")
    reason = models.CharField(_("理由类型"), max_length=20, choices=UnreasonableReason.choices)
    created_at = models.DateTimeField(_("标记时间"))
    expires_at = models.DateTimeField(_("到期时间"), db_index=True)
    lifted_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("来电人标记")
        verbose_name_plural = _("来电人标记")
        indexes = [models.Index(fields=["phone", "expires_at"])]

    def is_active(self, now: dt.datetime) -> bool:
        """Whether the mark is shown now: not lifted, not expired."""
        return self.lifted_at is None and self.expires_at > now


class MarkContest(models.Model):
    """A caller's contest of a mark (异议), recorded by an agent, and a supervisor's decision:
    lift the mark or keep it. Invariant: at most one pending contest per mark."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待处理")
        LIFTED = "lifted", _("异议成立，已撤销标记")
        KEPT = "kept", _("异议不成立，维持标记")

    mark = models.ForeignKey(CallerMark, on_delete=models.CASCADE, related_name="contests")
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="mark_contests")
    reason = models.TextField(_("异议理由"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("提出时间"))
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.TextField(_("处理意见"), blank=True)

    class Meta:
        verbose_name = _("标记异议")
        verbose_name_plural = _("标记异议")
        constraints = [models.UniqueConstraint(fields=["mark"], condition=models.Q(outcome="pending"),
                                               name="markcontest_one_pending_per_mark")]


class CallbackRecheck(models.Model):
    """A second, independent callback by the centre (复核回访) of a callback under suspicion of
    gaming, and its verdict. Written only by do_recheck, in the transaction of its event.

    Invariants: at most one final verdict (confirmed or fabricated) per callback (a partial unique
    constraint; "not reached" may be tried again); a fabricated verdict voids the callback and has
    the caller's real answers as `real_callback`; the person who made the callback never re-checks it."""

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", _("来电人确认回访属实")
        FABRICATED = "fabricated", _("回访不实（评价作废）")
        NOT_REACHED = "not_reached", _("复核未接通")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="rechecks")
    callback = models.ForeignKey(Callback, verbose_name=_("被复核的回访"), on_delete=models.CASCADE,
                                 related_name="rechecks")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("复核时间"))
    verdict = models.CharField(_("复核结论"), max_length=12, choices=Verdict.choices)
    reached = models.BooleanField(_("已接通"))
    confirmed = models.BooleanField(_("来电人确认此前的回答"), null=True)
    contacted = models.BooleanField(_("承办单位联系过来电人"), null=True)
    resolved = models.BooleanField(_("已解决"), null=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    note = models.TextField(_("复核说明"), blank=True)
    real_callback = models.OneToOneField(Callback, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")

    class Meta:
        verbose_name = _("复核回访")
        verbose_name_plural = _("复核回访")
        constraints = [models.UniqueConstraint(fields=["callback"], condition=~models.Q(verdict="not_reached"),
                                               name="recheck_one_verdict_per_callback")]
        indexes = [models.Index(fields=["unit", "verdict"])]


# ---- appeals (申诉) by units against a redo decision or a callback: docs/appeals.md ---------------


class AppealReason(models.TextChoices):
    """Why a unit appeals (申诉理由). The first four are for a redo decision, the next four for a
    callback; "other" for either (the explanation then says it all)."""

    REPLY_EXPLAINED = "reply_explained", _("答复已说明原因和后续安排")
    ACTUALLY_SOLVED = "actually_solved", _("诉求实际已解决，有办理记录为证")
    REASON_UNFOUNDED = "reason_unfounded", _("驳回理由与事实不符")
    BEYOND_AUTHORITY = "beyond_authority", _("诉求超出本单位职权，已如实说明")
    OTHER_MATTER = "other_matter", _("来电人评价的是其他事项")
    WRONG_PERSON = "wrong_person", _("回访对象不是来电人本人")
    CONTRADICTS_TRACE = "contradicts_trace", _("回访回答与办理留痕明显矛盾")
    RECORD_ERROR = "record_error", _("回访记录错误")
    OTHER = "other", _("其他（须详细说明）")


REDO_APPEAL_REASONS = ("reply_explained", "actually_solved", "reason_unfounded", "beyond_authority", "other")
CALLBACK_APPEAL_REASONS = ("other_matter", "wrong_person", "contradicts_trace", "record_error", "other")


class OrderAppeal(models.Model):
    """A unit's appeal (申诉) against a redo decision (a Review with decision redo of its reply) or
    a callback of its order it believes invalid, and the centre's decision.

    Written only by the actions (orders/actions/appeal.py). Invariants: one appeal per target,
    ever (a unique constraint on each target: a rejected appeal is final); an upheld redo appeal
    has set its Review's overturned_at, an upheld callback appeal has voided its Callback."""

    class Kind(models.TextChoices):
        REDO = "redo", _("驳回重办申诉")
        CALLBACK = "callback", _("回访申诉")

    class Status(models.TextChoices):
        PENDING = "pending", _("待裁定")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉不成立")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="appeals")
    kind = models.CharField(_("申诉类型"), max_length=10, choices=Kind.choices)
    review = models.OneToOneField(Review, verbose_name=_("被申诉的审核"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="appeal")
    callback = models.OneToOneField(Callback, verbose_name=_("被申诉的回访"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="appeal")
    unit = models.ForeignKey(Unit, verbose_name=_("申诉单位"), on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(_("申诉理由"), default=list)
    explanation = models.TextField(_("申诉说明"))
    evidence = models.ManyToManyField(Evidence, verbose_name=_("佐证材料"), blank=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("申诉时间"))
    due = models.DateTimeField(_("裁定时限"))
    status = models.CharField(_("裁定结果"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)
    decision_note = models.TextField(_("裁定意见"), blank=True)

    class Meta:
        verbose_name = _("工单申诉")
        verbose_name_plural = _("工单申诉")
        constraints = [
            models.CheckConstraint(condition=(models.Q(kind="redo", review__isnull=False, callback__isnull=True)
                                              | models.Q(kind="callback", review__isnull=True, callback__isnull=False)),
                                   name="appeal_one_target"),
        ]
        indexes = [models.Index(fields=["status", "due"]), models.Index(fields=["unit", "at"])]

    @property
    def late(self) -> bool:
        """Decided after its deadline (or, pending, past it now: see is_overdue)."""
        return self.decided_at is not None and self.decided_at > self.due
class Supervision(models.Model):
    """A supervision (督办单) of an order: the supervisor's instruction and its own deadline for the
    lead unit's feedback (督办反馈), how it ended, and whether it was escalated to the city
    (联合督办). Written only by the supervision actions (orders/actions/supervision.py), each in
    the transaction of its event; its life is the pure table of orders/supervisions.py.

    Invariants: at most one active (open, answered, escalated) supervision per order (a partial
    unique constraint), and the order's `supervised` flag is true exactly while one is active;
    `escalated_at` is set at most once (never escalated twice); `feedback_at` is set with the
    feedback, `ended_at` with closing or lifting."""

    class State(models.TextChoices):
        OPEN = "open", _("督办中")
        ANSWERED = "answered", _("已反馈")
        ESCALATED = "escalated", _("已提请市级联合督办")
        CLOSED = "closed", _("督办办结")
        LIFTED = "lifted", _("已撤销督办")

    class Level(models.TextChoices):
        DISTRICT = "district", _("区级督办")
        CITY = "city", _("市级联合督办")

    class Escalation(models.TextChoices):
        MISSED = "missed", _("逾期未反馈，系统自动提请")
        MANUAL = "manual", _("督办人提请")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="supervisions")
    # the unit supervised: the lead unit when opened, then the one that fed back or missed it
    unit = models.ForeignKey(Unit, verbose_name=_("被督办单位"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    level = models.CharField(_("督办级别"), max_length=10, choices=Level.choices, default=Level.DISTRICT)
    state = models.CharField(_("督办状态"), max_length=10, choices=State.choices, default=State.OPEN)
    instruction = models.TextField(_("督办要求"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("督办时间"))
    due = models.DateTimeField(_("反馈时限"))
    due_days = models.PositiveSmallIntegerField(_("时限（工作日）"), null=True, blank=True)
    feedback = models.TextField(_("督办反馈"), blank=True)
    feedback_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("提请联合督办时间"), null=True, blank=True)
    escalated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    escalation = models.CharField(_("提请方式"), max_length=10, choices=Escalation.choices, blank=True)
    escalation_note = models.TextField(_("提请说明"), blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    ended_at = models.DateTimeField(_("办结/撤销时间"), null=True, blank=True)
    end_note = models.TextField(_("办结/撤销意见"), blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        constraints = [models.UniqueConstraint(
            fields=["order"], condition=models.Q(state__in=["open", "answered", "escalated"]),
            name="supervision_one_active_per_order")]
        indexes = [models.Index(fields=["state", "due"]), models.Index(fields=["unit", "opened_at"])]

    @property
    def on_time(self) -> bool | None:
        """Whether the feedback came by the deadline (None while none came)."""
        return None if self.feedback_at is None else self.feedback_at <= self.due


PART_STATE_LABELS = {
    "assigned": _("待签收"),
    "signed": _("办理中"),
    "replied": _("已答复"),
    "withdrawn": _("已撤销"),
}


class CoPart(models.Model):
    """A co-unit's own part of a joint order (协办任务): what the centre asks of it, its clock, its
    reply to the lead unit and its files. Written only by the order's actions (orders/actions/joint.py
    and the centre's dispatch actions), each step by orders/coparts.py's table, in the transaction of
    the order's event. One row per (order, unit): a co-unit dropped at a re-dispatch is withdrawn,
    and assigned again if it comes back. docs/joint.md has the rules."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="co_parts")
    unit = models.ForeignKey(Unit, verbose_name=_("协办单位"), on_delete=models.PROTECT, related_name="co_parts")
    ask = models.TextField(_("协办事项"), blank=True)
    state = models.CharField(_("协办状态"), max_length=10, default="assigned",
                             choices=list(PART_STATE_LABELS.items()))
    assigned_at = models.DateTimeField(_("交办时间"))
    due = models.DateTimeField(_("协办答复时限"), db_index=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("协办答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reply = models.TextField(_("协办答复"), blank=True)
    # the first reply of the part against its first due time: what its on-time figure counts
    first_replied_at = models.DateTimeField(null=True, blank=True)
    first_late = models.BooleanField(null=True)
    round = models.PositiveIntegerField(_("第几次答复"), default=1)
    urge_count = models.PositiveIntegerField(_("被催办次数"), default=0)
    redo_count = models.PositiveIntegerField(_("被驳回重办次数"), default=0)
    gathered_by = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="co_parts")

    class Meta:
        verbose_name = _("协办任务")
        verbose_name_plural = _("协办任务")
        constraints = [models.UniqueConstraint(fields=["order", "unit"], name="copart_one_per_order_unit")]
        indexes = [models.Index(fields=["unit", "state"])]
        ordering = ["order_id", "pk"]

    @property
    def state_label(self) -> str:
        return str(PART_STATE_LABELS.get(self.state, self.state))

    def overdue(self, now: dt.datetime) -> bool:
        return self.state in ("assigned", "signed") and now > self.due
