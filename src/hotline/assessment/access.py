"""Who may see which figures: district roles see the whole district; a unit's people see only
their own unit; everyone else is refused."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from hotline.directory.roles import UNIT_ROLES, Role

DISTRICT_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.REVIEWER, Role.ADMIN})
# Who may open the assessment pages at all (a unit's people see only their own unit).
ASSESSMENT_ROLES = DISTRICT_ROLES | UNIT_ROLES


def unit_scope(user: Any) -> int | None:
    """None for district-wide access; the user's unit id for unit roles; PermissionDenied else."""
    role = Role(getattr(user, "role", Role.AGENT))
    if role in DISTRICT_ROLES:
        return None
    if role in UNIT_ROLES and user.unit_id is not None:
        return user.unit_id
    raise PermissionDenied
