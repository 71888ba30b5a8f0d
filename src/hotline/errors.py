"""Domain errors: a machine-readable code and a message in the user's language.

Views and the API turn every DomainError into a 4xx response of one shape
({"error": code, "message": ..., "details": ...}); nothing a user does should end in a 500.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: Any, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.details = details if details is not None else {}

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": str(self.message), "details": _plain(self.details)}


def _plain(value: Any) -> Any:
    # Lazy translation proxies are not JSON-serialisable: force them to str.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class NotAllowed(DomainError):
    """The actor's role or unit does not give the right to take this action on this order."""

    code = "not_allowed"
    status = 403


class InvalidTransition(DomainError):
    """The action does not apply to the order in its current state."""

    code = "invalid_transition"
    status = 409


class InvalidInput(DomainError):
    """Input failed validation; details maps each field to its messages."""

    code = "invalid_input"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Unauthenticated(DomainError):
    """No valid credentials: an unknown, expired or revoked key, or no login."""

    code = "unauthenticated"
    status = 401


class RateLimited(DomainError):
    """Too many requests in the current window; `retry_after` says in how many seconds to retry."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: Any, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
