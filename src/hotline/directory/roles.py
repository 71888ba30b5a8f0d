"""Roles of the people who use the hotline (pure: no Django models)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    AGENT = "agent"  # 坐席: takes calls, writes orders
    DISPATCHER = "dispatcher"  # 派单员: screens, merges, dispatches, arbitrates returns
    HANDLER = "handler"  # 承办人: a handling unit's worker
    UNIT_HEAD = "unit_head"  # 承办单位负责人
    REVIEWER = "reviewer"  # 审核员
    CALLBACK = "callback"  # 回访员
    SUPERVISOR = "supervisor"  # 督办 / 领导
    ADMIN = "admin"  # 系统管理员: directory and configuration
    SYSTEM = "system"  # the triage service and other automatic actors
    CITY = "city"  # 市级平台: the city 12345 platform, acting through the city link (hotline.citylink)
    PUBLIC = "public"  # 市民网上渠道: the citizens' web form (hotline.public), acting for the citizen


ROLE_LABELS: dict[Role, object] = {
    Role.AGENT: _("坐席"),
    Role.DISPATCHER: _("派单员"),
    Role.HANDLER: _("承办人"),
    Role.UNIT_HEAD: _("承办单位负责人"),
    Role.REVIEWER: _("审核员"),
    Role.CALLBACK: _("回访员"),
    Role.SUPERVISOR: _("督办领导"),
    Role.ADMIN: _("系统管理员"),
    Role.SYSTEM: _("系统（智能甄别）"),
    Role.CITY: _("市级平台"),
    Role.PUBLIC: _("市民网上渠道"),
}

# Roles that belong to a handling unit and act only on that unit's orders.
UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_HEAD})
# Roles that may see a caller's full phone number.
FULL_PHONE_ROLES = frozenset(
    {Role.AGENT, Role.DISPATCHER, Role.REVIEWER, Role.CALLBACK, Role.SUPERVISOR, Role.SYSTEM}
)
# Roles that may export caller names and full numbers in bulk (the order list's export). Never
# wider than FULL_PHONE_ROLES: the district's dispatcher, reviewer, callback agent and supervisor
# work across the whole register. An intake agent sees the number of the call in hand; a list of
# every caller is not part of that work, so the agent (like units and the administrator) exports
# the list without the personal columns. Each export with them is in the security log.
PERSONAL_EXPORT_ROLES = frozenset({Role.DISPATCHER, Role.REVIEWER, Role.CALLBACK, Role.SUPERVISOR}) & FULL_PHONE_ROLES
