"""Assessment's own tables: precomputed daily aggregates (so a page sums a few thousand rows
instead of scanning a year of orders), the record of how far they are built, and users'
subscriptions to early-warning rules.

The aggregates are derived data: `stats.rebuild()` recomputes any range of days from the
orders, callbacks, replies, reviews, returns and events, so they can always be thrown away."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.directory.models import Area, Category, Unit
from hotline.orders.models import Callback

COUNTERS = [
    # what happened to the unit's orders that day (by the day it happened)
    "dispatched", "first_dispatches", "dispatch_seconds", "signed", "signed_late", "replies", "replies_late",
    "no_authority_replies", "first_replies", "contact_due", "contact_on_time", "reviews", "redos",
    "returns", "returns_upheld", "returns_rejected", "returns_joint", "pingpong_orders", "pingpong_returns",
    "arbitrated", "arbitration_seconds", "extensions", "extensions_approved",
    # callbacks (fairly attributed: orders confirmed beyond the unit's authority, and orders upheld
    # as unreasonable requests, are excluded; excluded_unreasonable counts the latter)
    "callbacks", "valid", "contacted", "resolved", "satisfied", "basic", "unresolved_satisfied", "other_phone",
    "excluded_valid", "excluded_resolved", "excluded_unreasonable",
    "closed", "close_seconds", "evidence", "notes",
    # proactive work (未诉先办): proactive orders the centre verified and closed that day, and those
    # that passed at the first verification; credited to the unit that did them (no callback)
    "proactive_verified", "proactive_first_time",
]


class UnitDayStats(models.Model):
    """One unit's counters for one local (China time) day. Every counter is a plain count
    (or a sum of seconds), so any period's figures are sums of rows.

    Invariant: one row per (unit, day); rows are rewritten only by stats.rebuild()."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    dispatched = models.PositiveIntegerField(default=0)
    first_dispatches = models.PositiveIntegerField(default=0)
    dispatch_seconds = models.BigIntegerField(default=0)
    signed = models.PositiveIntegerField(default=0)
    signed_late = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    replies_late = models.PositiveIntegerField(default=0)
    no_authority_replies = models.PositiveIntegerField(default=0)
    first_replies = models.PositiveIntegerField(default=0)
    contact_due = models.PositiveIntegerField(default=0)
    contact_on_time = models.PositiveIntegerField(default=0)
    reviews = models.PositiveIntegerField(default=0)
    redos = models.PositiveIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)
    returns_upheld = models.PositiveIntegerField(default=0)
    returns_rejected = models.PositiveIntegerField(default=0)
    returns_joint = models.PositiveIntegerField(default=0)
    pingpong_orders = models.PositiveIntegerField(default=0)
    pingpong_returns = models.PositiveIntegerField(default=0)
    arbitrated = models.PositiveIntegerField(default=0)
    arbitration_seconds = models.BigIntegerField(default=0)
    extensions = models.PositiveIntegerField(default=0)
    extensions_approved = models.PositiveIntegerField(default=0)
    callbacks = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    contacted = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basic = models.PositiveIntegerField(default=0)
    unresolved_satisfied = models.PositiveIntegerField(default=0)
    other_phone = models.PositiveIntegerField(default=0)
    excluded_valid = models.PositiveIntegerField(default=0)
    excluded_resolved = models.PositiveIntegerField(default=0)
    excluded_unreasonable = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    close_seconds = models.BigIntegerField(default=0)
    evidence = models.PositiveIntegerField(default=0)
    notes = models.PositiveIntegerField(default=0)
    proactive_verified = models.PositiveIntegerField(default=0)
    proactive_first_time = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("单位日统计")
        verbose_name_plural = _("单位日统计")
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="unitdaystats_unique")]
        indexes = [models.Index(fields=["day", "unit"])]


class MixCounts(models.Model):
    """The case-mix counters shared by the daily and monthly tables."""

    unit = models.ForeignKey(Unit, null=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, on_delete=models.CASCADE, related_name="+")
    urgency = models.CharField(max_length=10)
    received = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basic = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class MixDayStats(MixCounts):
    """Valid callbacks by unit, day, category and urgency (the case mix behind the difficulty
    adjustment), and intake volume by category (rows with no unit).

    Invariant: one row per (unit, day, category, urgency)."""

    day = models.DateField()

    class Meta:
        verbose_name = _("分类日统计")
        verbose_name_plural = _("分类日统计")
        indexes = [models.Index(fields=["day", "unit", "category"])]


class MixMonthStats(MixCounts):
    """MixDayStats summed by calendar month (`month` is its first day), so a year's case mix is
    a few thousand rows. Invariant: each row is the sum of its month's MixDayStats rows, as of the
    last rebuild touching that month; only months wholly inside the built range are read."""

    month = models.DateField()

    class Meta:
        verbose_name = _("分类月统计")
        verbose_name_plural = _("分类月统计")
        indexes = [models.Index(fields=["month"])]


class AreaDayStats(models.Model):
    """Valid callbacks by the orders' area and day (the three rates per area).

    Invariant: one row per (area, day); area None holds orders without an area."""

    area = models.ForeignKey(Area, null=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    valid = models.PositiveIntegerField(default=0)
    contacted = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basic = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("区域日统计")
        verbose_name_plural = _("区域日统计")
        indexes = [models.Index(fields=["day", "area"])]


class CallerDayStats(models.Model):
    """Valid, counted callbacks on simple-procedure categories (review by sample) by unit, day
    and the order's caller phone: what the "few numbers, always satisfied" gaming check sums,
    instead of grouping a year of callbacks at each page view.

    Invariant: one row per (unit, day, phone); orders without a caller phone are left out. Which
    categories are simple is read at rebuild time (change a review mode, then rebuild)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    phone = models.CharField(max_length=20)
    callbacks = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("来电号码日统计")
        verbose_name_plural = _("来电号码日统计")
        indexes = [models.Index(fields=["day", "unit"])]


class OtherAnswerDay(models.Model):
    """One valid, counted callback answered from a number other than the caller's (a copy of the
    few such callbacks, with their day), so the staff-phone check finds answers given from staff
    phones without scanning a year of callbacks (Callback.phone has no index).

    Invariant: one row per such callback of a built day; rewritten only by stats.rebuild()."""

    callback = models.OneToOneField(Callback, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    caller_phone = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=20)
    satisfaction = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = _("他号作答回访")
        verbose_name_plural = _("他号作答回访")
        indexes = [models.Index(fields=["day", "unit"])]


class StatsBuild(models.Model):
    """How far the aggregates are built: days up to and including `built_through` come from the
    tables above; later days (today, usually) are computed live at each page view. Written by
    the worker and the CLI only (assessment.tasks, stats.store), never by a page."""

    key = models.CharField(max_length=20, primary_key=True, default="default")
    built_through = models.DateField(null=True)
    built_from = models.DateField(null=True)
    built_at = models.DateTimeField(null=True)
    # When a catch-up was last queued (a worker start or a history import found past days not
    # built): at most one every tasks.CATCH_UP_EVERY.
    catch_up_requested_at = models.DateTimeField(null=True)
    # When the queued nightly refresh will run (None: none queued); see tasks.schedule_nightly.
    nightly_queued_for = models.DateTimeField(null=True)


class Subscription(models.Model):
    """A user's subscription to one early-warning rule: subscribed warnings are shown first on
    the warnings page and returned by `warnings.for_user()` (the supervisor's dashboard)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(_("预警规则"), max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("预警订阅")
        verbose_name_plural = _("预警订阅")
        constraints = [models.UniqueConstraint(fields=["user", "rule"], name="subscription_unique")]


class GamingDeduction(models.Model):
    """The deduction for a confirmed fabrication (刷分扣分), set by the administrator: points per
    rating that a re-check (复核回访) found fabricated, effective from the first day of a month.
    The rule in force for a month is the one with the latest `effective_from` on or before its
    first day; the deduction itself is computed from the re-checks (rechecks.py), never kept."""

    effective_from = models.DateField(_("生效月份（当月1日）"), unique=True)
    points = models.DecimalField(_("每件回访不实扣分"), max_digits=6, decimal_places=2)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("刷分扣分标准")
        verbose_name_plural = _("刷分扣分标准")
        ordering = ["-effective_from"]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.effective_from is not None and self.effective_from.day != 1:
            errors["effective_from"] = _("生效日期须为某月1日。")
        if self.points is not None and self.points < 0:
            errors["points"] = _("扣分不能为负数。")
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m}: {self.points}"


class ScoringScheme(models.Model):
    """How one unit group is scored from one month on (one version of its scheme): which
    indicators count, with what weight (points out of 100) and target, and whether resolution
    and satisfaction are read difficulty-adjusted. See assessment/scoring.py for the arithmetic
    and docs/scoring.md for the rules.

    Invariants: versions of a group are numbered 1, 2, … in the order of their effective month;
    one version per (group, month); a version whose month has begun is never edited (a change
    is a new version from a later month), so a month already reported keeps the scheme it was
    scored under. Written by scoring.save_version() only (the admin calls it)."""

    group = models.CharField(_("单位类别"), max_length=20)
    version = models.PositiveIntegerField(_("版本"))
    effective_from = models.DateField(_("生效月份（该月1日）"))
    adjusted = models.BooleanField(_("按难度调整后的解决率、满意率排名"), default=False)
    # [{"indicator": "resolution", "weight": 50, "target": 1.0}, ...] (checked by scoring.validate)
    lines = models.JSONField(_("考核指标"), default=list)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["group", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["group", "effective_from"], name="scoringscheme_group_month"),
            models.UniqueConstraint(fields=["group", "version"], name="scoringscheme_group_version"),
        ]

    def __str__(self) -> str:
        return f"{self.group} v{self.version} ({self.effective_from:%Y-%m})"


class MonthlyConsequence(models.Model):
    """A reward or a penalty recorded against a unit's month (考用结合): what the assessment led
    to. Written by consequences.record() only; never edited (a mistake is corrected by a new
    record with its reason)."""

    class Kind(models.TextChoices):
        REWARD = "reward", _("奖励")
        PENALTY = "penalty", _("惩戒")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    month = models.DateField(_("考核月份"))  # its first day
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, null=True, blank=True)
    description = models.CharField(_("奖惩内容"), max_length=200, blank=True)
    reason = models.TextField(_("理由"), max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("奖惩记录")
        verbose_name_plural = _("奖惩记录")
        indexes = [models.Index(fields=["month", "unit"])]


class ScoreAppeal(models.Model):
    """A unit's appeal (申诉) against its monthly score: the month, the indicators it contests and
    why, with the orders concerned and, optionally, a file checked by its content
    (orders/evidence.py); the centre upholds it with a correction of the score (points, shown as
    its own line of score_lines) or rejects it. Its states are assessment/appealflow.py's table;
    every step writes one ScoreAppealEvent (its hash-chained trace). Written by
    assessment/appeal_actions.py only (docs/appeals.md)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("申诉单位"))
    month = models.DateField(_("考核月份"))  # its first day
    indicators = models.JSONField(_("申诉的指标"), default=list)
    reasons = models.JSONField(_("申诉理由"), default=list)
    explanation = models.TextField(_("申诉说明"))
    order_numbers = models.JSONField(_("涉及的工单"), default=list, blank=True)
    evidence = models.FileField(_("佐证材料"), upload_to="appeals/%Y/%m/", blank=True)
    evidence_name = models.CharField(_("文件名"), max_length=200, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_type = models.CharField(_("文件类型"), max_length=100, blank=True)  # as orders/evidence.py found it
    state = models.CharField(_("状态"), max_length=10, default="pending", db_index=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("申诉人"))
    filed_at = models.DateTimeField(_("申诉时间"))
    due = models.DateTimeField(_("裁定时限"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("裁定人"))
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)
    decision_note = models.TextField(_("裁定意见"), blank=True)
    correction = models.DecimalField(_("得分更正（分）"), max_digits=6, decimal_places=2, null=True, blank=True)
    event_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("考核得分申诉")
        verbose_name_plural = _("考核得分申诉")
        constraints = [models.UniqueConstraint(fields=["unit", "month"], condition=models.Q(state="pending"),
                                               name="scoreappeal_one_pending_per_month")]
        indexes = [models.Index(fields=["state", "due"]), models.Index(fields=["month", "unit"])]


class ScoreAppealEvent(models.Model):
    """One step of a score appeal, append-only and hash-chained per appeal (as the orders' trace)."""

    appeal = models.ForeignKey(ScoreAppeal, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=20)
    actor_unit_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField()
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("考核得分申诉记录")
        verbose_name_plural = _("考核得分申诉记录")
        constraints = [models.UniqueConstraint(fields=["appeal", "seq"], name="scoreappeal_event_seq")]
