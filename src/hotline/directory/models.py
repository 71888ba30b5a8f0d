"""The directory: organisations, units, people, categories, procedures, the responsibility list,
and the working-day calendar. This is reference data that administrators edit in the admin."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_LABELS, UNIT_ROLES, Role


class UnitKind(models.TextChoices):
    CITY_CENTRE = "city_centre", _("市热线中心")
    DISTRICT_CENTRE = "district_centre", _("区热线中心")
    STREET = "street", _("街道")
    TOWN = "town", _("乡镇")
    COMMUNITY = "community", _("社区")
    DEPARTMENT = "department", _("委办局")
    COMPANY = "company", _("公共服务企业")
    AUTHORITY = "authority", _("上级或垂直管理部门")
    OTHER = "other", _("其他单位")


# Units are ranked only against comparable units (the study: different standards for different
# kinds of units).
UNIT_GROUPS = {
    UnitKind.STREET: "street",
    UnitKind.TOWN: "street",
    UnitKind.COMMUNITY: "community",
    UnitKind.DEPARTMENT: "department",
    UnitKind.COMPANY: "company",
    UnitKind.AUTHORITY: "authority",
    UnitKind.OTHER: "other",
    UnitKind.CITY_CENTRE: "centre",
    UnitKind.DISTRICT_CENTRE: "centre",
}


class Unit(models.Model):
    """An organisation in the tree (city centre → district centre → streets → communities;
    departments; companies). Handling units (承办单位) receive orders.

    Invariant: a unit is never its own ancestor."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    handles_orders = models.BooleanField(_("承办工单"), default=True)
    active = models.BooleanField(_("启用"), default=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def group(self) -> str:
        return UNIT_GROUPS[UnitKind(self.kind)]

    def clean(self) -> None:
        seen = {self.pk}
        node = self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("上级单位不能形成循环。")})
            seen.add(node.pk)
            node = node.parent


class Area(models.Model):
    """A place orders come from: a street or town, optionally with communities under it.
    `unit` is the street office (or town government) that governs the area."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("属地单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="areas"
    )

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def lineage(self) -> list[Area]:
        """This area and its ancestors, nearest first."""
        out: list[Area] = []
        node: Area | None = self
        while node is not None and len(out) < 20:
            out.append(node)
            node = node.parent
        return out


class User(AbstractUser):
    """A person who uses the hotline, with one role; unit roles also name their unit."""

    ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]

    role = models.CharField(_("角色"), max_length=20, choices=ROLE_CHOICES, default=Role.AGENT.value)
    unit = models.ForeignKey(
        Unit, verbose_name=_("所属单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def clean(self) -> None:
        super().clean()
        if Role(self.role) in UNIT_ROLES and self.unit_id is None:
            raise ValidationError({"unit": _("承办单位的人员必须指定所属单位。")})


class StaffPhone(models.Model):
    """A phone number known to belong to a unit's staff. Callers on this list who rate that
    unit's orders are evidence of gamed satisfaction (scenario 5)."""

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="staff_phones")
    phone = models.CharField(_("电话"), max_length=20, db_index=True)
    name = models.CharField(_("姓名"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("工作人员电话")
        verbose_name_plural = _("工作人员电话")
        constraints = [models.UniqueConstraint(fields=["unit", "phone"], name="staffphone_unique")]

    def __str__(self) -> str:
        return f"{self.unit} {self.phone}"


class ReviewMode(models.TextChoices):
    FULL = "full", _("逐件审核")
    SAMPLE = "sample", _("抽样审核")


class ProcedureProfile(models.Model):
    """How orders of a kind are handled (the study's remedy 2): which reply elements and evidence
    are required, whether the unit must contact the caller first, and how replies are reviewed.
    A consultation needs no site photo; an environmental complaint does."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    description = models.TextField(_("说明"), blank=True)
    require_process = models.BooleanField(_("须写处办过程"), default=True)
    require_outcome = models.BooleanField(_("须写办理结果"), default=True)
    min_process_chars = models.PositiveIntegerField(_("处办过程最少字数"), default=15)
    min_outcome_chars = models.PositiveIntegerField(_("办理结果最少字数"), default=10)
    require_contact = models.BooleanField(_("须先联系来电人"), default=True)
    min_evidence = models.PositiveIntegerField(_("最少现场证据数"), default=0)
    review_mode = models.CharField(_("审核方式"), max_length=10, choices=ReviewMode.choices, default=ReviewMode.FULL)
    sample_rate = models.FloatField(_("抽样比例"), default=1.0, help_text=_("抽样审核时被抽中复核的比例（0–1）。"))
    trace_evidence_views = models.BooleanField(
        _("查看证据须留痕"), default=False,
        help_text=_("开启后，每次查看该类工单的证据材料都记入留痕（涉及个人隐私的材料）。"))

    class Meta:
        verbose_name = _("办理流程")
        verbose_name_plural = _("办理流程")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not 0.0 <= self.sample_rate <= 1.0:
            raise ValidationError({"sample_rate": _("抽样比例须在0到1之间。")})


class Category(models.Model):
    """A node of the 3-level request category tree. Its procedure profile is inherited from the
    nearest ancestor that names one."""

    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级分类"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.PositiveSmallIntegerField(_("层级"), default=1)
    path = models.CharField(_("完整路径"), max_length=400, unique=True)
    profile = models.ForeignKey(
        ProcedureProfile, verbose_name=_("办理流程"), null=True, blank=True, on_delete=models.SET_NULL
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_in_parent")]

    def __str__(self) -> str:
        return self.path

    def lineage(self) -> list[Category]:
        out: list[Category] = []
        node: Category | None = self
        while node is not None and len(out) < 10:
            out.append(node)
            node = node.parent
        return out

    def effective_profile(self) -> ProcedureProfile | None:
        for node in self.lineage():
            if node.profile_id is not None:
                return node.profile
        return None


class ResponsibilityRule(models.Model):
    """One line of the responsibility list (权责清单): for a category (and optionally an area),
    exactly one lead unit and optional co-units, in force from `effective_from` until
    `effective_to` (exclusive; open-ended when empty). "One kind of matter is coordinated by one
    department; one matter is owned by one department."

    Invariant: no two rules for the same category and area are in force on the same day."""

    category = models.ForeignKey(Category, verbose_name=_("诉求分类"), on_delete=models.PROTECT, related_name="rules")
    area = models.ForeignKey(
        Area, verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="rules",
        help_text=_("留空表示全区适用。"),
    )
    lead_unit = models.ForeignKey(Unit, verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="lead_rules")
    co_units = models.ManyToManyField(Unit, verbose_name=_("协办单位"), blank=True, related_name="co_rules")
    effective_from = models.DateField(_("生效日期"), default=dt.date(2020, 1, 1))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    basis = models.TextField(_("依据"), blank=True, help_text=_("三定方案、法规条款或区里的决定。"))
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("权责清单条目")
        verbose_name_plural = _("权责清单")
        ordering = ["category__path", "area__code", "-effective_from"]
        indexes = [models.Index(fields=["category", "area", "effective_from"])]

    def __str__(self) -> str:
        where = self.area.name if self.area_id else "全区"
        return f"#{self.pk} {self.category.path} · {where} → {self.lead_unit.name}"

    @property
    def label(self) -> str:
        return str(_("权责清单#%(n)s") % {"n": self.pk})

    def overlapping(self) -> models.QuerySet[ResponsibilityRule]:
        qs = ResponsibilityRule.objects.filter(category_id=self.category_id)
        qs = qs.filter(area__isnull=True) if self.area_id is None else qs.filter(area_id=self.area_id)
        if self.pk:
            qs = qs.exclude(pk=self.pk)
        # [a, b) and [c, d) overlap when a < d and c < b (open ends are infinite).
        if self.effective_to is not None:
            qs = qs.filter(effective_from__lt=self.effective_to)
        return qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=self.effective_from))

    def clean(self) -> None:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValidationError({"effective_to": _("失效日期必须晚于生效日期。")})
        if self.category_id is None or self.lead_unit_id is None:
            return
        if not self.lead_unit.handles_orders:
            raise ValidationError({"lead_unit": _("主办单位必须是承办工单的单位。")})
        clash = self.overlapping().select_related("lead_unit").first()
        if clash is not None:
            raise ValidationError(
                _("与%(rule)s冲突：同一分类和区域在同一时间只能有一个主办单位（%(unit)s）。")
                % {"rule": clash.label, "unit": clash.lead_unit.name}
            )

    def save(self, *args: object, **kwargs: object) -> None:
        # Validation only (no side effects): a conflicting rule must never reach the table,
        # whether it comes from the admin, the demo, an import or a script. The category row is
        # locked first, so two people saving rules for one category at the same moment check
        # and insert one after the other (bulk_create bypasses this, as it bypasses save()).
        with transaction.atomic():
            if self.category_id is not None:
                Category.objects.select_for_update().filter(pk=self.category_id).exists()
            self.clean()
            super().save(*args, **kwargs)  # type: ignore[arg-type]


class Urgency(models.TextChoices):
    """The urgency tiers chosen at intake, each with its clocks (settings.HOTLINE_CLOCKS). Here,
    below the orders, because a deadline rule names a category's default tier; orders.models
    re-exports it as the order's field choices."""

    EMERGENCY = "emergency", _("紧急（2小时）")
    UTILITY = "utility", _("水电气热（24小时）")
    GENERAL = "general", _("一般（7个工作日）")
    COMPLEX = "complex", _("复杂（15个工作日）")


# The tiers whose clocks run in hours, day and night: an emergency keeps its own limit when a
# deadline rule would give it longer (orders.deadlines, docs/deadlines.md).
URGENT_TIERS = frozenset({Urgency.EMERGENCY.value, Urgency.UTILITY.value})


class LimitUnit(models.TextChoices):
    WORKDAYS = "workdays", _("个工作日")
    HOURS = "hours", _("小时（昼夜连续计算）")


class DeadlineKind(models.TextChoices):
    LIMIT = "limit", _("答复时限规定")
    STANDING = "standing", _("中心批准的长期延长时限")


# Sane bounds for a reply limit: an administrator's typo (150 working days, 0 hours) must not
# become the clock of every order of a category.
MAX_LIMIT = {LimitUnit.WORKDAYS.value: 60, LimitUnit.HOURS.value: 168}
MAX_BASIS_CHARS = 2000


class DeadlineRule(models.Model):
    """The reply limit for a kind of problem (答复时限规则): for a category (and every
    sub-category that has no rule of its own) or for a procedure profile (every category whose
    profile it is, unless a category rule applies), in force from `effective_from` until
    `effective_to` (exclusive; open-ended when empty). It may also name the category's default
    urgency at intake. A standing longer limit (长期延长时限) is one the centre approved for a class
    of matters (wage arrears cannot be settled in 5 working days): who approved it, when, and on
    what basis are then required.

    Invariants: exactly one of category and profile; no two rules for the same category (or
    profile) are in force on the same day; a rule that an order's clock was set by is never
    edited in place (only closed with an end date after its last use): a change is a new
    version. Orders keep the rule they were dispatched under (WorkOrder.deadline_rule)."""

    category = models.ForeignKey(
        Category, verbose_name=_("诉求分类"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="deadline_rules", help_text=_("本分类及其下级分类（下级分类有自己的规则时除外）。"),
    )
    profile = models.ForeignKey(
        ProcedureProfile, verbose_name=_("办理流程"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="deadline_rules", help_text=_("采用该办理流程的所有分类（分类自己有规则时除外）。分类和办理流程只能选一个。"),
    )
    kind = models.CharField(_("规则类型"), max_length=10, choices=DeadlineKind.choices, default=DeadlineKind.LIMIT)
    reply_amount = models.PositiveIntegerField(_("答复时限"))
    reply_unit = models.CharField(_("时限单位"), max_length=10, choices=LimitUnit.choices, default=LimitUnit.WORKDAYS)
    default_urgency = models.CharField(
        _("受理时默认紧急程度"), max_length=10, choices=Urgency.choices, blank=True,
        help_text=_("受理该类诉求时预先选中的紧急程度；留空则不预选。"),
    )
    approved_by = models.CharField(_("批准单位或人员"), max_length=100, blank=True)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    basis = models.TextField(_("依据"), blank=True, help_text=_("文件、会议纪要或中心的决定。长期延长时限必填。"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("留空表示长期有效。"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("答复时限规则")
        verbose_name_plural = _("答复时限规则")
        ordering = ["category__path", "profile__name", "-effective_from"]
        indexes = [models.Index(fields=["category", "effective_from"]), models.Index(fields=["profile", "effective_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False, profile__isnull=True) | Q(category__isnull=True, profile__isnull=False),
                name="deadlinerule_one_target"),
            models.CheckConstraint(condition=Q(reply_amount__gte=1), name="deadlinerule_positive_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.target_label} · {self.limit_label}"

    @property
    def label(self) -> str:
        return str(_("时限规则#%(n)s") % {"n": self.pk})

    @property
    def target_label(self) -> str:
        if self.category_id is not None:
            return self.category.path
        if self.profile_id is not None:
            return str(_("办理流程：%(p)s") % {"p": self.profile.name})
        return ""

    @property
    def limit(self) -> tuple[float, str]:
        """The reply limit as the clocks take it: (amount, "workdays" | "hours")."""
        return float(self.reply_amount), self.reply_unit

    @property
    def limit_label(self) -> str:
        return limit_label(self.reply_amount, self.reply_unit)

    @property
    def standing(self) -> bool:
        return self.kind == DeadlineKind.STANDING

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def overlapping(self, *, ignoring: DeadlineRule | None = None) -> models.QuerySet[DeadlineRule]:
        qs = DeadlineRule.objects.filter(category_id=self.category_id, profile_id=self.profile_id)
        if self.pk:
            qs = qs.exclude(pk=self.pk)
        if ignoring is not None and ignoring.pk:
            qs = qs.exclude(pk=ignoring.pk)
        if self.effective_to is not None:
            qs = qs.filter(effective_from__lt=self.effective_to)
        return qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=self.effective_from))

    def predecessor(self) -> DeadlineRule | None:
        """The open-ended version in force for the same target that this one would follow:
        started before it. Saving this one with `replacing=` it ends that version the day this
        one starts."""
        qs = DeadlineRule.objects.filter(category_id=self.category_id, profile_id=self.profile_id,
                                         effective_to__isnull=True, effective_from__lt=self.effective_from)
        if self.pk:
            qs = qs.exclude(pk=self.pk)
        return qs.order_by("-effective_from").first()

    def last_use(self) -> dt.datetime | None:
        """When an order's reply clock was last set by this rule (its latest dispatch)."""
        if not self.pk:
            return None
        return self.dispatched_orders.aggregate(m=models.Max("dispatched_at"))["m"]

    # The version this one follows (new_version, the admin's form): ended the day this one starts.
    replacing: DeadlineRule | None = None

    SUBSTANCE = ("category_id", "profile_id", "kind", "reply_amount", "reply_unit", "default_urgency",
                 "approved_by", "approved_on", "basis", "effective_from")

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if (self.category_id is None) == (self.profile_id is None):
            errors.setdefault("category", []).append(_("请在“诉求分类”和“办理流程”中选且只选一个。"))
        if self.reply_unit not in MAX_LIMIT:
            errors.setdefault("reply_unit", []).append(_("未知的时限单位。"))
        elif self.reply_amount is not None and not 1 <= self.reply_amount <= MAX_LIMIT[self.reply_unit]:
            errors.setdefault("reply_amount", []).append(
                _("答复时限须在1到%(n)d%(unit)s之间。") % {"n": MAX_LIMIT[self.reply_unit],
                                                        "unit": LimitUnit(self.reply_unit).label})
        if self.default_urgency and self.default_urgency not in Urgency.values:
            errors.setdefault("default_urgency", []).append(_("未知的紧急程度。"))
        earliest = settings.HOTLINE_EARLIEST_DATE
        for name in ("effective_from", "effective_to", "approved_on"):
            value = getattr(self, name)
            if value is not None and not earliest <= value <= dt.date(2100, 12, 31):
                errors.setdefault(name, []).append(_("日期超出范围（%(a)s至2100-12-31）。") % {"a": earliest})
        if self.effective_from and self.effective_to is not None and self.effective_to <= self.effective_from:
            errors.setdefault("effective_to", []).append(_("失效日期必须晚于生效日期。"))
        for name in ("approved_by", "basis"):
            text = getattr(self, name) or ""
            if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
                errors.setdefault(name, []).append(_("内容含有无法保存的控制字符。"))
        if len(self.basis or "") > MAX_BASIS_CHARS:
            errors.setdefault("basis", []).append(_("依据不能超过%(n)d字。") % {"n": MAX_BASIS_CHARS})
        if self.kind == DeadlineKind.STANDING:
            if not (self.approved_by or "").strip():
                errors.setdefault("approved_by", []).append(_("长期延长时限须写明批准单位或人员。"))
            if self.approved_on is None:
                errors.setdefault("approved_on", []).append(_("长期延长时限须写明批准日期。"))
            if len((self.basis or "").strip()) < 5:
                errors.setdefault("basis", []).append(_("长期延长时限须写明依据（至少5个字）。"))
        if self.approved_on is not None and self.effective_from and self.approved_on > self.effective_from:
            errors.setdefault("approved_on", []).append(_("批准日期不能晚于生效日期。"))
        old = self.replacing
        if old is not None and (old.category_id, old.profile_id) != (self.category_id, self.profile_id):
            errors.setdefault("category", []).append(_("新版本须与被替代的版本针对同一分类或办理流程。"))
        elif old is not None and self.effective_from and self.effective_from <= old.effective_from:
            errors.setdefault("effective_from", []).append(
                _("新版本的生效日期须晚于现行版本的生效日期（%(d)s）。") % {"d": old.effective_from})
        elif old is not None and self.effective_from and (used := old.last_use()) is not None \
                and self.effective_from <= timezone.localdate(used):
            errors.setdefault("effective_from", []).append(
                _("已有工单在%(d)s按现行版本（%(rule)s）计时，新版本的生效日期须晚于该日。")
                % {"d": timezone.localdate(used), "rule": old.label})
        if errors:
            raise ValidationError(errors)
        if self.effective_from is None:  # refused as a field already (a date that is no date)
            return
        self._check_used()
        clash = self.overlapping(ignoring=old).first()
        if clash is not None:
            raise ValidationError(
                _("与%(rule)s（%(from)s起）的生效期重叠：同一分类或办理流程在同一时间只能有一条时限规则。"
                  "如要修改时限，请新增一个版本并终止现行版本。")
                % {"rule": clash.label, "from": clash.effective_from})

    def _check_used(self) -> None:
        """A rule orders were dispatched under keeps its substance; it may only be closed, and
        not before its last use (the orders' history would contradict it)."""
        if not self.pk:
            return
        before = DeadlineRule.objects.filter(pk=self.pk).values(*self.SUBSTANCE, "effective_to").first()
        used = self.last_use()
        if before is None or used is None:
            return
        changed = [name for name in self.SUBSTANCE if before[name] != getattr(self, name)]
        if changed:
            raise ValidationError(
                _("已有工单按%(rule)s计算答复时限，不能直接修改；请新增一个版本（新的生效日期），现行版本将在新版本生效时终止。")
                % {"rule": self.label})
        if self.effective_to is not None and self.effective_to <= timezone.localdate(used):
            raise ValidationError({"effective_to": [
                _("已有工单在%(d)s按本规则计时，失效日期须晚于该日。") % {"d": timezone.localdate(used)}]})

    def save(self, *args: object, **kwargs: object) -> None:
        # Validation first, whoever saves (admin, demo, script). The target's row is locked so two
        # administrators saving rules for one category check and insert one after the other.
        # `replacing` (set by new_version or the admin's form) is the version this one follows:
        # it is ended the day this one starts, in the same transaction.
        with transaction.atomic():
            if self.category_id is not None:
                Category.objects.select_for_update().filter(pk=self.category_id).exists()
            elif self.profile_id is not None:
                ProcedureProfile.objects.select_for_update().filter(pk=self.profile_id).exists()
            old = self.replacing
            if old is not None:
                self.version = max(self.version, old.version + 1)
            self.clean()
            if old is not None:
                old.effective_to = self.effective_from
                old.save()
                self.replacing = None
            super().save(*args, **kwargs)  # type: ignore[arg-type]

    def new_version(self, *, effective_from: dt.date, **changes: object) -> DeadlineRule:
        """A new version of this rule from `effective_from` (the fields not given are kept);
        this one ends that day. Saved; raises ValidationError as save() does."""
        fields = {name: getattr(self, name) for name in self.SUBSTANCE if name != "effective_from"}
        fields.update(changes)
        rule = DeadlineRule(**fields, effective_from=effective_from)
        rule.replacing = self
        rule.save()
        return rule


def limit_label(amount: float | int, unit: str) -> str:
    """"15个工作日", "24小时": a limit as people read it."""
    n = int(amount) if float(amount).is_integer() else amount
    if unit == LimitUnit.HOURS:
        return str(_("%(n)s小时") % {"n": n})
    return str(_("%(n)s个工作日") % {"n": n})


class CalendarDay(models.Model):
    """A day whose working status differs from the default (Monday–Friday work, weekends and
    the fixed-date statutory holidays off): holidays on weekdays, make-up working days (调休)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_workday else '休'} {self.note}"


class CalendarYear(models.Model):
    """A year whose official holiday schedule has been entered. Years without a row fall back to
    weekends plus fixed-date holidays, and administrators see a warning until it is entered."""

    year = models.PositiveIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=100, blank=True)
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已录入的年度安排")
        verbose_name_plural = _("已录入的年度安排")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class DirectoryRevision(models.Model):
    """One row whose token changes, in the same transaction, whenever the reference data that
    the actions read (categories, areas, units, procedure profiles, the responsibility list, the
    calendar) changes. Each process keeps that data in memory and reloads it when the token it
    was built from is no longer the one in this row (see `directory.snapshot`).

    A random token rather than a counter: a change rolled back and another one made after it
    must never produce the token of a copy built in between."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("基础数据版本")
        verbose_name_plural = _("基础数据版本")


# ---- change requests to the responsibility list (清单回头看): written only by change_actions.py ----

CHANGE_KIND_CHOICES = [("add", _("增补条目")), ("change", _("调整主办或协办单位")), ("retire", _("废止条目"))]
CHANGE_STATE_CHOICES = [("proposed", _("待审批")), ("approved", _("已批准")), ("rejected", _("未批准")),
                        ("withdrawn", _("已撤回"))]
CHANGE_ACTION_LABELS = {"propose": _("提出修改建议"), "approve": _("批准"), "reject": _("不予批准"), "withdraw": _("撤回")}


class RuleChange(models.Model):
    """A proposed change to the responsibility list: add a rule for a matter no rule covers,
    change a rule's lead unit or co-units, or retire a rule; with its basis, the reason, the
    figures that argue for it (frozen when proposed, with the period they cover) and the date
    it is to take effect. Its states are directory/changeflow.py's table; every step writes one
    RuleChangeEvent (its hash-chained trace). Approval writes the new version of the list
    (`new_rule`) and never edits the proposal's own fields."""

    kind = models.CharField(_("类型"), max_length=10, choices=CHANGE_KIND_CHOICES)
    state = models.CharField(_("状态"), max_length=12, choices=CHANGE_STATE_CHOICES, default="proposed",
                             db_index=True)
    rule = models.ForeignKey(ResponsibilityRule, verbose_name=_("所涉清单条目"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="change_requests")
    category = models.ForeignKey(Category, verbose_name=_("诉求分类"), on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    lead_unit = models.ForeignKey(Unit, verbose_name=_("拟定主办单位"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    co_unit_ids = models.JSONField(_("拟定协办单位"), default=list, blank=True)
    basis = models.TextField(_("依据"), blank=True)
    reason = models.TextField(_("理由"))
    figures = models.JSONField(_("数据依据"), default=dict, blank=True)
    figures_from = models.DateField(_("数据起始日期"), null=True, blank=True)
    figures_to = models.DateField(_("数据截止日期"), null=True, blank=True)
    effective_from = models.DateField(_("拟生效日期"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT,
                                    related_name="+")
    proposer_role = models.CharField(max_length=20)
    proposer_unit = models.ForeignKey(Unit, verbose_name=_("提出单位"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    applied_from = models.DateField(_("实际生效日期"), null=True, blank=True)
    new_rule = models.ForeignKey(ResponsibilityRule, verbose_name=_("新版本条目"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    event_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("清单修改建议")
        verbose_name_plural = _("清单修改建议")
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["state", "proposed_at"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return str(_("清单修改建议#%(n)s") % {"n": self.pk})


class RuleChangeEvent(models.Model):
    """One step of a change request, append-only and hash-chained per request (the hash covers
    the previous one and the step's content, as in the orders' trace)."""

    change = models.ForeignKey(RuleChange, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=20)
    actor_unit_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField()
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("清单修改留痕")
        verbose_name_plural = _("清单修改留痕")
        ordering = ["change", "seq"]
        constraints = [models.UniqueConstraint(fields=["change", "seq"], name="rulechange_event_seq_unique")]
