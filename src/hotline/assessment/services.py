"""What other parts of the product call (the supervisor's dashboard, the API): a period's
overview, a user's subscribed warnings, and the gaming checks. Reads only."""

from __future__ import annotations

from .gaming import check as gaming_checks
from .gaming import suspect
from .indicators import district_figures, overview
from .stats import freshness
from .warnings import evaluate as warnings_on
from .warnings import for_user as warnings_for

__all__ = ["district_figures", "freshness", "gaming_checks", "overview", "suspect", "warnings_for", "warnings_on"]
