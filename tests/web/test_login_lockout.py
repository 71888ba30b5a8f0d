"""Login throttling (django-axes) in the production configuration: per account, per address, on the
staff login and the admin login alike; the lockout page; lockouts and unlocks in the security log."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command

from hotline.audit.models import AuditEntry


def attempt(client, username, password, *, url="/login/", ip="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_production_configuration_locks_after_ten_failures_for_fifteen_minutes():
    assert settings.AXES_ENABLED is True
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_it_refuses_the_right_password_after_a_hundred_wrong_ones(client, people, url):
    for _ in range(100):
        attempt(client, "admin", "wrong-password", url=url)
    response = attempt(client, "admin", "pw", url=url)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "登录已锁定" in response.content.decode()
    assert "15 分钟后再试" in response.content.decode()


def test_it_locks_an_account_guessed_from_many_addresses(client, people):
    for i in range(10):
        attempt(client, "wangfang", "wrong", ip=f"10.0.1.{i}")
    assert attempt(client, "wangfang", "pw", ip="10.0.2.1").status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_locks_an_address_that_sprays_many_accounts(client, people):
    for name in ["wangfang", "chengang", "zhoushen", "sunhui", "liudu", "liqiang", "zhaomin", "admin", "x", "y"]:
        attempt(client, name, "wrong", ip="10.0.3.3")
    assert attempt(client, "chengang", "pw", ip="10.0.3.3").status_code == 429
    # Another address is not affected.
    assert attempt(client, "chengang", "pw", ip="10.0.3.4").status_code == 302


def test_a_few_typos_do_not_lock_and_a_success_resets_the_count(client, people):
    for _ in range(9):
        attempt(client, "liqiang", "wrong")
    assert attempt(client, "liqiang", "pw").status_code == 302
    client.logout()
    for _ in range(9):
        attempt(client, "liqiang", "wrong")
    assert attempt(client, "liqiang", "pw").status_code == 302


def test_each_lockout_is_in_the_security_log(client, people):
    for _ in range(12):
        attempt(client, "sunhui", "wrong", ip="10.0.4.4")
    entry = AuditEntry.objects.get(kind="lockout")
    assert entry.username == "sunhui"
    assert entry.ip == "10.0.4.4"


def test_hotline_unlock_lifts_the_lock_and_is_in_the_security_log(client, people):
    for _ in range(10):
        attempt(client, "liudu", "wrong")
    assert attempt(client, "liudu", "pw").status_code == 429
    call_command("unlock", "liudu", "--ip", "10.0.0.1")
    assert not AccessAttempt.objects.exists()
    assert AuditEntry.objects.filter(kind="unlock", username="liudu").exists()
    assert attempt(client, "liudu", "pw").status_code == 302


def test_an_administrator_unlocks_in_the_admin(client, people):
    for _ in range(10):
        attempt(client, "liudu", "wrong", ip="10.0.5.5")
    lock = AccessAttempt.objects.get(username="liudu")
    admin_client = type(client)()
    admin_client.force_login(people["admin"])
    response = admin_client.post(f"/admin/axes/accessattempt/{lock.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=lock.pk).exists()
    assert AuditEntry.objects.filter(kind="unlock", username="liudu").exists()
    assert attempt(client, "liudu", "pw", ip="10.0.5.5").status_code == 302
