"""The nine cases of SCENARIOS.md (and the unreasonable requests of issue 14), played through the
actions so the demo shows each one.

Each function returns the ids of the orders it made; `play_all` returns them by scenario number.
Text is written here for the demo (names and places are the demo district's own)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from hotline.directory.models import StaffPhone
from hotline.governance import task_actions
from hotline.governance.models import DEFAULT_DESCRIPTION, SeasonalRule
from hotline.orders.actions import supervision as sup_actions
from hotline.orders.models import WorkOrder
from hotline.orders.states import State

from .flow import Demo, site_photo

# Markers the tests (and a curious reader) can find the scenarios by.
BRUSH_OFF = "来电人诉求应通过法律途径解决"
POTHOLE_ROAD = "南苑路"
POTHOLE_ADDRESS = f"{POTHOLE_ROAD}育才中学门口"
DOG_CALLER = ("孟女士", "13511112222")
FUMES_STREET = "文昌街美食街"
GAMING_UNIT = "street-c"
LIFT_CALLER = ("钱先生", "13588880001")
GAMING_PHONES = [("13966660001", "韩雪家属"), ("13966660002", "韩雪亲友"), ("13966660003", "南苑街道职工家属")]


def one_line_reply(demo: Demo) -> list[int]:
    """1. A one-line reply to wage arrears is rejected for redo, then answered properly."""
    oid = demo.create(
        leaf="拖欠农民工工资", area="south-park", received_at=demo.days_ago(200, hour=10),
        title="南苑工地包工头拖欠工资", caller=("彭先生", "13722223333"),
        description="来电人在南苑路一处住宅工地做木工，包工头拖欠他和六名工友三个月工资共四万多元，"
                    "找总包单位也不管，请帮忙追讨。",
    )
    demo.dispatch(oid)
    handler = demo.handler_of(oid)
    demo.act.do_sign(oid, actor=handler)
    demo.act.do_contact(oid, actor=handler, text="电话联系来电人，告知已受理。")
    demo.act.do_reply(oid, actor=handler, responder=handler.display_name, process=BRUSH_OFF + "，请来电人自行起诉。",
                 outcome=BRUSH_OFF + "。", result="explained", contacted_caller=True)
    demo.act.do_redo(oid, actor=demo.reviewer, reasons=["brush_off", "not_solved"],
                checks={"answered": False, "resolved": False, "factual": True, "contacted": True},
                note="答复只让来电人去法院，没有写明做了什么、结果如何，请核实欠薪情况后重新答复。")
    demo.act.do_reply(
        oid, actor=handler, responder=handler.display_name,
        process="约谈总包单位和劳务分包负责人，调取考勤记录和工资表，与七名工人逐一核对出勤天数，确认欠薪四万三千元。",
        outcome="总包单位已从工程款中代发全部欠薪，七名工人已于本周五领到工资，来电人确认收到。",
        contacted_caller=True,
    )
    demo.act.do_approve(oid, actor=demo.reviewer, note="重办后过程和结果清楚。")
    demo.call_back(oid, resolved=True, satisfaction="satisfied")
    return [oid]


def airport_noise(demo: Demo) -> list[int]:
    """2. The airport returns a flight-path complaint as beyond its authority; the dispatcher
    escalates it to the civil aviation authority (whose answer is long overdue: a route change
    takes months)."""
    oid = demo.create(
        leaf="航空器噪声", area="north-hill", received_at=demo.days_ago(100, hour=22),
        title="临空花园飞机噪声扰民要求改航线", caller=("蒋先生", "13633334444"),
        description="来电人住在临空花园，每天晚上十点到凌晨飞机起降不断，噪声很大无法入睡，要求机场调整飞行航线。",
    )
    demo.dispatch(oid)  # the responsibility list sends first contact on aircraft noise to the airport
    demo.act.do_return(oid, actor=demo.handlers["airport"], kind="no_authority",
                  reason="飞行航线和起降程序由民航管理部门审批，机场无权调整，建议提级至民航华北地区管理局。",
                  suggested_unit_id=demo.district.units["caac"].pk)
    demo.act.do_escalate(oid, actor=demo.dispatcher, unit_id=demo.district.units["caac"].pk,
                    note="机场无权调整航线，提级由民航华北地区管理局处理，列入制度缺口清单。")
    handler = demo.handlers["caac"]
    demo.act.do_sign(oid, actor=handler)
    demo.act.do_contact(oid, actor=handler, text="电话联系来电人，说明航线调整的审批程序。")
    demo.act.do_progress(oid, actor=handler, text="已将临空花园夜间噪声情况纳入机场周边噪声监测点位评估。")
    return [oid]


def heating_ping_pong(demo: Demo) -> list[int]:
    """3. Heating for a new estate: the housing bureau returns it, the enforcement bureau returns
    it too, and the dispatcher rejects the second return citing the responsibility list."""
    oid = demo.create(
        leaf="新建小区未供暖", area="south-park", received_at=demo.days_ago(12, hour=8), urgency="utility",
        title="南苑嘉园二期新建小区至今未供暖", caller=("谢女士", "13544445555"),
        description="南苑嘉园二期今年交房，已到供暖季但整栋楼暖气不热，开发商说管道没验收，热力公司说不归他们管。",
    )
    demo.dispatch(oid, "housing", note="来电人称系开发商配套未完成，先派住建委核实。")
    demo.act.do_return(oid, actor=demo.handlers["housing"], kind="not_remit",
                  reason="供热行业管理由城管执法局统筹，本单位仅配合，应由城管执法局主办。",
                  suggested_unit_id=demo.district.units["enforcement"].pk)
    demo.act.do_accept_return(oid, actor=demo.dispatcher, unit_id=demo.district.units["enforcement"].pk,
                         co_unit_ids=[demo.district.units["housing"].pk], note="按权责清单改派城管执法局主办。")
    rule = demo.district.rules["新建小区未供暖"]
    demo.act.do_return(oid, actor=demo.handlers["enforcement"], kind="not_remit",
                  reason="小区由开发商建设，供热设施未移交，属于住建委对开发商的监管事项。",
                  suggested_unit_id=demo.district.units["housing"].pk)
    demo.act.do_reject_return(oid, actor=demo.dispatcher, rule_id=rule.pk,
                         note=f"驳回回退：{rule.label}规定新建小区供暖由城管执法局主办、住建委协办。")
    handler = demo.handlers["enforcement"]
    demo.act.do_sign(oid, actor=handler)
    demo.act.do_contact(oid, actor=handler, text="电话联系来电人，约定明天上午会同住建委、开发商到小区查看。")
    return [oid]


def wage_extension(demo: Demo) -> list[int]:
    """4. Wage arrears with no written evidence: the housing bureau asks for more time, the
    dispatcher approves it and the reply clock moves."""
    oid = demo.create(
        leaf="拖欠农民工工资", area="east-lake", received_at=demo.days_ago(9, hour=15),
        title="湖畔雅苑装修队拖欠农民工工资", caller=("田先生", "13655556666"),
        description="来电人和十几名工友给湖畔雅苑一个装修项目干活两个月，没签合同，老板拖欠工资不给，请帮忙追讨。",
    )
    demo.dispatch(oid)
    handler = demo.handler_of(oid)
    demo.act.do_sign(oid, actor=handler)
    demo.act.do_contact(oid, actor=handler, text="电话联系来电人，请其提供工友名单和出勤情况。")
    demo.act.do_request_extension(oid, actor=handler, days=10,
                             reason="没有书面合同和考勤记录，需要分别约谈工人和施工方逐一核对工作量，五个工作日内无法完成。")
    demo.act.do_approve_extension(oid, actor=demo.dispatcher, note="同意延期十个工作日，请按期答复。")
    demo.act.do_progress(oid, actor=handler, text="已约谈施工方负责人，正在逐一核对十四名工人的出勤天数。")
    return [oid]


TRIVIAL = [
    ("咨询社区活动室开放时间", "来电人询问南苑社区活动室周末是否开放。"),
    ("咨询社区老年餐桌", "来电人询问社区老年餐桌怎么报名。"),
    ("咨询居住证办理", "来电人询问在南苑街道办理居住证需要带什么材料。"),
    ("咨询垃圾分类投放时间", "来电人询问小区垃圾分类定时投放的时间。"),
    ("咨询社区疫苗接种点", "来电人询问南苑社区卫生服务站接种疫苗的时间。"),
    ("咨询便民服务电话", "来电人询问南苑街道便民服务中心的电话。"),
    ("咨询停车证办理", "来电人询问小区停车证在哪里办理。"),
    ("咨询社区图书室", "来电人询问社区图书室能否借书。"),
]


FRIENDLY_CALLS = 11


def friendly_callers(demo: Demo) -> list[int]:
    """5. Staff relatives call in trivial questions to 南苑街道 all through the previous month
    and rate them "satisfied"."""
    unit = demo.district.units[GAMING_UNIT]
    for phone, name in GAMING_PHONES:
        StaffPhone.objects.get_or_create(unit=unit, phone=phone, defaults={"name": name})
    ids = []
    first, last = demo.previous_month()
    for i in range(FRIENDLY_CALLS):
        title, description = TRIVIAL[i % len(TRIVIAL)]
        phone = GAMING_PHONES[i % len(GAMING_PHONES)][0]
        day = first + dt.timedelta(days=i * (last - first).days // FRIENDLY_CALLS)
        oid = demo.create(leaf=None, area="south-park", received_at=demo.on(day, hour=9),
                          title=title, description=description, caller=("韩女士", phone))
        handler = demo.handlers[GAMING_UNIT]
        if i % 2:
            demo.act.do_claim(oid, actor=handler, note="属于本街道便民咨询，主动认领。")
        else:
            demo.dispatch(oid, GAMING_UNIT)
        demo.walk_from_dispatched(oid, resolved=i % 3 == 0, satisfaction="satisfied")
        ids.append(oid)
    return ids


def court_matter(demo: Demo) -> list[int]:
    """6. A private contract dispute is screened out with advice on where to go."""
    oid = demo.create(
        leaf="私人合同纠纷", area="west-city", received_at=demo.days_ago(5, hour=11),
        title="要求热线让邻居退还装修款", caller=("邹先生", "13877778888"),
        description="来电人与邻居口头约定由邻居帮忙装修，预付两万元后对方只干了一半，要求热线出面让邻居退钱。",
    )
    demo.act.do_screen_out(oid, actor=demo.agent, reason="litigation",
                      advice="属于民事合同纠纷，建议向西城街道人民调解委员会申请调解，或向人民法院起诉；"
                             "可拨打12348公共法律服务热线咨询。")
    return [oid]


def potholes(demo: Demo) -> list[int]:
    """7. Thirty calls about one collapsed road surface within two days after a summer storm: the
    first is dispatched, the rest merged into it, and every caller is called back."""
    ids = []
    storm = demo.on(demo.last_date(7, 18), hour=7)
    sign_at = None
    for i in range(30):
        received = storm + dt.timedelta(hours=i * 1.5)
        if sign_at is not None and received >= sign_at:  # the street signs between two calls
            demo.move(sign_at)
            demo.act.do_sign(ids[0], actor=demo.handler_of(ids[0]), delay=False)
            sign_at = None
        oid = demo.create(
            leaf="道路塌陷破损", area="south-park", received_at=received,
            title=f"{POTHOLE_ROAD}路面塌陷" if i % 3 else f"{POTHOLE_ROAD}育才中学门口路面塌陷",
            description=f"暴雨过后{POTHOLE_ROAD}育才中学门口路面塌陷一个大坑，积水看不清深浅，已有电动车摔倒，请尽快处理。",
            address=POTHOLE_ADDRESS,
        )
        ids.append(oid)
        if i == 0:  # the first call is dispatched at once and signed soon...
            demo.move(demo.cursor + dt.timedelta(minutes=demo.rng.uniform(5, 30)))  # urgent: at once
            demo.act.do_dispatch(oid, actor=demo.dispatcher, unit_id=demo.district.units[demo.lead_for(oid)].pk,
                                 delay=False)
            sign_at = demo.within_hours(demo.cursor + dt.timedelta(hours=demo.rng.uniform(0.3, 2)), "unit")
        else:  # ...each later one merged into it as it comes
            demo.move(demo.cursor + dt.timedelta(minutes=demo.rng.uniform(3, 40)))  # before the next call
            demo.act.do_merge(oid, actor=demo.dispatcher, main_order_id=ids[0], note="同一地点同一问题，合并办理。",
                              delay=False)
    main = ids[0]
    demo.reply(main, process=f"接单后当天设置围挡和警示灯，协调市政养护单位对{POTHOLE_ROAD}塌陷路面开挖回填并重新铺装沥青。",
               outcome="塌陷路面已于两天后修复通车，排水井同步疏通。")
    if WorkOrder.objects.values_list("state", flat=True).get(pk=main) == State.REPLIED:
        demo.act.do_approve(main, actor=demo.reviewer)
    demo.call_back(main, resolved=True, satisfaction="satisfied")
    for oid in ids[1:]:
        demo.call_back(oid, resolved=True)
    return ids


def daily_dog(demo: Demo) -> list[int]:
    """8. One caller complains about a neighbour's dog every day for a month; each order is
    linked to the one before it."""
    ids: list[int] = []
    previous = None
    for day in range(30, 0, -1):
        oid = demo.create(
            leaf="饲养宠物扰民", area="west-city", received_at=demo.days_ago(day, hour=7), caller=DOG_CALLER,
            title="和平里北区邻居家狗叫扰民",
            description="来电人反映和平里北区3号楼邻居家的狗每天清晨狂叫，影响休息，要求处理。",
            address="和平里北区3号楼", repeat_of=previous,
        )
        n = 30 - day
        if day == 1:
            pass  # today's call: still with the agent
        elif day == 2:
            demo.walk(oid, State.IN_PROGRESS)
        elif n % 7 == 0:
            demo.walk(oid, State.CLOSED, resolved=False, satisfaction="unsatisfied")
        else:
            demo.act.do_screen_out(oid, actor=demo.dispatcher, reason="repeat",
                              advice="同一诉求已在办理并答复，街道已上门劝导养犬人，请留意此前的答复。")
        ids.append(oid)
        previous = oid
    return ids


def fumes_cluster(demo: Demo) -> list[int]:
    """9. Cooking fumes and noise from the restaurants of one commercial street, many callers."""
    ids = []
    for i in range(25):
        days = 58 - i * 2.3
        oid = demo.create(
            leaf="餐饮油烟噪声", area="west-city", received_at=demo.days_ago(days, hour=20),
            title=demo.rng.choice([f"{FUMES_STREET}餐馆油烟扰民", f"{FUMES_STREET}烧烤店夜间噪声", f"{FUMES_STREET}饭店排风机噪声"]),
            description=f"{FUMES_STREET}的餐馆{demo.rng.choice(['每天晚上', '夏天以来', '最近一个月'])}油烟很大，"
                        f"排风机和食客喧哗到凌晨，文昌小区居民无法开窗休息，请相关部门整治。",
            address=f"{FUMES_STREET}{demo.rng.randint(1, 60)}号",
        )
        # the older calls are settled by now, the latest still being handled
        if days > 14:
            target = State.CLOSED
        elif days > 7:
            target = [State.CLOSED, State.AWAITING_CALLBACK][i % 2]
        else:
            target = [State.IN_PROGRESS, State.DISPATCHED][i % 2]
        demo.walk(oid, target, resolved=demo.rng.random() < 0.5)
        ids.append(oid)
    return ids


def unreasonable_requests(demo: Demo) -> list[int]:
    """10. (issue 14) A caller asks again and again for a neighbour's lawful lift to be removed. After
    two full answers the housing committee reports the third call as repeated after a full answer;
    the centre upholds it, so the caller's number is marked, and today's call (still with the agent)
    shows the mark at intake. Another report is rejected, and one waits in the supervisors' queue."""
    ids = []
    title, description = "要求拆除邻居加装的电梯", "来电人反映东湖小区5号楼邻居加装的电梯影响其采光，要求立即拆除。"
    for days in (80, 50):
        oid = demo.create(leaf="物业服务纠纷", area="east-lake", received_at=demo.days_ago(days, hour=9),
                          caller=LIFT_CALLER, title=title, description=description, address="东湖小区5号楼")
        demo.walk(oid, State.CLOSED, resolved=False, satisfaction="unsatisfied")
        ids.append(oid)
    oid = demo.create(leaf="物业服务纠纷", area="east-lake", received_at=demo.days_ago(30, hour=9),
                      caller=LIFT_CALLER, title=title, description=description, address="东湖小区5号楼")
    demo.dispatch(oid)
    demo.act.do_report_unreasonable(
        oid, actor=demo.handler_of(oid), reason="repeated",
        explanation="加装电梯已取得规划许可并经业主表决通过，住建委两次上门出示审批文件并书面答复，"
                    "来电人仍就同一事项反复来电要求拆除。")
    demo.act.do_uphold_unreasonable(oid, actor=demo.supervisor, note="经核实已两次充分答复，属已充分答复后仍重复诉求，予以认定。")
    demo.walk_from_dispatched(oid, resolved=False, satisfaction="unsatisfied")
    ids.append(oid)
    # today's call from the same number: the agent sees the mark and takes the call as any other
    ids.append(demo.create(leaf="物业服务纠纷", area="east-lake", received_at=demo.days_ago(0.1), caller=LIFT_CALLER,
                           title=title, description=description, address="东湖小区5号楼"))
    # a report the centre rejects (the request is the unit's to settle), and one still waiting
    oid = demo.create(leaf="预付卡退费", area="west-city", received_at=demo.days_ago(20, hour=14),
                      caller=("冯女士", "13622221111"), title="健身房闭店不退预付卡余额",
                      description="来电人在西城路健身房办理年卡，健身房突然闭店，剩余八千元不予退还。")
    demo.dispatch(oid)
    demo.act.do_report_unreasonable(oid, actor=demo.handler_of(oid), reason="legal_channel",
                                    explanation="属于消费者与经营者之间的合同纠纷，应通过诉讼或仲裁解决。")
    demo.act.do_reject_unreasonable(oid, actor=demo.supervisor,
                                    note="预付卡退费属于市场监管部门的消费维权职责，不属于不合理诉求，请继续办理。")
    demo.walk_from_dispatched(oid, resolved=True, satisfaction="satisfied")
    ids.append(oid)
    oid = demo.create(leaf="物业服务纠纷", area="east-lake", received_at=demo.days_ago(3, hour=10),
                      caller=("卫先生", "13733334444"), title="要求物业赔偿其车辆被划损失",
                      description="来电人停在小区内的私家车被人划伤，要求物业公司全额赔偿并公开道歉，否则每天来电。")
    demo.walk(oid, State.IN_PROGRESS)
    demo.act.do_report_unreasonable(oid, actor=demo.handler_of(oid), reason="private_interest",
                                    explanation="车辆划损属于个人财产纠纷，已告知来电人报警或起诉，来电人扬言每天来电。")
    ids.append(oid)
    return ids


def fumes_task(demo: Demo) -> list[int]:
    """11. (issue 13) The fumes street (scenario 9) becomes a governance task 35 days ago: the
    street leads, the environment bureau checks the exhausts; the street has done its measure with
    a photo report, the bureau is on its own; the task opened a proactive inspection (未诉先办)
    last week. And the heating rule for the winter (a seasonal rule, run by the worker each night:
    before 15 November, inspect the estates that complained last winter)."""
    d, p = demo.district, demo.district.people
    demo._set(demo.days_ago(35, hour=10))
    task = task_actions.create_task(
        actor=demo.supervisor, title=f"{FUMES_STREET}餐饮油烟噪声专项治理",
        problem=f"{FUMES_STREET}餐馆油烟、排风机和夜间喧哗，两个月来二十多位居民反复来电，"
                "街道和环保部门各自处理、效果不持久。",
        lead_unit_id=d.units["street-b"].pk, co_unit_ids=[d.units["environment"].pk],
        category_ids=[d.categories["餐饮油烟噪声"].pk], area_ids=[d.areas["west-city"].pk],
        target_reduction=50, target_weeks=12)
    today = timezone.localdate(demo.now)
    first = task_actions.add_measure(task.pk, actor=demo.supervisor, text="督促沿街餐馆加装油烟净化器、排风机加装消声装置",
                                     owner_id=d.units["street-b"].pk, due_on=today - dt.timedelta(days=10))
    second = task_actions.add_measure(task.pk, actor=demo.supervisor, text="对油烟排放和夜间噪声开展执法检测",
                                      owner_id=d.units["environment"].pk, due_on=today + dt.timedelta(days=14))
    task_actions.start(task.pk, actor=demo.supervisor)
    demo._set(demo.days_ago(15, hour=15))
    task_actions.report(task.pk, actor=p["zhaomin"], measure_id=first.pk,
                        text="文昌街美食街32家餐馆中已有28家加装油烟净化器，其余4家限期整改。")
    task_actions.complete_measure(task.pk, actor=p["zhaomin"], measure_id=first.pk)
    demo._set(demo.days_ago(9, hour=11))
    task_actions.report(task.pk, actor=p["huanbao"], measure_id=second.pk, text="已检测12家，2家超标，已立案处罚。")
    demo._set(demo.days_ago(6, hour=9))
    order = task_actions.dispatch_proactive(
        task.pk, actor=demo.supervisor, title=f"{FUMES_STREET}夜间噪声巡查", unit_id=d.units["street-b"].pk,
        description="晚上十点后巡查美食街餐馆排风机和露天摆桌情况，发现问题当场整改。",
        area_id=d.areas["west-city"].pk, address=FUMES_STREET, category_id=d.categories["餐饮油烟噪声"].pk)
    rule = SeasonalRule.objects.create(
        name="供暖前排查", start_month=11, start_day=15, days_ahead=14, lookback_days=120, min_complaints=2,
        title_template="{place}供暖前排查", description_template=DEFAULT_DESCRIPTION)
    rule.categories.set([d.categories["室温不达标"], d.categories["新建小区未供暖"]])
    return [order.pk]


def grassroots_voice(demo: Demo) -> list[int]:
    """12. (issue 14) The units' side. Joint handling: a wage-arrears order led by the housing
    bureau with the human-resources bureau's part (its own clock and reply, gathered by the lead's
    reply), and one where that part is overdue and the lead urges it. Appeals: the east-lake street
    office appeals a redo of a reply that did explain, and the centre upholds it; its appeal of a
    callback about another matter waits in the queue. Supervision: a water cut supervised with a
    deadline of two working days, answered on time and closed; a construction-noise order whose
    supervision ran out without feedback, escalated to the city (联合督办) by the system."""
    d, p = demo.district, demo.district.people
    ids = []
    wages = dict(leaf="拖欠农民工工资", area="north-hill", title="北山镇工地拖欠农民工工资")
    # joint handling, done: the co-unit's part replied in time and gathered by the lead's reply
    oid = demo.create(**wages, received_at=demo.days_ago(40, hour=9), caller=("邹先生", "13766660001"),
                      description="来电人在北山镇物流园工地做钢筋工，劳务公司拖欠十二名工人两个月工资共九万元，"
                                  "劳务合同和考勤表都有。")
    demo.act.do_dispatch(oid, actor=demo.dispatcher, unit_id=d.units["housing"].pk,
                         co_unit_ids=[d.units["hrss"].pk], note="住建委主办（行业监管），人社局协办（劳动保障监察）。")
    demo.act.do_sign(oid, actor=p["wujian"])
    demo.act.do_contact(oid, actor=p["wujian"], text="电话联系来电人，约定明天到工地核实。")
    demo.act.do_co_sign(oid, actor=p["renshe"])
    demo.act.do_co_reply(oid, actor=p["renshe"],
                         text="劳动保障监察大队已向劳务公司下达限期支付令，核对考勤确认欠薪九万零六百元。")
    demo.act.do_reply(oid, actor=p["wujian"], responder=p["wujian"].display_name,
                      process="会同人社局约谈总包和劳务公司，人社局下达限期支付令，住建委暂停劳务公司在本区投标资格。",
                      outcome="总包单位从工程款中代付全部欠薪，十二名工人已领到工资，来电人确认收到。",
                      contacted_caller=True)
    demo.act.do_approve(oid, actor=demo.reviewer, note="两单位分工清楚，欠薪已付清。")
    demo.call_back(oid, resolved=True, satisfaction="satisfied")
    ids.append(oid)
    # joint handling, late: the co-unit's part ran past its clock; the lead urges it
    oid = demo.create(**wages, received_at=demo.days_ago(9, hour=10), caller=("骆女士", "13766660002"),
                      description="来电人在北山镇一处装修工地做了两个月保洁，包工头一直拖着不给工资，电话也不接。")
    demo.act.do_dispatch(oid, actor=demo.dispatcher, unit_id=d.units["housing"].pk,
                         co_unit_ids=[d.units["hrss"].pk], note="住建委主办，人社局协办核实用工关系。")
    demo.act.do_sign(oid, actor=p["wujian"])
    demo.act.do_contact(oid, actor=p["wujian"], text="联系来电人，请其提供包工头姓名和工地地址。")
    demo.move(demo.days_ago(2, hour=10))
    demo.act.do_co_urge(oid, actor=p["wujian"], unit_id=d.units["hrss"].pk, delay=False,
                        text="协办时限已过，请人社局尽快反馈用工关系核实情况。")
    ids.append(oid)

    # appeals: a redo the street office shows was unfounded, upheld; a callback appeal waiting
    oid = demo.create(leaf="道路塌陷破损", area="east-lake", received_at=demo.days_ago(26, hour=9),
                      caller=("蒋先生", "13766660003"), title="东湖路人行道地砖塌陷",
                      description="东湖路菜市场门口人行道地砖塌陷一大块，老人买菜经过容易摔倒。")
    demo.dispatch(oid, "street-a")
    demo.act.do_sign(oid, actor=p["liqiang"])
    demo.act.do_contact(oid, actor=p["liqiang"], text="电话联系来电人，告知当天到现场查看。")
    demo.act.do_attach(oid, actor=p["liqiang"], file=site_photo(0, "塌陷处围挡.jpg"))
    demo.act.do_reply(oid, actor=p["liqiang"], responder=p["liqiang"].display_name, result="explained",
                      process="当天到现场设置围挡和警示牌，经查塌陷系地下燃气管道施工回填不实，已通知燃气公司。",
                      outcome="地砖下方管线属燃气公司，须其回填夯实后才能铺砖，燃气公司承诺十个工作日内完成，街道跟踪督促。",
                      contacted_caller=True)
    demo.act.do_redo(oid, actor=demo.reviewer, reasons=["not_solved"],
                     checks={"answered": True, "resolved": False, "factual": True, "contacted": True},
                     note="地砖至今未修复，请修复后再答复。")
    demo.act.do_appeal_redo(oid, actor=p["lizhang"], reasons=["reply_explained"],
                            explanation="答复已写明未修复的原因（燃气管线回填须由燃气公司完成）和后续安排（十个工作日内完成，"
                                        "街道跟踪），现场已围挡，不属于未说明原因。")
    demo.act.do_uphold_appeal(oid, actor=demo.supervisor,
                              note="经核实答复已说明原因和后续安排，驳回理由不成立，申诉成立，该次驳回不计入重办。")
    demo.act.do_attach(oid, actor=p["liqiang"], file=site_photo(1, "地砖修复后.jpg"))
    demo.act.do_reply(oid, actor=p["liqiang"], responder=p["liqiang"].display_name,
                      process="燃气公司完成回填夯实，街道组织重新铺设地砖并撤除围挡。",
                      outcome="人行道地砖已修复，来电人到现场看过表示满意。", contacted_caller=True)
    demo.act.do_approve(oid, actor=demo.reviewer)
    demo.call_back(oid, resolved=True, satisfaction="satisfied")
    ids.append(oid)
    oid = demo.create(leaf="道路塌陷破损", area="east-lake", received_at=demo.days_ago(12, hour=14),
                      caller=("尤女士", "13766660004"), title="湖滨路窨井盖破损",
                      description="湖滨路公交站旁一个窨井盖碎了一角，晚上看不清很危险。")
    demo.walk(oid, State.AWAITING_CALLBACK, unit="street-a")
    demo.act.do_callback(oid, actor=demo.callback_agent, contacted=True, resolved=False, satisfaction="unsatisfied",
                         note="来电人称井盖已换，但对公交站长期没有候车亭不满。")
    demo.act.do_appeal_callback(oid, actor=p["lizhang"], reasons=["other_matter"],
                                explanation="井盖已于次日更换，来电人在回访中确认；不满意针对的是公交站候车亭，属于另一事项。")
    ids.append(oid)

    # supervision: answered on time and closed; missed and escalated to the city
    oid = demo.create(leaf="停水", area="west-city", received_at=demo.days_ago(8, hour=8),
                      caller=("秦先生", "13766660005"), title="西城小区反复停水",
                      description="西城小区一周内第三次停水，每次都没有通知，家里有卧床老人。")
    demo.walk(oid, State.IN_PROGRESS, unit="water")
    demo.act.do_supervise(oid, actor=demo.supervisor, days=2, text="一周内三次停水且无通知，请两个工作日内反馈原因和整改措施。")
    demo.act.do_supervision_feedback(oid, actor=p["shuiwu"],
                                     text="停水系小区二次供水泵房老化，已更换水泵，今后计划停水提前24小时张贴通知。")
    demo.act.do_close_supervision(oid, actor=demo.supervisor, note="反馈属实，整改措施具体，督办办结。")
    ids.append(oid)
    oid = demo.create(leaf="施工噪声", area="south-park", received_at=demo.days_ago(11, hour=22),
                      caller=("曹女士", "13766660006"), title="南苑工地夜间施工噪声",
                      description="南苑路地铁站工地连续一周夜里十二点后还在打桩，孩子无法入睡。")
    demo.walk(oid, State.IN_PROGRESS, unit="enforcement")
    demo.move(demo.days_ago(7, hour=10))
    demo.act.do_supervise(oid, actor=demo.supervisor, days=2, delay=False,
                          text="夜间施工扰民多次来电，请两个工作日内反馈查处情况。")
    demo.move(demo.now)
    sup_actions.escalate_missed(demo.now)
    ids.append(oid)
    return ids


SCENARIOS = {
    1: one_line_reply, 2: airport_noise, 3: heating_ping_pong, 4: wage_extension, 5: friendly_callers,
    6: court_matter, 7: potholes, 8: daily_dog, 9: fumes_cluster, 10: unreasonable_requests, 11: fumes_task,
    12: grassroots_voice,
}


def play_all(demo: Demo) -> dict[int, list[int]]:
    """Play every scenario; their order ids by scenario number."""
    return {number: play(demo) for number, play in SCENARIOS.items()}
