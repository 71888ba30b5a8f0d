"""Hotspots: derived data, not orders. Written only by governance/build.py (the nightly build,
the incremental join in the worker, and `hotline hotspots`); pages only read them.

OrderSignature is computed once per order (what about, where, who called) and holds the order's
place in the grouping (its parent: the earlier order it continues; its root: the first order of
its group). Hotspot is the summary of a group with MIN_ORDERS orders or more."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.directory.models import Area
from hotline.orders.models import WorkOrder

SHAPE_CHOICES = [("burst", _("突发")), ("persistent", _("持续")), ("rising", _("上升")), ("seasonal", _("季节性"))]


class OrderSignature(models.Model):
    """One order's signature and its link in the grouping (governance.core)."""

    order = models.OneToOneField(WorkOrder, primary_key=True, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField()
    area_id_value = models.BigIntegerField(default=0)  # 0: no area (a plain number: the block key)
    place = models.CharField(max_length=60, blank=True)
    shingles = models.BinaryField()  # uint32 little-endian crc32 ids of the topic's bigrams
    caller = models.BigIntegerField(default=0)
    parent_id_value = models.BigIntegerField(null=True)
    root_id_value = models.BigIntegerField(db_index=True)
    score = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("工单特征")
        verbose_name_plural = _("工单特征")
        indexes = [models.Index(fields=["area_id_value", "place", "received_at"], name="gov_sig_block")]


class Hotspot(models.Model):
    """A group of orders about one matter at one place (governance.core), summarised."""

    root_order_id = models.BigIntegerField(unique=True)  # the group's first order
    label = models.CharField(_("热点"), max_length=200)  # the typical title: the medoid's
    medoid_order_id = models.BigIntegerField()
    area = models.ForeignKey(Area, verbose_name=_("区域"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    area_id_value = models.BigIntegerField(default=0)
    place = models.CharField(_("地点"), max_length=60, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    shape = models.CharField(_("类型"), max_length=12, choices=SHAPE_CHOICES)
    score = models.FloatField(_("热度"), db_index=True)
    orders = models.PositiveIntegerField(_("工单数"))
    callers = models.PositiveIntegerField(_("来电人数"))
    first_at = models.DateTimeField(_("首次"))
    last_at = models.DateTimeField(_("最近"), db_index=True)
    categories = models.JSONField(default=dict)  # category name -> orders
    units = models.JSONField(default=dict)  # unit name -> orders
    weekly = models.JSONField(default=list)  # orders per week from first_at
    numbers = models.JSONField(default=list)  # the orders' numbers, in time order (the CLI prints them)
    heat = models.JSONField(default=dict)  # the score's parts
    announced_at = models.DateTimeField(_("突发通报时间"), null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("热点")
        verbose_name_plural = _("热点")
        ordering = ["-score", "-last_at"]
        indexes = [models.Index(fields=["area_id_value", "place", "last_at"], name="gov_hot_block"),
                   models.Index(fields=["shape", "last_at"], name="gov_hot_shape")]

    def __str__(self) -> str:
        return self.label


class HotspotBuild(models.Model):
    """The nightly build's mark: when the last full build ran, and which nightly run is queued
    (a conditional UPDATE on it lets several starting workers queue one run, not several)."""

    key = models.CharField(max_length=20, unique=True, default="default")
    built_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0.0)
    nightly_queued_for = models.DateTimeField(null=True, blank=True)


class RootCause(models.Model):
    """One entry of the editable list of root causes (溯源结论): ageing facilities, a management
    gap, a policy gap... Administrators edit it in the admin; defaults seeded by a migration."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=60)
    active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("根源类型")
        verbose_name_plural = _("根源类型")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label


class Finding(models.Model):
    """A supervisor's root-cause finding on a hotspot: an append-only record in governance's own
    trace, hash-chained per hotspot (the hash covers the previous one, so a changed, inserted or
    deleted finding is detectable, as in the orders' trace). A later finding supersedes an
    earlier one; none is edited or deleted. Written only by rootcause.record_finding."""

    root_order_id = models.BigIntegerField(db_index=True)  # the hotspot (its first order)
    seq = models.PositiveIntegerField()
    label = models.CharField(_("热点"), max_length=200)  # the hotspot's label when recorded
    causes = models.JSONField(default=list)  # RootCause codes
    note = models.TextField(_("说明"), blank=True)
    figures = models.JSONField(default=dict)  # the root-cause figures the supervisor saw
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=20)
    at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("溯源结论")
        verbose_name_plural = _("溯源结论")
        ordering = ["root_order_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["root_order_id", "seq"], name="gov_finding_seq_unique")]


class AreaBoundary(models.Model):
    """One area's boundary on the district map (governance.geo): a GeoJSON Polygon or
    MultiPolygon geometry, longitude/latitude. The whole set is replaced by each upload."""

    area = models.OneToOneField(Area, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    geometry = models.JSONField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("区域边界")
        verbose_name_plural = _("区域边界")
        ordering = ["area__code"]

    def __str__(self) -> str:
        return str(self.area)


# ---- governance tasks (专项治理): written only by governance/task_actions.py -------------------------

TASK_STATE_CHOICES = [("draft", _("拟定中")), ("active", _("治理中")), ("evaluating", _("待评估")),
                      ("closed", _("已结项")), ("cancelled", _("已撤销"))]
COMPARISON_CHOICES = [("areas", _("同类诉求在其他区域")), ("last_year", _("去年同期"))]
TASK_ACTION_LABELS = {"create": _("立项"), "add_measure": _("增加措施"), "start": _("启动治理"), "report": _("报告进展"),
                      "complete_measure": _("措施完成"), "link": _("关联工单"), "proactive": _("主动派发工单"),
                      "submit": _("申请结项评估"), "resume": _("退回继续治理"), "assess": _("评估结项"),
                      "cancel": _("撤销"), "annotate": _("备注")}
VERDICT_CHOICES = [("met", _("达到目标")), ("partly", _("部分达到")), ("not_met", _("未达到目标"))]


class GovernanceTask(models.Model):
    """A governance task (专项治理 / 每月一题): one problem, one lead unit, measures with owners and
    deadlines, the orders it is about, and a target that the effect measurement is judged by. Its
    states are governance/taskflow.py's table; every change writes one TaskEvent (its trace)."""

    number = models.CharField(_("任务编号"), max_length=20, unique=True)
    title = models.CharField(_("治理任务"), max_length=200)
    problem = models.TextField(_("问题描述"))
    state = models.CharField(_("状态"), max_length=12, choices=TASK_STATE_CHOICES, default="draft", db_index=True)
    lead_unit = models.ForeignKey("directory.Unit", verbose_name=_("牵头单位"), on_delete=models.PROTECT,
                                  related_name="led_tasks")
    co_units = models.ManyToManyField("directory.Unit", verbose_name=_("配合单位"), blank=True, related_name="co_tasks")
    categories = models.ManyToManyField("directory.Category", verbose_name=_("诉求分类"), related_name="+")
    areas = models.ManyToManyField(Area, verbose_name=_("区域"), blank=True, related_name="+")  # none: the district
    hotspot_roots = models.JSONField(default=list)  # the hotspots it came from (their first orders)
    target_reduction = models.PositiveSmallIntegerField(_("目标降幅（%）"), default=50)
    target_weeks = models.PositiveSmallIntegerField(_("评估周期（周）"), default=13)
    comparison = models.CharField(_("对照"), max_length=10, choices=COMPARISON_CHOICES, default="areas")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("立项时间"))
    started_at = models.DateTimeField(_("启动时间"), null=True, blank=True)
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("申请结项时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结项时间"), null=True, blank=True)
    verdict = models.CharField(_("评估结论"), max_length=10, choices=VERDICT_CHOICES, blank=True)
    event_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("治理任务")
        verbose_name_plural = _("治理任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TaskMeasure(models.Model):
    """One measure of a task: what is to be done, by which unit, by when."""

    task = models.ForeignKey(GovernanceTask, on_delete=models.CASCADE, related_name="measures")
    seq = models.PositiveSmallIntegerField()
    text = models.CharField(_("措施"), max_length=500)
    owner = models.ForeignKey("directory.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("完成时限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("治理措施")
        verbose_name_plural = _("治理措施")
        ordering = ["task", "seq"]
        constraints = [models.UniqueConstraint(fields=["task", "seq"], name="gov_measure_seq_unique")]

    def __str__(self) -> str:
        return self.text


class TaskProgress(models.Model):
    """A unit's progress report on one of its measures, with its evidence (checked by content)."""

    measure = models.ForeignKey(TaskMeasure, on_delete=models.CASCADE, related_name="progress")
    text = models.TextField(_("进展情况"))
    file = models.FileField(_("佐证材料"), upload_to="governance/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("措施进展")
        verbose_name_plural = _("措施进展")
        ordering = ["measure", "at", "id"]


class TaskOrder(models.Model):
    """A work order the task is about (from its hotspots, or linked by a supervisor), or one it
    produced (a proactive order: proactive=True)."""

    task = models.ForeignKey(GovernanceTask, on_delete=models.CASCADE, related_name="links")
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")
    proactive = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "order"], name="gov_task_order_unique")]


class TaskEvent(models.Model):
    """The task's trace: append-only, hash-chained per task (hotline.chain.step_hash over the task's
    number), so a changed, inserted or removed event is detectable."""

    task = models.ForeignKey(GovernanceTask, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=20)
    actor_unit = models.ForeignKey("directory.Unit", null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["task", "seq"]
        constraints = [models.UniqueConstraint(fields=["task", "seq"], name="gov_task_event_seq_unique")]
# ---- acting before the call (未诉先办): seasonal rules ---------------------------------------------


DEFAULT_TITLE = "{place}{name}"
DEFAULT_DESCRIPTION = ("去年同期（{last_from}至{last_to}）{area}{place}共有{count}件相关投诉。"
                       "请在{start}前主动上门排查，发现问题及时处置，并答复办理情况。")


class SeasonalRule(models.Model):
    """A matter that returns with the season (heating from 15 November, flooding with the rains):
    `days_ahead` days before the season's start each year, one proactive order goes to each place
    (area + estate, site or road, as hotspots key places) that had at least `min_complaints`
    complaints in its categories in last season's window (last year's start, for `lookback_days`
    days), to the unit that handled most of them there (or `unit`). Administrators edit the rules
    in the admin; governance.seasonal generates the orders, once per rule, season and place."""

    name = models.CharField(_("名称"), max_length=100)
    categories = models.ManyToManyField("directory.Category", verbose_name=_("诉求分类"), related_name="+",
                                        help_text=_("含下级分类。"))
    areas = models.ManyToManyField(Area, verbose_name=_("区域"), blank=True, related_name="+",
                                   help_text=_("不选为全区；含下级区域。"))
    start_month = models.PositiveSmallIntegerField(_("季节开始（月）"))
    start_day = models.PositiveSmallIntegerField(_("季节开始（日）"))
    days_ahead = models.PositiveSmallIntegerField(_("提前生成（天）"), default=14,
                                                  help_text=_("季节开始前多少天生成主动治理工单。"))
    lookback_days = models.PositiveSmallIntegerField(
        _("回看天数"), default=120, help_text=_("上一季：从去年的季节开始日起多少天内的投诉。"))
    min_complaints = models.PositiveSmallIntegerField(_("最少投诉件数"), default=2,
                                                      help_text=_("上一季投诉达到此件数的地点才生成工单。"))
    title_template = models.CharField(
        _("标题模板"), max_length=200, default=DEFAULT_TITLE,
        help_text=_("可用：{place}地点、{area}区域、{name}规则名称、{count}去年投诉件数、{year}年度、{start}季节开始日。"))
    description_template = models.TextField(
        _("内容模板"), default=DEFAULT_DESCRIPTION,
        help_text=_("可用：{place}、{area}、{name}、{count}、{year}、{start}、{last_from}、{last_to}。"))
    unit = models.ForeignKey("directory.Unit", verbose_name=_("固定承办单位"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+",
                             help_text=_("不选：派给去年办理该地点投诉最多的单位。"))
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("季节性规则")
        verbose_name_plural = _("季节性规则")
        ordering = ["start_month", "start_day", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from . import seasonal

        errors = seasonal.rule_errors(self)
        if errors:
            raise ValidationError(errors)


class SeasonalOrder(models.Model):
    """The proactive order a seasonal rule made for one place in one season: the unique constraint
    is the rule's idempotency (never two orders for a rule, season and place, also when two
    workers run the rules at once). Written by governance.seasonal only, in the order's transaction."""

    rule = models.ForeignKey(SeasonalRule, verbose_name=_("季节性规则"), on_delete=models.PROTECT,
                             related_name="generated")
    season = models.PositiveSmallIntegerField(_("年度"))  # the year the season starts
    area_id_value = models.BigIntegerField(default=0)  # 0: no area (the hotspots' block key)
    place = models.CharField(_("地点"), max_length=60)
    order = models.OneToOneField(WorkOrder, verbose_name=_("工单"), null=True, on_delete=models.PROTECT,
                                 related_name="+")
    complaints = models.PositiveIntegerField(_("去年投诉件数"), default=0)
    unit_basis = models.CharField(max_length=20, default="last_season")  # last_season | fixed | list
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("季节性规则生成的工单")
        verbose_name_plural = _("季节性规则生成的工单")
        ordering = ["rule_id", "-season", "place"]
        constraints = [models.UniqueConstraint(fields=["rule", "season", "area_id_value", "place"],
                                               name="gov_seasonal_once")]


class SeasonalRun(models.Model):
    """The daily seasonal run's mark: when it last ran, and which run is queued (the conditional
    UPDATE of assessment.tasks.queue_nightly)."""

    key = models.CharField(max_length=20, unique=True, default="default")
    ran_at = models.DateTimeField(null=True, blank=True)
    nightly_queued_for = models.DateTimeField(null=True, blank=True)
