"""Synthetic request text for the demo district and the benchmarks: titles, descriptions,
callers and replies assembled from templates and word lists written for this project (nothing
here is copied from real data). Pure: no Django import, deterministic for a given Random."""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志兰凤梅琳晨宇浩然子轩雨欣"

# Places of the demo district, by area code (streets, roads, estates and landmarks).
PLACES: dict[str, dict[str, list[str]]] = {
    "east-lake": {
        "roads": ["东湖路", "湖滨路", "望湖街", "柳岸路", "东湖北一街", "荷花巷"],
        "estates": ["东湖花园", "湖畔雅苑", "望湖小区", "柳岸人家", "东湖新村三区"],
        "spots": ["东湖公园南门", "东湖菜市场", "湖滨小学", "东湖地铁站C口"],
    },
    "west-city": {
        "roads": ["西城大街", "锦华路", "文昌街", "西环路", "老街胡同", "和平里"],
        "estates": ["西城家园", "锦华苑", "文昌小区", "和平里北区", "西环公寓"],
        "spots": ["西城商业街", "文昌街美食街", "西城医院门口", "锦华路公交站"],
    },
    "south-park": {
        "roads": ["南苑路", "新华大道", "育才路", "南苑东街", "工业园二路"],
        "estates": ["南苑小区", "锦绣华庭", "育才家属院", "新华名苑", "南苑嘉园二期"],
        "spots": ["南苑农贸市场", "育才中学", "新华广场", "南苑工地"],
    },
    "north-hill": {
        "roads": ["北山路", "临空大道", "机场辅路", "北山镇中心街", "果园路"],
        "estates": ["北山新村", "临空花园", "机场家属区", "果园村", "北山佳苑"],
        "spots": ["北山镇政府门口", "临空经济区", "北山集贸市场", "果园村村委会"],
    },
}

TIMES = ["今天早上", "昨天晚上", "最近一周", "这几天", "每天夜里", "周末", "从上周开始", "今天下午三点左右",
         "昨晚十点以后", "每天早上六点前"]
DURATIONS = ["已经三天了", "持续一个多星期", "快半个月了", "反映过两次仍未解决", "已经影响正常生活"]
ASKS = ["请相关部门尽快处理。", "希望有关部门到现场查看。", "请尽快解决并给予答复。", "希望尽快给个说法。",
        "请督促相关单位整改。"]

# Per level-3 category: titles and description templates. Placeholders: {road} {estate} {spot}
# {time} {duration} {ask}.
TEMPLATES: dict[str, tuple[list[str], list[str]]] = {
    "道路塌陷破损": (
        ["{road}路面塌陷", "{road}路面坑洼严重", "{road}井盖周边塌陷"],
        ["{road}靠近{spot}的路段{time}出现塌陷，坑深约半米，车辆经过很危险，{ask}",
         "{road}路面破损坑洼，雨后积水，{duration}，行人和电动车容易摔倒，{ask}"],
    ),
    "路灯不亮": (
        ["{road}路灯不亮", "{estate}门口路灯损坏"],
        ["{road}从{spot}往北一段的路灯{time}都不亮，{duration}，夜间出行不安全，{ask}"],
    ),
    "新建小区未供暖": (
        ["{estate}新建小区未供暖", "{estate}至今没有暖气"],
        ["来电人住在{estate}，是去年交付的新小区，供暖季已开始但家中暖气片一直是凉的，{duration}，"
         "开发商和物业互相推脱，{ask}"],
    ),
    "室温不达标": (
        ["{estate}室温不达标", "{estate}暖气温度低"],
        ["{estate}来电人家中室温只有十四五度，{duration}，老人孩子受不了，{ask}"],
    ),
    "物业服务纠纷": (
        ["{estate}物业不作为", "{estate}电梯故障物业不修"],
        ["{estate}的电梯{time}频繁故障，物业收了维修基金却迟迟不修，{duration}，{ask}"],
    ),
    "拖欠农民工工资": (
        ["{spot}附近工地拖欠工资", "{road}项目拖欠农民工工资"],
        ["来电人在{road}的建筑工地干活，包工头拖欠十几名工人工资共计约八万元，{duration}，"
         "没有签书面合同，{ask}"],
    ),
    "社保政策咨询": (
        ["咨询灵活就业社保缴费", "咨询退休手续办理"],
        ["来电人想了解灵活就业人员社保缴费标准和办理地点，{ask}",
         "来电人咨询办理退休需要准备哪些材料、去哪里办理。"],
    ),
    "餐饮油烟噪声": (
        ["{spot}餐馆油烟扰民", "{road}烧烤店夜间噪声扰民", "{estate}楼下饭店油烟噪声"],
        ["{road}{spot}一带的餐馆{time}油烟很大，排风机噪声到深夜，{estate}居民无法开窗，{ask}",
         "{estate}楼下的烧烤店{time}营业到凌晨，油烟和喧哗声扰民，{duration}，{ask}"],
    ),
    "航空器噪声": (
        ["{estate}飞机噪声扰民", "要求调整航线减少噪声"],
        ["来电人住在{estate}，{time}飞机起降频繁，噪声很大影响休息，{duration}，要求调整飞行航线。"],
    ),
    "施工噪声": (
        ["{spot}工地夜间施工扰民", "{road}夜间施工噪声"],
        ["{road}{spot}的工地{time}仍在施工，机器轰鸣，{estate}居民无法入睡，{duration}，{ask}"],
    ),
    "露天焚烧": (
        ["{spot}有人焚烧垃圾", "{road}露天焚烧秸秆"],
        ["{road}附近{time}有人露天焚烧垃圾，烟雾很大，{estate}居民家里都是烟味，{ask}"],
    ),
    "预付卡退费": (
        ["{road}健身房预付卡无法退费", "{spot}理发店关门预付卡退不了"],
        ["来电人在{road}一家健身房办了预付卡，现在门店关门联系不上老板，卡内余额两千多元，{ask}"],
    ),
    "公交线路调整": (
        ["建议增加{road}公交线路", "{spot}公交站撤站不便"],
        ["{estate}居民出行要步行二十分钟才能坐上公交车，建议在{road}增设站点或调整线路。"],
    ),
    "就医咨询": (
        ["咨询医保报销流程", "咨询{spot}附近社区医院"],
        ["来电人咨询异地就医备案和医保报销需要什么手续。"],
    ),
    "入学咨询": (
        ["咨询小学入学政策", "咨询{estate}对口学校"],
        ["来电人孩子今年上小学，想了解{estate}对口哪所学校以及报名需要的材料。"],
    ),
    "饲养宠物扰民": (
        ["邻居家狗叫扰民", "{estate}邻居养狗扰民"],
        ["来电人反映{estate}邻居家养的大狗{time}狂叫，{duration}，多次沟通无果，{ask}"],
    ),
    "停水": (
        ["{estate}突然停水", "{estate}停水无通知"],
        ["{estate}{time}突然停水，没有任何通知，家里老人做饭都成问题，{ask}"],
    ),
    "停电": (
        ["{estate}停电", "{road}沿街商户停电"],
        ["{estate}{time}停电，{duration}，冰箱里的东西都坏了，{ask}"],
    ),
    "私人合同纠纷": (
        ["与邻居借款合同纠纷", "要求热线帮忙讨要欠款"],
        ["来电人与邻居签订了装修合同，对方收钱后未完工，来电人要求热线出面让对方退钱。"],
    ),
}
GENERIC = (["{road}相关问题反映", "{estate}居民诉求"], ["来电人反映{road}{spot}附近的问题，{duration}，{ask}"])

PROCESS = [
    "接到工单后，承办人于当日电话联系来电人了解具体情况，随后到{place}现场核实，会同相关部门研究处置方案并落实整改。",
    "承办单位工作人员到{place}实地查看，拍照留存，约谈相关责任方，责令其限期整改，并于两日后复查。",
    "我单位收到工单后第一时间与来电人沟通，派员前往{place}核查，协调物业和施工方现场处置。",
]
OUTCOME = [
    "问题已整改完毕，来电人对处理结果表示认可。",
    "现场问题已解决，后续将加强巡查，防止反复。",
    "已向来电人解释相关政策并告知办理途径，来电人表示理解。",
]


@dataclass(frozen=True)
class Request:
    title: str
    description: str
    caller_name: str
    caller_phone: str
    address: str


def caller(rng: random.Random) -> tuple[str, str]:
    """A caller's name (surname + 先生/女士) and a mobile number that passes validation."""
    name = rng.choice(SURNAMES) + rng.choice(["先生", "女士"])
    phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    return name, phone


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def request(rng: random.Random, leaf: str, area_code: str) -> Request:
    """A plausible request of category `leaf` in the area `area_code`."""
    titles, bodies = TEMPLATES.get(leaf, GENERIC)
    places = PLACES.get(area_code) or PLACES["east-lake"]
    fill = {
        "road": rng.choice(places["roads"]), "estate": rng.choice(places["estates"]),
        "spot": rng.choice(places["spots"]), "time": rng.choice(TIMES), "duration": rng.choice(DURATIONS),
        "ask": rng.choice(ASKS),
    }
    name, phone = caller(rng)
    address = f"{fill['road']}{rng.randint(1, 199)}号" if rng.random() < 0.5 else f"{fill['estate']}{rng.randint(1, 30)}号楼"
    return Request(
        title=rng.choice(titles).format(**fill), description=rng.choice(bodies).format(**fill),
        caller_name=name, caller_phone=phone, address=address,
    )


def reply_text(rng: random.Random, place: str) -> tuple[str, str]:
    """A reply's process and outcome, long enough for every procedure profile."""
    return rng.choice(PROCESS).format(place=place or "现场"), rng.choice(OUTCOME)
