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
