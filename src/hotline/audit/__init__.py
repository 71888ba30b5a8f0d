"""The security log: what happened outside any one order's trace (exports of personal data,
login lockouts and unlocks). An order's own trace stays in orders.Event."""
