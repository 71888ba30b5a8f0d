"""The arithmetic of assessment, pure (no Django models): the three rates, the composite score,
Wilson intervals, small-sample marks, and every figure that follows from one set of counters
(`figures`). Formula weights are configuration
(settings.HOTLINE_ASSESSMENT, see `config()`); defaults are DESIGN.md's."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # composite = Σ weight × rate
    "weights": {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4},
    # a "basically satisfied" answer counts this much of a "satisfied" one
    "basic_weight": 0.9,
    # fewer valid callbacks than this: the unit's figures are shown but not ranked
    "min_sample": 30,
    # z for the Wilson interval (1.96 = 95 %)
    "z": 1.96,
    # shrinkage (pseudo-callbacks) of a category cell's expected rate towards the district's
    "difficulty_prior": 10,
    # gaming checks (rate-based checks need this many valid callbacks in each period compared)
    "gaming_min_valid": 20,
    "gaming_gap": 0.15,  # satisfaction − resolution at or above this is suspicious
    "gaming_min_unresolved_satisfied": 3,
    "gaming_other_phone_share": 0.10,
    "gaming_other_phone_min": 3,
    "gaming_staff_min": 1,
    "gaming_cluster_repeat": 3,  # one number with this many simple requests to one unit...
    "gaming_cluster_min_orders": 6,
    "gaming_cluster_satisfied_share": 0.9,  # ...and rates (nearly) all of them "satisfied"
    "gaming_jump": 0.15,  # satisfaction up this much...
    "gaming_jump_resolution": 0.05,  # ...while resolution moved less than this
    "gaming_device_min": 3,  # online answers from one device/address for this many orders of one unit
    # early warnings
    "warn_redo_jump": 0.10,  # redo rate up this much against the previous window
    "warn_overdue_jump": 2.0,  # late replies at least this many times the previous window's
    "warn_overdue_min": 5,
    "warn_gap": 0.20,
    "warn_surge_factor": 2.0,
    "warn_surge_min": 10,
    "warn_min_replies": 10,
    # diagnostics
    "capacity_per_handler_day": 8,  # orders one handler can handle per working day
    # (the documentation burden is measured from the trace, assessment/burden.py: no configured minutes)
}


def config() -> dict[str, Any]:
    """DEFAULTS overlaid with settings.HOTLINE_ASSESSMENT (a dict; absent keys keep defaults)."""
    out = dict(DEFAULTS)
    out.update(getattr(settings, "HOTLINE_ASSESSMENT", {}) or {})
    return out


def ratio(num: float, den: float) -> float | None:
    """num / den, or None when there is nothing to divide by (shown as "—", never as 0 %)."""
    return num / den if den else None


def wilson(successes: float, n: float, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval for a proportion; None for n == 0. Weighted successes (0.9 for a
    basically satisfied answer) are allowed: the interval is then approximate."""
    if n <= 0:
        return None
    p = min(max(successes / n, 0.0), 1.0)
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Rates:
    """The three rates and the composite for one group of valid callbacks."""

    valid: int
    contacted: int
    resolved: int
    satisfied: int
    basic: int
    response: float | None
    resolution: float | None
    satisfaction: float | None
    composite: float | None
    small_sample: bool
    resolution_ci: tuple[float, float] | None
    satisfaction_ci: tuple[float, float] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid_callbacks": self.valid, "response_rate": _r(self.response), "resolution_rate": _r(self.resolution),
            "satisfaction_rate": _r(self.satisfaction), "composite": _r(self.composite),
            "small_sample": self.small_sample,
            "resolution_ci": [_r(x) for x in self.resolution_ci] if self.resolution_ci else None,
            "satisfaction_ci": [_r(x) for x in self.satisfaction_ci] if self.satisfaction_ci else None,
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def three_rates(valid: int, contacted: int, resolved: int, satisfied: int, basic: int,
                cfg: dict[str, Any] | None = None) -> Rates:
    """response = contacted / valid; resolution = resolved / valid; satisfaction = (satisfied +
    basic_weight × basic) / valid; composite = weighted sum (None if any rate is None)."""
    cfg = cfg or DEFAULTS
    response = ratio(contacted, valid)
    resolution = ratio(resolved, valid)
    sat_points = satisfied + cfg["basic_weight"] * basic
    satisfaction = ratio(sat_points, valid)
    w = cfg["weights"]
    composite = None
    if valid:
        composite = (w["response"] * (response or 0) + w["resolution"] * (resolution or 0)
                     + w["satisfaction"] * (satisfaction or 0))
    return Rates(
        valid=valid, contacted=contacted, resolved=resolved, satisfied=satisfied, basic=basic, response=response,
        resolution=resolution, satisfaction=satisfaction, composite=composite, small_sample=valid < cfg["min_sample"],
        resolution_ci=wilson(resolved, valid, cfg["z"]), satisfaction_ci=wilson(sat_points, valid, cfg["z"]),
    )


def rank(rows: list[dict[str, Any]], key: str = "composite") -> list[dict[str, Any]]:
    """Rank rows by `key` (highest first). Rows marked small_sample or without a value get
    rank None and go last: no unit ranks first on three callbacks. Ties share a rank."""
    eligible = [r for r in rows if not r.get("small_sample") and r.get(key) is not None]
    others = [r for r in rows if r not in eligible]
    eligible.sort(key=lambda r: -r[key])
    previous, position = None, 0
    for i, r in enumerate(eligible, start=1):
        if r[key] != previous:
            position, previous = i, r[key]
        r["rank"] = position
    for r in others:
        r["rank"] = None
    return eligible + others


def figures(counters: dict[str, int], cfg: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every rate and process indicator that follows from one set of summed counters."""
    cfg = cfg or config()
    c = counters
    out: dict[str, Any] = three_rates(c["valid"], c["contacted"], c["resolved"], c["satisfied"], c["basic"], cfg).as_dict()
    out.update({
        "orders": c["dispatched"],
        "callbacks": c["callbacks"],
        "replies": c["replies"],
        "redos": c["redos"],
        "redo_rate": r4(ratio(c["redos"], c["replies"])),
        "returns": c["returns"],
        "return_rate": r4(ratio(c["returns"], c["dispatched"])),
        "returns_upheld": c["returns_upheld"],
        "returns_rejected": c["returns_rejected"],
        "returns_joint": c["returns_joint"],
        # of the returns decided in the period, the share upheld (accepted, escalated, to the city)
        "upheld_return_rate": r4(ratio(c["returns_upheld"], c["arbitrated"])),
        "pingpong_orders": c["pingpong_orders"],
        "pingpong_returns": c["pingpong_returns"],
        "sign_on_time": r4(ratio(c["signed"] - c["signed_late"], c["signed"])),
        "contact_on_time": r4(ratio(c["contact_on_time"], c["contact_due"])),
        "reply_on_time": r4(ratio(c["replies"] - c["replies_late"], c["replies"])),
        "signed_late": c["signed_late"],
        "replies_late": c["replies_late"],
        "extensions": c["extensions"],
        "extension_rate": r4(ratio(c["extensions"], c["dispatched"])),
        "hours_to_dispatch": r4(ratio(c["dispatch_seconds"] / 3600, c["first_dispatches"])),
        "days_to_close": r4(ratio(c["close_seconds"] / 86400, c["closed"])),
        "closed": c["closed"],
        "excluded_valid": c["excluded_valid"],
        "excluded_unreasonable": c["excluded_unreasonable"],
        "unresolved_satisfied": c["unresolved_satisfied"],
        "other_phone": c["other_phone"],
        "no_authority_replies": c["no_authority_replies"],
        "arbitration_hours": r4(ratio(c["arbitration_seconds"] / 3600, c["arbitrated"])),
        # proactive work (未诉先办), outside the callback-based rates: verified and closed, and
        # the share that passed at the first verification
        "proactive_verified": c["proactive_verified"],
        "proactive_first_time": c["proactive_first_time"],
        "proactive_first_time_rate": r4(ratio(c["proactive_first_time"], c["proactive_verified"])),
    })
    return out


def r4(x: float | None) -> float | None:
    return None if x is None else round(x, 4)

