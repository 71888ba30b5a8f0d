"""New orders are queued for triage once committed: one task for a single intake, one task per
200 orders for an import batch; history imports are not triaged."""

from unittest import mock

from hotline.orders import actions
from hotline.orders.actions import Intake
from hotline.triage import tasks


def intake(district, n):
    return [Intake(title=f"路灯不亮{i}", description="西城路路灯连续三晚不亮，夜间行人看不清路。",
                   area_id=district.areas["west-city"].pk) for i in range(n)]


def test_an_import_batch_is_queued_in_tasks_of_200(district, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks, "triage_orders_task") as batch_task, \
            mock.patch.object(tasks, "triage_order_task") as single_task, \
            django_capture_on_commit_callbacks(execute=True):
        result = actions.do_create_many(intake(district, 450), actor=district.people["wangfang"])
    assert len(result.created) == 450
    batch, single = batch_task.enqueue, single_task.enqueue
    assert single.call_count == 0
    sizes = [len(call.args[0]) for call in batch.call_args_list]
    assert sizes == [200, 200, 50]
    assert sorted(i for call in batch.call_args_list for i in call.args[0]) == sorted(o.pk for o in result.created)


def test_one_intake_is_queued_alone_and_a_queue_failure_never_breaks_intake(district, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks, "triage_order_task") as single_task, \
            django_capture_on_commit_callbacks(execute=True):
        single_task.enqueue.side_effect = RuntimeError("queue down")
        order = actions.do_create(intake(district, 1)[0], actor=district.people["wangfang"])
    assert single_task.enqueue.call_args.args == (order.pk,)
    assert order.pk is not None
