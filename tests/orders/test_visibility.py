"""orders_visible_to: the one place where a user's role and unit become a queryset filter."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from hotline.directory.models import User
from hotline.orders import actions, selectors
from hotline.orders.states import State
from tests.conftest import make_order


@pytest.fixture
def orders(district):
    """Orders around 东湖街道 (street-a) and 西城街道 (street-b), by name."""
    d, p = district, district.people
    o = {
        "a_received": make_order(d, area="east-lake"),
        "b_received": make_order(d, area="west-city"),
        "a_led": make_order(d, area="east-lake"),
        "b_led": make_order(d, area="west-city"),
        "a_co": make_order(d, category="施工噪声", area="west-city", title="施工噪声"),
        "a_area_other_lead": make_order(d, category="施工噪声", area="east-lake", title="施工噪声"),
        "no_area": make_order(d, area=None, category="路灯不亮", title="路灯不亮"),
    }
    actions.do_dispatch(o["a_led"], actor=p["chengang"], unit_id=d.units["street-a"].pk)
    actions.do_dispatch(o["b_led"], actor=p["chengang"], unit_id=d.units["street-b"].pk)
    actions.do_dispatch(o["a_co"], actor=p["chengang"], unit_id=d.units["enforcement"].pk,
                        co_unit_ids=[d.units["street-a"].pk])
    actions.do_dispatch(o["a_area_other_lead"], actor=p["chengang"], unit_id=d.units["enforcement"].pk)
    return o


def _names(user, orders) -> set[str]:
    ids = set(selectors.orders_visible_to(user).values_list("id", flat=True))
    return {name for name, oid in orders.items() if oid in ids}


def test_a_street_handler_sees_its_units_orders_and_undispatched_ones_in_its_area(district, orders):
    assert _names(district.people["liqiang"], orders) == {"a_received", "a_led", "a_co"}
    assert _names(district.people["lizhang"], orders) == {"a_received", "a_led", "a_co"}


def test_another_streets_handler_sees_none_of_them(district, orders):
    assert _names(district.people["zhaomin"], orders) == {"b_received", "b_led"}


def test_a_department_sees_what_it_leads(district, orders):
    assert _names(district.people["zhengzhi"], orders) == {"a_co", "a_area_other_lead"}
    assert _names(district.people["wujian"], orders) == set()


@pytest.mark.parametrize("name", ["wangfang", "chengang", "zhoushen", "sunhui", "liudu", "admin"])
def test_district_roles_see_every_order(district, orders, name):
    assert _names(district.people[name], orders) == set(orders)


def test_the_system_sees_every_order_although_it_cannot_log_in(district, orders):
    assert _names(actions.system_user(), orders) == set(orders)


def test_inactive_and_anonymous_users_see_nothing(district, orders):
    for name in ("liqiang", "chengang"):
        user = district.people[name]
        user.is_active = False
        user.save()
        assert _names(user, orders) == set()
    assert _names(AnonymousUser(), orders) == set()


def test_a_unit_role_without_a_unit_sees_nothing(district, orders):
    loose = User.objects.create(username="loose", role="handler")
    assert _names(loose, orders) == set()


def test_it_lists_each_order_once_even_with_several_co_units(district):
    d = district
    oid = make_order(d, category="施工噪声", area="east-lake", title="施工噪声")
    actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["enforcement"].pk,
                        co_unit_ids=[d.units["street-a"].pk, d.units["environment"].pk])
    assert list(selectors.orders_visible_to(d.people["liqiang"]).values_list("id", flat=True)) == [oid]


def test_a_handler_loses_sight_of_an_order_handed_to_another_unit(district):
    d, p = district, district.people
    oid = make_order(d)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="该路段属于市政道路，由区城管执法局负责。")
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=d.units["enforcement"].pk, note="改派城管执法局")
    assert selectors.order_for(p["liqiang"], oid) is None
    assert selectors.order_for(p["zhengzhi"], oid).state == State.DISPATCHED


@pytest.mark.parametrize("garbage", ["abc", None, -1, [], 10**30, 1.5, True])
def test_order_for_answers_garbage_ids_with_none(district, garbage):
    assert selectors.order_for(district.people["chengang"], garbage) is None
