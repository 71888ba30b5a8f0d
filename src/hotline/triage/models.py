"""What the triage service decided about each order, and what people said about it.

The orders themselves change only through orders/actions.py; these rows are the machine's
proposals and reasons, the daily review's verdicts on them, and (through corrections) the
training data for the next model."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hotline.orders.models import WorkOrder

from .screening import FLAG_LABELS


class DecisionKind(models.TextChoices):
    CLASSIFIED = "classified", _("分类建议")
    ROUTED = "routed", _("派单建议")
    AUTO_DISPATCHED = "auto_dispatched", _("自动派单")
    DUPLICATE = "duplicate", _("疑似重复（多人同事）")
    MERGED = "merged", _("自动合并")
    REPEAT = "repeat", _("重复诉求（同人同事）")
    FLAG = "flag", _("甄别标记")


class ReviewOutcome(models.TextChoices):
    ACCEPT = "accept", _("确认")
    CORRECT = "correct", _("纠正")


class TriageDecision(models.Model):
    """One machine decision about one order, with its reason and confidence.

    `payload` holds what the machine proposed (category id and path, unit id, the matched
    order, the flag code and matched words...). `code` is the flag code for flags (empty
    otherwise), kept in its own column so published statistics count it without parsing JSON.
    Once reviewed, `review_outcome` is accept or correct; a correction stores what the person
    chose in `correction` (e.g. {"category": 12} or {"flag": "wrong"}), which later training
    reads. Invariant: reviewed_at is set exactly when review_outcome is."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="triage_decisions")
    kind = models.CharField(_("类型"), max_length=20, choices=DecisionKind.choices)
    code = models.CharField(_("标记类别"), max_length=30, blank=True, db_index=True)
    related_order = models.ForeignKey(
        WorkOrder, verbose_name=_("关联工单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(_("内容"), default=dict)
    confidence = models.FloatField(_("置信度"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=300, blank=True)
    model_version = models.CharField(_("模型版本"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_outcome = models.CharField(_("复核结论"), max_length=10, choices=ReviewOutcome.choices, blank=True)
    correction = models.JSONField(_("纠正内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("智能甄别记录")
        verbose_name_plural = _("智能甄别记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["order", "kind"]),
            models.Index(fields=["code", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.reason}"

    @property
    def code_label(self) -> str:
        """The flag's name in the user's language (the code itself is for the machine)."""
        return gettext(FLAG_LABELS[self.code]) if self.code in FLAG_LABELS else self.code
