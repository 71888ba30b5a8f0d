"""The district built once per test package (see tests/orders/conftest.py)."""

from tests.orders.conftest import _shared_district, district  # noqa: F401
