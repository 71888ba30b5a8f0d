"""The pages: a person's own notifications and preferences; all recent ones for supervisors and
the administrator only. Reads only read."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from hotline.notify import services
from hotline.notify.models import Notification, NotifySettings, Preference
from hotline.notify.rules import Kind, Medium


def _row(person, text, state=Notification.State.SENT):
    return Notification.objects.create(person=person, kind="urge", medium="sms", text=text, state=state,
                                       created_at=timezone.now(), order_number="2026120300001")


def test_a_person_sees_their_own_notifications_only(client, district):
    p = district.people
    _row(p["liqiang"], "给李强的通知")
    _row(p["zhaomin"], "给赵敏的通知")
    client.force_login(p["liqiang"])
    html = client.get("/notify/").content.decode()
    assert "给李强的通知" in html and "给赵敏的通知" not in html
    assert "已发送" in html


def test_all_recent_notifications_open_for_supervisors_and_the_administrator_only(client, district):
    p = district.people
    _row(p["liqiang"], "给李强的通知")
    _row(p["zhaomin"], "发送失败的通知", state=Notification.State.FAILED)
    for name in ("liqiang", "chengang", "wangfang"):
        client.force_login(p[name])
        assert client.get("/notify/all/").status_code == 403
    for name in ("liudu", "admin"):
        client.force_login(p[name])
        html = client.get("/notify/all/").content.decode()
        assert "给李强的通知" in html and "发送失败的通知" in html
    html = client.get("/notify/all/?state=failed").content.decode()
    assert "发送失败的通知" in html and "给李强的通知" not in html


def test_a_bad_filter_or_page_is_a_400_not_a_500(client, district):
    client.force_login(district.people["liudu"])
    assert client.get("/notify/all/?state=nonsense").status_code == 400
    assert client.get("/notify/?page=abc").status_code == 400


def test_the_main_menu_offers_the_notifications(client, district):
    client.force_login(district.people["liqiang"])
    assert 'href="/notify/"' in client.get("/notify/preferences/").content.decode()


def test_the_pages_need_a_login(client, district):
    for url in ("/notify/", "/notify/all/", "/notify/preferences/"):
        assert client.get(url).status_code == 302


def test_the_preferences_page_shows_the_defaults_and_saves_the_person_s_own_choice(client, district):
    person = district.people["liqiang"]
    client.force_login(person)
    page = client.get("/notify/preferences/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["new_order__sms"].value() is True and form["new_order__email"].value() is False
    assert form["quiet_start"].value() == dt.time(22, 0)
    saved = client.post("/notify/preferences/", {"new_order__wecom": "on", "new_order__email": "on",
                                                 "urge__sms": "on", "quiet_start": "23:00", "quiet_end": "06:30"})
    assert saved.status_code == 302
    media, quiet = services.preferences_of(person)
    assert media[Kind.NEW_ORDER] == (Medium.WECOM, Medium.EMAIL)
    assert media[Kind.URGE] == (Medium.SMS,)
    assert media[Kind.OVERDUE] == ()  # every kind is saved: unticked is "not told"
    assert quiet == (dt.time(23, 0), dt.time(6, 30))
    assert not NotifySettings.objects.exclude(person=person).exists()


def test_clearing_both_quiet_times_means_no_quiet_hours(client, district):
    person = district.people["liqiang"]
    client.force_login(person)
    assert client.post("/notify/preferences/", {"urge__sms": "on", "quiet_start": "", "quiet_end": ""}).status_code == 302
    assert services.preferences_of(person)[1] is None


def test_bad_preferences_are_refused_with_a_400_and_nothing_saved(client, district):
    person = district.people["liqiang"]
    client.force_login(person)
    for bad in ({"quiet_start": "23:00"}, {"quiet_start": "25:99", "quiet_end": "07:00"},
                {"quiet_start": "08:00", "quiet_end": "08:00"}):
        assert client.post("/notify/preferences/", bad).status_code == 400
    assert not NotifySettings.objects.filter(person=person).exists()
    assert not Preference.objects.exists()


def test_the_preferences_page_cannot_edit_someone_else(client, district):
    p = district.people
    client.force_login(p["liqiang"])
    client.post("/notify/preferences/?person=" + str(p["zhaomin"].pk),
                {"person": p["zhaomin"].pk, "owner": p["zhaomin"].pk, "urge__email": "on"})
    assert NotifySettings.objects.get().person == p["liqiang"]


def test_the_administrator_edits_a_person_s_preferences_in_the_admin(client, district):
    admin, person = district.people["admin"], district.people["zhaomin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    data = {"person": person.pk, "quiet_start": "21:00", "quiet_end": "08:00",
            "preferences-TOTAL_FORMS": "1", "preferences-INITIAL_FORMS": "0", "preferences-MIN_NUM_FORMS": "0",
            "preferences-MAX_NUM_FORMS": "1000", "preferences-0-kind": "overdue", "preferences-0-email": "on"}
    assert client.post("/admin/notify/notifysettings/add/", data).status_code == 302
    media, quiet = services.preferences_of(person)
    assert media[Kind.OVERDUE] == (Medium.EMAIL,)
    assert media[Kind.URGE] == (Medium.SMS,)  # not set: the default
    assert quiet == (dt.time(21, 0), dt.time(8, 0))


def test_the_list_pages_do_not_write(client, district):
    _row(district.people["liudu"], "x")
    client.force_login(district.people["liudu"])
    before = Notification.objects.count()
    client.get("/notify/")
    client.get("/notify/all/")
    client.get("/notify/preferences/")
    assert Notification.objects.count() == before
    assert not NotifySettings.objects.exists()
