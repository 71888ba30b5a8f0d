from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _changed(sender, using="default", **kwargs) -> None:  # noqa: ANN001
    from .snapshot import bump

    bump(using)


class DirectoryConfig(AppConfig):
    name = "hotline.directory"
    label = "directory"
    verbose_name = _("机构与人员")

    def ready(self) -> None:
        # Every save or delete of the reference data the actions keep in memory marks it changed
        # (directory.snapshot), in the same transaction as the change.
        from .models import (
            Area,
            CalendarDay,
            CalendarYear,
            Category,
            DeadlineRule,
            ProcedureProfile,
            ResponsibilityRule,
            Unit,
        )

        for model in (Area, CalendarDay, CalendarYear, Category, DeadlineRule, ProcedureProfile, ResponsibilityRule,
                      Unit):
            post_save.connect(_changed, sender=model, dispatch_uid=f"directory-revision-save-{model.__name__}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"directory-revision-delete-{model.__name__}")
