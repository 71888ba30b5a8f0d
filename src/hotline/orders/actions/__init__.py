"""The only code that changes a work order (the rule of the house).

Each `do_<verb>(order_id, *, actor, ...)` runs in its own durable transaction: it locks the order
row, asks policies.py whether the actor may act and states.py where the order goes, writes the
order and exactly one hash-chained Event, and schedules side effects with on_commit. Anything
not allowed raises a DomainError and changes nothing.

The actions live in one module per concept (intake, centre, unit, callback, history) and share
the machinery in _base; this package re-exports every public name, so callers write
`from hotline.orders import actions` and `actions.do_sign(...)`.
"""

from ..models import WorkOrder
from ._base import (
    MIN_REASON_CHARS,
    Replayed,
    check_key,
    idempotent,
    key_reused,
    one_transaction,
    rule_for,
    system_user,
)
from .appeal import do_appeal_callback, do_appeal_redo, do_reject_appeal, do_uphold_appeal
from .callback import do_callback, do_callback_attempt, do_reopen
from .centre import (
    SCREEN_REASONS,
    do_accept_return,
    do_answer,
    do_claim,
    do_dispatch,
    do_escalate,
    do_joint,
    do_merge,
    do_reject_return,
    do_restore,
    do_return,
    do_return_to_city,
    do_screen_out,
    do_unmerge,
)
from .history import HistoryRecord, HistoryResult, do_import_history
from .intake import BatchResult, CleanIntake, Intake, do_create, do_create_many, validate_intake
from .joint import MIN_CO_REPLY_CHARS, do_co_reply, do_co_sign, do_co_urge
from .proactive import SOURCES_WITH_REF, do_create_proactive, do_verify
from .recheck import do_recheck
from .supervision import (
    do_close_supervision,
    do_escalate_supervision,
    do_lift_supervision,
    do_supervise,
    do_supervision_feedback,
    escalate_missed,
)
from .unit import (
    EFFECT_QUESTIONS,
    LEGACY_REDO_REASONS,
    REASON_QUESTIONS,
    REDO_REASON_LABELS,
    REDO_REASONS,
    do_annotate,
    do_approve,
    do_approve_extension,
    do_attach,
    do_contact,
    do_deny_extension,
    do_progress,
    do_redo,
    do_reply,
    do_request_extension,
    do_sign,
    do_urge,
    do_view_evidence,
    do_view_phone,
)
from .unreasonable import (
    UNREASONABLE_REASONS,
    do_contest_mark,
    do_keep_mark,
    do_lift_mark,
    do_reject_unreasonable,
    do_report_unreasonable,
    do_uphold_unreasonable,
)

__all__ = [
    "BatchResult",
    "CleanIntake",
    "HistoryRecord",
    "HistoryResult",
    "Intake",
    "MIN_CO_REPLY_CHARS",
    "MIN_REASON_CHARS",
    "EFFECT_QUESTIONS",
    "LEGACY_REDO_REASONS",
    "REASON_QUESTIONS",
    "REDO_REASON_LABELS",
    "REDO_REASONS",
    "SOURCES_WITH_REF",
    "Replayed",
    "SCREEN_REASONS",
    "UNREASONABLE_REASONS",
    "WorkOrder",
    "check_key",
    "do_accept_return",
    "do_appeal_callback",
    "do_appeal_redo",
    "do_reject_appeal",
    "do_uphold_appeal",
    "do_annotate",
    "do_answer",
    "do_approve",
    "do_approve_extension",
    "do_attach",
    "do_callback",
    "do_callback_attempt",
    "do_claim",
    "do_co_reply",
    "do_co_sign",
    "do_co_urge",
    "do_contact",
    "do_create",
    "do_create_many",
    "do_create_proactive",
    "do_deny_extension",
    "do_dispatch",
    "do_escalate",
    "do_import_history",
    "do_joint",
    "do_merge",
    "do_progress",
    "do_redo",
    "do_reject_return",
    "do_recheck",
    "do_reopen",
    "do_reply",
    "do_request_extension",
    "do_restore",
    "do_return",
    "do_return_to_city",
    "do_screen_out",
    "do_sign",
    "do_supervise",
    "do_unmerge",
    "do_urge",
    "do_verify",
    "do_view_evidence",
    "do_view_phone",
    "do_contest_mark",
    "do_keep_mark",
    "do_lift_mark",
    "do_reject_unreasonable",
    "do_report_unreasonable",
    "do_uphold_unreasonable",
    "do_close_supervision",
    "do_escalate_supervision",
    "do_lift_supervision",
    "do_supervision_feedback",
    "escalate_missed",
    "idempotent",
    "key_reused",
    "one_transaction",
    "rule_for",
    "system_user",
    "validate_intake",
]
