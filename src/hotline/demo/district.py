"""The core of a district: its organisation, people for every role, procedures, a small category
tree and a responsibility list. The demo builds on it, and the tests use it as their personas
(one named person per role and scope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from hotline.directory.models import (
    Area,
    Category,
    DeadlineKind,
    DeadlineRule,
    ProcedureProfile,
    ResponsibilityRule,
    ReviewMode,
    StaffPhone,
    Unit,
    UnitKind,
    Urgency,
    User,
)
from hotline.directory.roles import Role

DEMO_PASSWORD = "hotline123"

UNITS = [
    # code, name, kind, parent code, handles orders
    ("city", "市12345热线中心", UnitKind.CITY_CENTRE, None, False),
    ("district", "C区12345热线中心", UnitKind.DISTRICT_CENTRE, "city", False),
    ("street-a", "东湖街道办事处", UnitKind.STREET, "district", True),
    ("street-b", "西城街道办事处", UnitKind.STREET, "district", True),
    ("street-c", "南苑街道办事处", UnitKind.STREET, "district", True),
    ("town-d", "北山镇人民政府", UnitKind.TOWN, "district", True),
    ("enforcement", "区城市管理综合行政执法局", UnitKind.DEPARTMENT, "district", True),
    ("housing", "区住房和城乡建设委员会", UnitKind.DEPARTMENT, "district", True),
    ("environment", "区生态环境局", UnitKind.DEPARTMENT, "district", True),
    ("hrss", "区人力资源和社会保障局", UnitKind.DEPARTMENT, "district", True),
    ("market", "区市场监督管理局", UnitKind.DEPARTMENT, "district", True),
    ("transport", "区交通委员会", UnitKind.DEPARTMENT, "district", True),
    ("water", "区自来水公司", UnitKind.COMPANY, "district", True),
    ("power", "国网C区供电公司", UnitKind.COMPANY, "district", True),
    ("heating", "区热力公司", UnitKind.COMPANY, "district", True),
    ("airport", "C区国际机场", UnitKind.COMPANY, "district", True),
    ("caac", "民航华北地区管理局", UnitKind.AUTHORITY, None, True),
]

AREAS = [
    # code, name, governing unit
    ("east-lake", "东湖街道", "street-a"),
    ("west-city", "西城街道", "street-b"),
    ("south-park", "南苑街道", "street-c"),
    ("north-hill", "北山镇", "town-d"),
]

PROFILES = [
    # code, name, process, outcome, contact, evidence, review mode, sample rate
    ("consult", "政策咨询", False, True, False, 0, ReviewMode.SAMPLE, 0.2),
    ("general", "一般诉求", True, True, True, 0, ReviewMode.FULL, 1.0),
    ("site", "现场处置类", True, True, True, 1, ReviewMode.FULL, 1.0),
    ("dispute", "矛盾纠纷与权益类", True, True, True, 0, ReviewMode.FULL, 1.0),
]

# level-1 / level-2 / level-3, procedure profile code for the level-2 node
CATEGORIES = [
    ("城乡建设", "供暖", "新建小区未供暖", "site"),
    ("城乡建设", "供暖", "室温不达标", "site"),
    ("城乡建设", "市政设施", "道路塌陷破损", "site"),
    ("城乡建设", "市政设施", "路灯不亮", "site"),
    ("城乡建设", "物业管理", "物业服务纠纷", "dispute"),
    ("劳动和社会保障", "工资福利", "拖欠农民工工资", "dispute"),
    ("劳动和社会保障", "社会保险", "社保政策咨询", "consult"),
    ("环境保护", "噪声污染", "餐饮油烟噪声", "site"),
    ("环境保护", "噪声污染", "航空器噪声", "general"),
    ("环境保护", "噪声污染", "施工噪声", "site"),
    ("环境保护", "大气污染", "露天焚烧", "site"),
    ("商贸旅游", "消费维权", "预付卡退费", "dispute"),
    ("交通运输", "公共交通", "公交线路调整", "general"),
    ("卫生计生", "医疗服务", "就医咨询", "consult"),
    ("教育文体", "学校管理", "入学咨询", "consult"),
    ("城乡建设", "邻里纠纷", "饲养宠物扰民", "dispute"),
    ("公共服务", "供水", "停水", "site"),
    ("公共服务", "供电", "停电", "site"),
    ("民事纠纷", "合同纠纷", "私人合同纠纷", "dispute"),
]

# level-3 name -> lead unit code (district-wide); area-specific rules are added below
RULES = {
    "新建小区未供暖": ("enforcement", ["housing"], "区委编办〔2023〕12号：供热行业管理由城管执法局统筹，住建委配合"),
    "室温不达标": ("heating", [], "供热服务合同"),
    "路灯不亮": ("enforcement", [], "城市照明管理职责"),
    "物业服务纠纷": ("housing", [], "物业管理条例"),
    "拖欠农民工工资": ("housing", ["hrss"], "工程建设领域欠薪由行业主管部门负责"),
    "社保政策咨询": ("hrss", [], "三定方案"),
    "航空器噪声": ("airport", [], "机场周边噪声投诉首接"),
    "施工噪声": ("enforcement", [], "环境噪声污染防治条例"),
    "露天焚烧": ("environment", [], "大气污染防治法"),
    "预付卡退费": ("market", [], "消费者权益保护法"),
    "公交线路调整": ("transport", [], "三定方案"),
    "停水": ("water", [], "供水服务承诺"),
    "停电": ("power", [], "供电服务承诺"),
}
# place-based matters go to the street office of the area
AREA_RULES = ["道路塌陷破损", "餐饮油烟噪声", "饲养宠物扰民"]

PEOPLE = [
    # username, name, role, unit code, phone
    ("wangfang", "王芳", Role.AGENT, "city", "13800000001"),
    ("chengang", "陈刚", Role.DISPATCHER, "district", "13800000002"),
    ("zhoushen", "周审", Role.REVIEWER, "district", "13800000003"),
    ("sunhui", "孙回", Role.CALLBACK, "district", "13800000004"),
    ("liudu", "刘督", Role.SUPERVISOR, "district", "13800000005"),
    ("admin", "管理员", Role.ADMIN, "district", "13800000006"),
    ("liqiang", "李强", Role.HANDLER, "street-a", "13900000001"),
    ("zhaomin", "赵敏", Role.HANDLER, "street-b", "13900000002"),
    ("hanxue", "韩雪", Role.HANDLER, "street-c", "13900000003"),
    ("fengshan", "冯山", Role.HANDLER, "town-d", "13900000004"),
    ("zhengzhi", "郑执", Role.HANDLER, "enforcement", "13900000005"),
    ("wujian", "吴建", Role.HANDLER, "housing", "13900000006"),
    ("huanbao", "何环", Role.HANDLER, "environment", "13900000007"),
    ("renshe", "任社", Role.HANDLER, "hrss", "13900000008"),
    ("shijian", "施监", Role.HANDLER, "market", "13900000009"),
    ("jiaotong", "姜通", Role.HANDLER, "transport", "13900000010"),
    ("shuiwu", "舒水", Role.HANDLER, "water", "13900000011"),
    ("dianli", "邓力", Role.HANDLER, "power", "13900000012"),
    ("reli", "雷力", Role.HANDLER, "heating", "13900000013"),
    ("qianji", "钱机", Role.HANDLER, "airport", "13900000014"),
    ("minhang", "闵航", Role.HANDLER, "caac", "13900000015"),
    ("lizhang", "李长", Role.UNIT_HEAD, "street-a", "13900000016"),
]


@dataclass
class District:
    units: dict[str, Unit] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)  # by level-3 name
    profiles: dict[str, ProcedureProfile] = field(default_factory=dict)
    rules: dict[str, ResponsibilityRule] = field(default_factory=dict)  # by level-3 name (+ "@area")


def build_district(*, password: str = DEMO_PASSWORD) -> District:
    """Create the district's directory. Idempotent for a fresh database only."""
    d = District()
    for code, name, kind, parent, handles in UNITS:
        d.units[code] = Unit.objects.create(
            code=code, name=name, kind=kind, parent=d.units.get(parent) if parent else None, handles_orders=handles
        )
    for code, name, unit in AREAS:
        d.areas[code] = Area.objects.create(code=code, name=name, unit=d.units[unit])
    for code, name, process, outcome, contact, evidence, mode, rate in PROFILES:
        d.profiles[code] = ProcedureProfile.objects.create(
            code=code, name=name, require_process=process, require_outcome=outcome, require_contact=contact,
            min_evidence=evidence, review_mode=mode, sample_rate=rate,
            # disputes bring pay slips, contracts, IDs: each look at them goes into the trace
            trace_evidence_views=code == "dispute",
        )
    for l1, l2, l3, profile in CATEGORIES:
        top = _category(l1, None)
        mid = _category(l2, top, profile=d.profiles[profile])
        d.categories[l3] = _category(l3, mid)
    start = dt.date(2023, 1, 1)
    for name, (lead, co, basis) in RULES.items():
        rule = ResponsibilityRule.objects.create(
            category=d.categories[name], lead_unit=d.units[lead], basis=basis, effective_from=start
        )
        rule.co_units.set([d.units[c] for c in co])
        d.rules[name] = rule
    for name in AREA_RULES:
        for area_code, _area_name, unit in AREAS:
            d.rules[f"{name}@{area_code}"] = ResponsibilityRule.objects.create(
                category=d.categories[name], area=d.areas[area_code], lead_unit=d.units[unit],
                basis="属地管理：街道（乡镇）负责辖区内事项", effective_from=start,
            )
    hashed = make_password(password)
    for username, name, role, unit, phone in PEOPLE:
        d.people[username] = User.objects.create(
            username=username, display_name=name, role=role.value, unit=d.units[unit], phone=phone,
            password=hashed, is_staff=role is Role.ADMIN, is_superuser=role is Role.ADMIN,
        )
    for _username, name, role, unit, phone in PEOPLE:
        if role in {Role.HANDLER, Role.UNIT_HEAD}:
            StaffPhone.objects.create(unit=d.units[unit], phone=phone, name=name)
    return d


def _category(name: str, parent: Category | None, *, profile: ProcedureProfile | None = None) -> Category:
    path = f"{parent.path}/{name}" if parent else name
    cat, created = Category.objects.get_or_create(
        path=path, defaults={"name": name, "parent": parent, "level": (parent.level + 1) if parent else 1}
    )
    if profile is not None and cat.profile_id is None:
        cat.profile = profile
        cat.save(update_fields=["profile"])
    return cat


def load_district() -> District | None:
    """The district that build_district() made earlier, read back from the database; None when
    the database has no district yet. Lets the demo add orders to a directory that exists."""
    if not Unit.objects.filter(code="district").exists():
        return None
    d = District()
    d.units = {u.code: u for u in Unit.objects.filter(code__in=[c for c, *_rest in UNITS])}
    d.areas = {a.code: a for a in Area.objects.filter(code__in=[c for c, *_rest in AREAS])}
    d.profiles = {p.code: p for p in ProcedureProfile.objects.filter(code__in=[c for c, *_rest in PROFILES])}
    d.people = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in PEOPLE])}
    paths = {f"{l1}/{l2}/{l3}": l3 for l1, l2, l3, _profile in CATEGORIES}
    d.categories = {paths[c.path]: c for c in Category.objects.filter(path__in=list(paths))}
    for rule in ResponsibilityRule.objects.filter(category__in=list(d.categories.values())).select_related(
        "category", "area"
    ):
        key = rule.category.name if rule.area_id is None else f"{rule.category.name}@{rule.area.code}"
        d.rules.setdefault(key, rule)
    return d


# The demo's deadline rules (答复时限规则), by kind of problem: (category path or "profile:CODE",
# kind, amount, unit, default urgency, approved by, basis, days ago it took effect); a second
# line for one target is its next version. Wage arrears
# had 10 working days until the centre approved a standing 15 about four months ago: the orders
# dispatched before keep the old limit, the page of rules shows both versions.
HOUSING_QUALITY = ("城乡建设", "房屋质量", "新建住宅质量问题")
CENTRE_MEETING = "C区12345热线中心主任办公会"
DEADLINE_RULES = [
    ("劳动和社会保障/工资福利", DeadlineKind.LIMIT, 10, "workdays", Urgency.COMPLEX, "",
     "区人力社保局服务承诺：欠薪投诉10个工作日内答复。", 1500),
    ("劳动和社会保障/工资福利", DeadlineKind.STANDING, 15, "workdays", Urgency.COMPLEX, CENTRE_MEETING,
     "欠薪诉求须核实用工关系、约谈施工方、协调劳动保障监察，5个工作日内无法办结；经中心主任办公会研究，"
     "欠薪类诉求答复时限统一为15个工作日。", 120),
    ("城乡建设/房屋质量", DeadlineKind.STANDING, 15, "workdays", Urgency.COMPLEX, CENTRE_MEETING,
     "房屋质量问题须组织开发商、施工方和监理单位现场查勘，涉及检测鉴定，按复杂诉求15个工作日答复。", 300),
    ("城乡建设/供暖", DeadlineKind.LIMIT, 24, "hours", Urgency.UTILITY, "",
     "供热服务承诺：供暖期内不热、停暖问题24小时内答复。", 1500),
    ("公共服务/供水", DeadlineKind.LIMIT, 24, "hours", Urgency.UTILITY, "",
     "供水服务承诺：停水、水压不足问题24小时内答复。", 1500),
    ("profile:consult", DeadlineKind.LIMIT, 5, "workdays", Urgency.GENERAL, "",
     "政策咨询类诉求以解释说明为主，5个工作日内答复。", 1500),
]


def build_deadline_rules(d: District, *, today: dt.date) -> list[DeadlineRule]:
    """The demo's deadline rules (none when the database has some already): each version from
    its own day, a later version replacing the one before it."""
    if DeadlineRule.objects.exists():
        return []
    top = _category(HOUSING_QUALITY[0], None)
    mid = _category(HOUSING_QUALITY[1], top, profile=d.profiles["site"])
    d.categories[HOUSING_QUALITY[2]] = _category(HOUSING_QUALITY[2], mid)
    made: list[DeadlineRule] = []
    current: dict[str, DeadlineRule] = {}
    for target, kind, amount, unit, urgency, approver, basis, since in DEADLINE_RULES:
        start = today - dt.timedelta(days=since)
        rule = DeadlineRule(kind=kind, reply_amount=amount, reply_unit=unit, default_urgency=urgency,
                            approved_by=approver, approved_on=start - dt.timedelta(days=10) if approver else None,
                            basis=basis, effective_from=start)
        if target.startswith("profile:"):
            rule.profile = d.profiles[target.removeprefix("profile:")]
        else:
            rule.category = Category.objects.get(path=target)
        rule.replacing = current.get(target)
        rule.save()
        current[target] = rule
        made.append(rule)
    return made
