"""Bad input never ends in a 500 or a half-written order: every problem is a DomainError with a
code, and nothing is written."""

from __future__ import annotations

import pytest
from django.test import override_settings

from hotline.directory.models import Unit
from hotline.errors import DomainError, InvalidInput, NotFound
from hotline.orders import actions
from hotline.orders.actions import Intake
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import Action, State
from tests.conftest import make_order
from tests.orders.loop import CALLS, PHOTO, Ctx, bring_to, photo, snapshot

GARBAGE_IDS = ["abc", "", None, -1, 0, 10**30, 3.7, [], {}, "1; DROP TABLE orders_workorder"]


def _intake(d, **kw) -> Intake:
    base = dict(title="路灯不亮", description="东湖路路灯连续三晚不亮，夜间出行不便。", caller_phone="13812345678",
                area_id=d.areas["east-lake"].pk, category_id=d.categories["路灯不亮"].pk)
    base.update(kw)
    return Intake(**base)


def test_it_refuses_an_unknown_category_and_creates_nothing(district):
    with pytest.raises(InvalidInput) as exc:
        actions.do_create(_intake(district, category_id=999999), actor=district.people["wangfang"])
    assert "category" in exc.value.details
    assert WorkOrder.objects.count() == 0


def test_it_refuses_an_inactive_category(district):
    cat = district.categories["路灯不亮"]
    cat.active = False
    cat.save()
    with pytest.raises(InvalidInput):
        actions.do_create(_intake(district), actor=district.people["wangfang"])
    assert WorkOrder.objects.count() == 0


def test_it_refuses_a_ten_megabyte_description_and_creates_nothing(district):
    with pytest.raises(InvalidInput) as exc:
        actions.do_create(_intake(district, description="路" * 10_000_000), actor=district.people["wangfang"])
    assert "description" in exc.value.details
    assert WorkOrder.objects.count() == 0
    assert Event.objects.count() == 0


@pytest.mark.parametrize("title,description,field", [
    ("", "有内容", "title"), ("   ", "有内容", "title"), ("标" * 201, "有内容", "title"),
    ("标题", "", "description"), ("标题", "内容\x00含控制字符", "description"),
])
def test_it_refuses_empty_or_oversized_text(district, title, description, field):
    with pytest.raises(InvalidInput) as exc:
        actions.do_create(_intake(district, title=title, description=description), actor=district.people["wangfang"])
    assert field in exc.value.details
    assert WorkOrder.objects.count() == 0


@pytest.mark.parametrize("phone", ["13812345678", "138 1234 5678", "010-12345678", "0755-1234567", "+8613812345678",
                                   "95598", "12345", "(010)12345678", ""])
def test_it_accepts_valid_phone_numbers(district, phone):
    order = actions.do_create(_intake(district, caller_phone=phone), actor=district.people["wangfang"])
    assert WorkOrder.objects.get(pk=order.pk).caller_phone == phone.replace(" ", "").replace("(", "").replace(")", "")


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "138123456789", "abc", "010-123", "+1 555 0100",
                                   "23812345678", "13812345678x", "１３８１２３４５６７８", "99"])
def test_it_refuses_invalid_phone_numbers(district, phone):
    with pytest.raises(InvalidInput) as exc:
        actions.do_create(_intake(district, caller_phone=phone), actor=district.people["wangfang"])
    assert "caller_phone" in exc.value.details
    assert WorkOrder.objects.count() == 0


@pytest.mark.parametrize("field,value", [
    ("channel", "telegram"), ("urgency", "whenever"), ("latitude", 91.0), ("longitude", "东经"),
    ("area_id", "nowhere"), ("area_id", -5), ("category_id", "abc"), ("idempotency_key", "k" * 81),
    ("caller_name", "名" * 51), ("address", "址" * 201),
])
def test_it_refuses_each_bad_intake_field(district, field, value):
    with pytest.raises(InvalidInput) as exc:
        actions.do_create(_intake(district, **{field: value}), actor=district.people["wangfang"])
    assert exc.value.details
    assert WorkOrder.objects.count() == 0


def test_it_returns_the_same_order_for_the_same_idempotency_key(district):
    agent = district.people["wangfang"]
    first = actions.do_create(_intake(district, idempotency_key="call-20261128-0001"), actor=agent)
    second = actions.do_create(_intake(district, idempotency_key="call-20261128-0001"), actor=agent)
    assert first.pk == second.pk
    assert WorkOrder.objects.filter(idempotency_key="call-20261128-0001").count() == 1
    assert Event.objects.filter(order_id=first.pk).count() == 1


def test_it_skips_known_idempotency_keys_in_a_batch(district):
    agent = district.people["wangfang"]
    actions.do_create(_intake(district, idempotency_key="row-1"), actor=agent)
    result = actions.do_create_many(
        [_intake(district, idempotency_key="row-1"), _intake(district, idempotency_key="row-2"),
         _intake(district, idempotency_key="row-2"), _intake(district, caller_phone="bad")],
        actor=agent,
    )
    assert (len(result.created), result.duplicates) == (1, 2)
    assert [i for i, _errors in result.errors] == [3]
    assert WorkOrder.objects.count() == 2


def test_it_refuses_a_dispatch_outside_the_responsibility_list_without_a_reason(district):
    d = district
    oid = make_order(d)
    before = snapshot(oid)
    with pytest.raises(InvalidInput) as exc:
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["housing"].pk)
    assert exc.value.code == "outside_responsibility_list"
    assert exc.value.details["rule"] == d.rules["道路塌陷破损@east-lake"].pk
    assert snapshot(oid) == before
    # with a reason it goes through, marked as an override of the list
    actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["housing"].pk, note="塌陷由燃气管道施工引起")
    order = WorkOrder.objects.get(pk=oid)
    assert (order.state, order.lead_unit_id, order.rule_id) == (State.DISPATCHED, d.units["housing"].pk, None)
    assert order.events.last().data["basis"] == "override"


def test_it_refuses_the_system_dispatching_outside_the_list(district):
    d = district
    oid = make_order(d)
    with pytest.raises(InvalidInput):
        actions.do_dispatch(oid, actor=actions.system_user(), unit_id=d.units["housing"].pk, note="模型建议")
    assert WorkOrder.objects.get(pk=oid).state == State.RECEIVED


@pytest.mark.parametrize("unit", ["missing", "inactive", "centre"])
def test_it_refuses_a_dispatch_to_a_unit_that_cannot_take_it(district, unit):
    d = district
    if unit == "inactive":
        Unit.objects.filter(pk=d.units["street-a"].pk).update(active=False)
    unit_id = {"missing": 999999, "inactive": d.units["street-a"].pk, "centre": d.units["district"].pk}[unit]
    oid = make_order(d)
    before = snapshot(oid)
    with pytest.raises(InvalidInput) as exc:
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=unit_id, note="按实际情况改派")
    assert "unit" in exc.value.details
    assert snapshot(oid) == before


def test_it_refuses_the_lead_unit_as_its_own_co_unit(district):
    d = district
    oid = make_order(d)
    with pytest.raises(InvalidInput):
        actions.do_dispatch(oid, actor=d.people["chengang"], unit_id=d.units["street-a"].pk,
                            co_unit_ids=[d.units["street-a"].pk])
    assert WorkOrder.objects.get(pk=oid).state == State.RECEIVED


def test_it_refuses_an_incomplete_reply_listing_what_is_missing(district):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    before = snapshot(oid)
    with pytest.raises(InvalidInput) as exc:
        actions.do_reply(oid, actor=d.people["liqiang"], responder="", process="已处理", outcome="")
    assert exc.value.code == "reply_incomplete"
    assert exc.value.details["missing"] == ["responder", "process", "outcome", "contact", "evidence"]
    assert len(exc.value.details["messages"]) == 5
    assert snapshot(oid) == before


def test_it_accepts_the_reply_once_the_gaps_are_filled(district):
    d, p = district, district.people
    oid = bring_to(d, State.IN_PROGRESS)
    with pytest.raises(InvalidInput) as exc:
        actions.do_reply(oid, actor=p["liqiang"], contacted_caller=True, responder="李强",
                         process="到现场查看并设置围挡，通知养护单位修复。", outcome="路面已修复，来电人认可。")
    assert exc.value.details["missing"] == ["evidence"]
    actions.do_attach(oid, actor=p["liqiang"], file=photo("after.jpg"))
    reply = actions.do_reply(oid, actor=p["liqiang"], contacted_caller=True, responder="李强",
                             process="到现场查看并设置围挡，通知养护单位修复。", outcome="路面已修复，来电人认可。")
    assert reply.evidence.count() == 1
    assert WorkOrder.objects.get(pk=oid).state == State.REPLIED


@pytest.mark.parametrize("name,content", [("virus.exe", PHOTO), ("photo.jpg", b""), ("noext", PHOTO),
                                          ("photo.jpg", b"\xff\xd8 not a photo")])
def test_it_refuses_bad_evidence_files(district, name, content):
    d = district
    oid = bring_to(d, State.IN_PROGRESS)
    before = snapshot(oid)
    with pytest.raises(InvalidInput):
        actions.do_attach(oid, actor=d.people["liqiang"], file=photo(name, content))
    assert snapshot(oid) == before


@override_settings(HOTLINE_MAX_EXTENSION_DAYS=10)
@pytest.mark.parametrize("days,reason", [(0, "需要协调多方，时间不够用"), (11, "需要协调多方，时间不够用"),
                                         ("五", "需要协调多方，时间不够用"), (3, "太忙")])
def test_it_refuses_bad_extension_requests(district, days, reason):
    oid = bring_to(district, State.IN_PROGRESS)
    before = snapshot(oid)
    with pytest.raises(InvalidInput):
        actions.do_request_extension(oid, actor=district.people["liqiang"], days=days, reason=reason)
    assert snapshot(oid) == before


@pytest.mark.parametrize("call", [
    lambda o, p: actions.do_return(o, actor=p["liqiang"], kind="bored", reason="不想办理这个工单了"),
    lambda o, p: actions.do_return(o, actor=p["liqiang"], kind="not_remit", reason="不归我管"),
    lambda o, p: actions.do_screen_out(o, actor=p["chengang"], reason="dislike", advice="请另行咨询相关部门"),
    lambda o, p: actions.do_redo(o, actor=p["zhoushen"], reasons=["lazy"], note="答复不完整需要重办"),
    lambda o, p: actions.do_redo(o, actor=p["zhoushen"], reasons=[], note="答复不完整需要重办"),
    lambda o, p: actions.do_callback(o, actor=p["sunhui"], resolved=None, satisfaction=""),
    lambda o, p: actions.do_callback(o, actor=p["sunhui"], resolved=True, satisfaction="happy"),
    lambda o, p: actions.do_callback(o, actor=p["sunhui"], valid=False, note=""),
    lambda o, p: actions.do_callback(o, actor=p["sunhui"], resolved=True, satisfaction="satisfied", phone="12"),
    lambda o, p: actions.do_reply(o, actor=p["liqiang"], responder="李强", process="x" * 20, outcome="y" * 20,
                                  result="perfect"),
])
def test_it_refuses_unknown_codes_and_short_reasons(district, call):
    oid = make_order(district)
    before = snapshot(oid)
    with pytest.raises(InvalidInput):
        call(oid, district.people)
    assert snapshot(oid) == before


# ---- garbage ids to every action -----------------------------------------------------------------


@pytest.mark.parametrize("garbage", GARBAGE_IDS, ids=repr)
def test_it_answers_a_garbage_order_id_with_not_found_for_every_action(district, garbage):
    d = district
    ctx = Ctx(d, main_order_id=make_order(d))
    problems = []
    for action, call in CALLS.items():
        for name in ("chengang", "liqiang", "zhoushen", "sunhui", "liudu", "wangfang"):
            try:
                call(garbage, d.people[name], ctx)
            except (NotFound, InvalidInput):
                continue
            except Exception as exc:  # noqa: BLE001 - the point is that nothing else escapes
                problems.append(f"{action}/{name}: {type(exc).__name__}: {exc}")
            else:
                problems.append(f"{action}/{name}: accepted order id {garbage!r}")
    assert problems == []
    assert WorkOrder.objects.count() == 1


def u(people, code: str) -> int:
    return Unit.objects.get(code=code).pk


ID_PARAMS = {
    "dispatch": lambda o, p, g: actions.do_dispatch(o, actor=p["chengang"], unit_id=g),
    "dispatch co-units": lambda o, p, g: actions.do_dispatch(o, actor=p["chengang"], unit_id=u(p, "street-a"), co_unit_ids=g),
    "dispatch category": lambda o, p, g: actions.do_dispatch(o, actor=p["chengang"], unit_id=u(p, "street-a"), category_id=g),
    "merge": lambda o, p, g: actions.do_merge(o, actor=p["chengang"], main_order_id=g),
    "return unit": lambda o, p, g: actions.do_return(o, actor=p["liqiang"], kind="not_remit",
                                                     reason="不属于本单位职责范围的事项", suggested_unit_id=g),
    "return rule": lambda o, p, g: actions.do_return(o, actor=p["liqiang"], kind="not_remit",
                                                     reason="不属于本单位职责范围的事项", rule_id=g),
    "accept return": lambda o, p, g: actions.do_accept_return(o, actor=p["chengang"], unit_id=g, note="改派其他单位"),
    "accept return co": lambda o, p, g: actions.do_accept_return(o, actor=p["chengang"], unit_id=u(p, "enforcement"), note="改派其他单位",
                                                                  co_unit_ids=g),
    "reject return rule": lambda o, p, g: actions.do_reject_return(o, actor=p["chengang"], note="仍由原单位办理",
                                                                    rule_id=g),
    "joint lead": lambda o, p, g: actions.do_joint(o, actor=p["chengang"], lead_unit_id=g, co_unit_ids=[u(p, "enforcement")],
                                                   note="需要联合处办"),
    "joint co": lambda o, p, g: actions.do_joint(o, actor=p["chengang"], lead_unit_id=u(p, "street-a"), co_unit_ids=g,
                                                 note="需要联合处办"),
    "escalate": lambda o, p, g: actions.do_escalate(o, actor=p["chengang"], unit_id=g, note="超出权限，提级处理"),
    "approve extension days": lambda o, p, g: actions.do_approve_extension(o, actor=p["chengang"], days=g),
    "view evidence": lambda o, p, g: actions.do_view_evidence(o, actor=p["chengang"], evidence_id=g),
}
OPTIONAL_PARAMS = {"dispatch co-units", "dispatch category", "return unit", "return rule", "accept return co",
                   "reject return rule", "approve extension days"}
FIELD = {"dispatch": "unit", "dispatch co-units": "co_units", "dispatch category": "category", "merge": "main_order",
         "return unit": "suggested_unit", "return rule": "rule", "accept return": "unit", "accept return co": "co_units",
         "reject return rule": "rule", "joint lead": "lead_unit", "joint co": "co_units", "escalate": "unit",
         "approve extension days": "days", "view evidence": "evidence_id"}
LIST_PARAMS = {"dispatch co-units", "accept return co", "joint co"}
STATE_FOR = {"dispatch": State.RECEIVED, "merge": State.RECEIVED, "return": State.DISPATCHED,
             "accept": State.RETURNED, "reject": State.RETURNED, "joint": State.RETURNED, "escalate": State.RETURNED,
             "approve": State.IN_PROGRESS, "view": State.IN_PROGRESS}


@pytest.mark.parametrize("param", list(ID_PARAMS))
def test_it_answers_garbage_ids_in_every_id_parameter_with_a_domain_error(district, param):
    d = district
    state = STATE_FOR[param.split()[0]]
    oid = bring_to(d, state)
    if state is State.IN_PROGRESS:
        actions.do_request_extension(oid, actor=d.people["liqiang"], days=3, reason="需要协调施工单位排期施工")
    before = snapshot(oid)
    problems = []
    lists = [[999999], ["x"], [None], [3.7], 12] if param in LIST_PARAMS else []
    for garbage in [*GARBAGE_IDS, oid if param == "merge" else -7, *lists]:
        if param in OPTIONAL_PARAMS and garbage in (None, "", [], {}):
            continue  # optional parameters: empty means "none"
        try:
            ID_PARAMS[param](oid, d.people, garbage)
        except NotFound:
            continue
        except DomainError as exc:
            # refused for the bad id, not for something else about the call
            if FIELD[param] not in exc.details:
                problems.append(f"{garbage!r}: {exc.code} {exc.details}")
            continue
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{garbage!r}: {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{garbage!r}: accepted")
        if snapshot(oid) != before:
            problems.append(f"{garbage!r}: changed the order")
    assert problems == []
    assert snapshot(oid) == before


def test_it_does_not_let_a_garbage_actor_through(district):
    oid = make_order(district)
    with pytest.raises(NotFound):
        actions.do_sign(oid + 1000, actor=district.people["liqiang"])
    with pytest.raises(DomainError):
        actions.do_sign(oid, actor=district.people["liqiang"])
    assert WorkOrder.objects.get(pk=oid).state == State.RECEIVED


def test_every_call_in_the_helpers_is_for_a_known_action():
    assert set(CALLS) == set(Action) - {Action.CREATE}


def test_it_refuses_merging_an_order_into_itself_however_the_id_is_written(district):
    oid = make_order(district)
    before = snapshot(oid)
    for main in (oid, str(oid), f" {oid} ", float(oid)):
        with pytest.raises(InvalidInput) as exc:
            actions.do_merge(oid, actor=district.people["chengang"], main_order_id=main)
        assert "main_order" in exc.value.details
    assert snapshot(oid) == before


@pytest.mark.parametrize("state,call", [
    (State.RECEIVED, lambda o, p, d: actions.do_dispatch(o, actor=p["chengang"], unit_id=d.units["street-a"].pk,
                                                         note=None)),
    (State.RECEIVED, lambda o, p, d: actions.do_claim(o, actor=p["liqiang"], note=None)),
    (State.RECEIVED, lambda o, p, d: actions.do_merge(o, actor=p["chengang"], main_order_id=make_order(d), note=None)),
    (State.REPLIED, lambda o, p, d: actions.do_approve(o, actor=p["zhoushen"], note=None)),
    (State.AWAITING_CALLBACK, lambda o, p, d: actions.do_callback(o, actor=p["sunhui"], resolved=True,
                                                                  satisfaction="basic", note=None, phone=None)),
    (State.AWAITING_CALLBACK, lambda o, p, d: actions.do_callback_attempt(o, actor=p["sunhui"], note=None)),
])
def test_it_takes_none_for_an_optional_text_as_empty(district, state, call):
    oid = bring_to(district, state)
    call(oid, district.people, district)
    assert WorkOrder.objects.get(pk=oid).event_seq > 1


@pytest.mark.parametrize("kwargs", [dict(note=None), dict(advice=None), dict(reason=None), dict(text=None)])
def test_it_answers_none_for_a_required_reason_with_invalid_input(district, kwargs):
    oid = bring_to(district, State.RECEIVED)
    before = snapshot(oid)
    call = {"note": actions.do_restore, "advice": actions.do_screen_out, "reason": actions.do_reopen,
            "text": actions.do_urge}[next(iter(kwargs))]
    extra = {"reason": "litigation"} if "advice" in kwargs else {}
    with pytest.raises(InvalidInput):
        call(oid, actor=district.people["chengang"], **kwargs, **extra)
    assert snapshot(oid) == before


def test_it_stores_an_empty_process_for_a_consultation_reply_given_none(district):
    d, p = district, district.people
    oid = make_order(d, category="社保政策咨询", title="社保咨询")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["hrss"].pk)
    actions.do_sign(oid, actor=p["renshe"])
    reply = actions.do_reply(oid, actor=p["renshe"], responder=" 任社 ", process=None,
                             outcome="已电话解答社保缴费年限的政策规定。")
    assert (reply.responder, reply.process) == ("任社", "")
