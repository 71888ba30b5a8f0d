from hotline.orders import actions
from hotline.orders.models import WorkOrder
from hotline.orders.states import State
from hotline.orders.trace import verify_all
from tests.conftest import make_order
from tests.orders.loop import photo


def test_it_walks_one_order_round_the_loop(district):
    p = district.people
    oid = make_order(district)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_contact(oid, actor=p["liqiang"], text="已电话联系张先生，约定今天下午到场查看。")
    actions.do_attach(oid, actor=p["liqiang"], file=photo("site.jpg"))
    actions.do_reply(oid, actor=p["liqiang"], responder="李强", process="当天下午到现场查看，设置围挡并通知市政养护单位修复路面。",
                     outcome="路面已于次日修复完毕，来电人表示认可。")
    actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=True, satisfaction="satisfied")
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == State.CLOSED
    assert order.event_seq == 8
    assert list(verify_all()) == []
