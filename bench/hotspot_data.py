"""A generated quarter for bench_hotspots.py: realistic background and four injected events, one
of each shape, with their truth. Written from how callers talk, not from how the detector works:
every event has several phrasings, synonyms and lengths, several categories, addresses written
in different ways (or left out, the place only in the text), some callers naming only one road
of a junction; and the background is about the same topics in other places (and now and then
in the same places)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

AREAS = {
    "东湖街道": ["阳光小区", "东湖花园", "湖畔家园", "东湖路", "湖滨路", "东湖路与湖滨路交叉口", "东湖小学", "金桂苑",
             "春晖里", "东湖农贸市场", "建设路", "滨江大道", "翠湖公寓", "红星新村", "东湖公园"],
    "西城街道": ["幸福家园", "南苑小区", "西城大街", "和平路", "西城中学", "锦绣华庭", "丽景湾", "人民医院",
             "解放路与和平路交叉口", "西城菜场", "枫林苑", "西城广场", "铁路新村", "安居小区", "工人大厦"],
    "南山镇": ["南山村", "南山镇中心街", "果园新村", "南山中学", "桃源居", "南山汽车站", "新华路", "龙泉花园",
            "南山卫生院", "长青路", "南山工业园", "柳树湾", "南山菜市场", "清水路与长青路交叉口", "向阳小区"],
    "北湖街道": ["北湖家园", "学府路", "学府路地铁站工地", "北湖小区", "文化路", "北湖公园", "润泽苑", "书香门第",
             "北湖大道", "北湖实验学校", "天和府", "明珠大厦", "北湖菜场", "文化路与学府路交叉口", "观澜湾"],
}
DETAILS = ["", "", "请尽快处理。", "已经好几天了。", "希望有关部门尽快解决。", "居民意见很大。", "麻烦派人来看看。",
           "老人孩子都受影响。", "之前反映过没人管。", "谢谢！"]

# topic -> (phrasings of the problem, categories agents file it under, urgency)
TOPICS: dict[str, tuple[list[str], list[str], str]] = {
    "water_burst": (["水管爆裂", "自来水管破裂漏水", "地下水管爆了，水一直往外冒", "供水管道破了，路面全是水",
                     "主水管爆管，水漫到路上", "管道爆裂大量跑水"], ["供水", "市政设施", "道路塌陷破损"], "utility"),
    "no_water": (["停水了", "水龙头不出水", "突然停水没有通知", "家里没水用了", "供水中断一整天"], ["供水", "停水"], "utility"),
    "heating": (["暖气不热", "供暖温度不达标", "家里暖气片冰凉", "室内温度只有十几度", "暖气一直不热，冻得受不了",
                 "供热不足，屋里很冷"], ["供热", "供暖", "物业管理"], "utility"),
    "night_noise": (["工地夜间施工噪音扰民", "晚上施工太吵睡不着", "半夜还在打桩，噪声很大", "夜里施工机器轰鸣",
                     "工地深夜施工影响休息", "施工噪音从晚上一直到凌晨"], ["噪声污染", "建筑施工", "城市管理"], "general"),
    "garbage": (["垃圾站臭味很大", "垃圾清运不及时，臭气熏天", "垃圾堆积没人清理", "垃圾中转站气味难闻",
                 "垃圾桶满了溢出来，苍蝇很多", "生活垃圾几天没人拉走，味道刺鼻"], ["环境卫生", "垃圾清运", "物业管理"],
                "general"),
    "street_light": (["路灯不亮", "路灯坏了晚上很黑", "一排路灯都不亮", "夜里没有照明，走路不安全"], ["路灯不亮", "市政设施"],
                     "general"),
    "parking": (["乱停车堵住消防通道", "车辆乱停乱放", "占道停车影响通行", "小区门口违停严重"], ["交通管理", "停车管理"],
                "general"),
    "elevator": (["电梯坏了", "电梯经常停运", "电梯困人", "电梯故障好几天没人修"], ["物业管理", "特种设备"], "general"),
    "pothole": (["路面坑洼", "道路塌陷", "马路上有大坑", "路面破损严重"], ["道路塌陷破损", "市政设施"], "general"),
    "oil_smoke": (["饭店油烟扰民", "烧烤油烟很大", "餐馆排风噪音", "夜宵摊油烟熏人"], ["餐饮油烟噪声", "环境保护"], "general"),
}


@dataclass
class Row:
    id: int
    number: str
    title: str
    description: str
    address: str
    area: str
    category: str
    urgency: str
    received_at: dt.datetime
    caller: str
    event: str = ""  # the injected event it belongs to ("" for background)


@dataclass
class Quarter:
    rows: list[Row] = field(default_factory=list)
    events: dict[str, str] = field(default_factory=dict)  # event -> its shape


def _address(rnd: random.Random, place: str) -> str:
    """An address as callers and agents write it: with building numbers, a gate, or nothing."""
    r = rnd.random()
    if "交叉口" in place:
        a, b = place.replace("交叉口", "").split("与")
        forms = [f"{a}与{b}交叉口", f"{b}和{a}路口", f"{a}{b}十字路口附近", f"{a}与{b}交叉口东北角"]
        return rnd.choice(forms) if r < 0.8 else ""
    if r < 0.35:
        return f"{place}{rnd.randint(1, 30)}号楼{rnd.randint(1, 6)}单元{rnd.randint(1, 30)}0{rnd.randint(1, 4)}"
    if r < 0.55:
        return f"{place}{rnd.choice(['东门', '西门', '南门', '北门', '附近', '旁边'])}"
    if r < 0.8:
        return place
    return ""


def _text(rnd: random.Random, topic: str, place: str, address: str) -> tuple[str, str]:
    phrases, _cats, _urg = TOPICS[topic]
    p = rnd.choice(phrases)
    where = address or place.replace("交叉口", "路口")
    if "交叉口" in place and rnd.random() < 0.15:  # a caller who names only one of the roads
        where = place.split("与")[rnd.randrange(2)].replace("交叉口", "")
    title = rnd.choice([f"{where}{p}", f"反映{where}{p}", f"{p}", f"关于{where}{p}的问题", f"投诉{where}{p}"])[:60]
    desc = rnd.choice([
        f"{where}{p}，{rnd.choice(DETAILS)}",
        f"来电人反映：{where}一带{p}。{rnd.choice(DETAILS)}{rnd.choice(DETAILS)}",
        f"您好，我是住在{where}的居民，{p}，{rnd.choice(DETAILS)}",
        f"{p}。地点：{where}。{rnd.choice(DETAILS)}",
    ])
    return title, desc


def generate(*, start: dt.datetime, days: int = 92, per_day: int = 25, seed: int = 13) -> Quarter:
    """Background over `days` from `start` (and the same season a year before, lighter), plus
    the four events. Times are local (UTC+8) and returned as aware datetimes."""
    rnd = random.Random(seed)
    q = Quarter()
    areas = list(AREAS)

    def add(topic: str, area: str, place: str, at: dt.datetime, event: str = "", caller: str | None = None) -> None:
        address = _address(rnd, place)
        title, desc = _text(rnd, topic, place, address)
        cats = TOPICS[topic][1]
        n = len(q.rows) + 1
        q.rows.append(Row(n, f"G{n:07d}", title, desc, address, area, rnd.choice(cats), TOPICS[topic][2], at,
                          caller or f"139{rnd.randrange(10**8):08d}", event))

    def daytime(day: dt.datetime) -> dt.datetime:
        return day + dt.timedelta(minutes=rnd.randint(7 * 60, 22 * 60))

    # Background: every topic, every area, random places (so the same topics appear elsewhere).
    for year_back, share in ((1, 0.3), (0, 1.0)):
        base = start.replace(year=start.year - year_back)
        for d in range(days):
            day = base + dt.timedelta(days=d)
            for _ in range(int(per_day * share)):
                area = rnd.choice(areas)
                add(rnd.choice(list(TOPICS)), area, rnd.choice(AREAS[area]), daytime(day))

    # 1. burst: a water main at a junction, 40 calls in five hours, on day 20.
    t0 = start + dt.timedelta(days=20, hours=6, minutes=40)
    for _ in range(40):
        add("water_burst", "东湖街道", "东湖路与湖滨路交叉口", t0 + dt.timedelta(minutes=rnd.randint(0, 300)), "burst")
    q.events["burst"] = "burst"
    # 2. persistent: night works at a metro site, 1 to 4 calls a day for six weeks (some callers again and again).
    regulars = [f"137{rnd.randrange(10**8):08d}" for _ in range(6)]
    for d in range(10, 52):
        for _ in range(rnd.randint(1, 4)):
            at = start + dt.timedelta(days=d, hours=rnd.choice([21, 22, 23, 0, 1]), minutes=rnd.randint(0, 59))
            add("night_noise", "北湖街道", "学府路地铁站工地", at, "persistent",
                caller=rnd.choice(regulars) if rnd.random() < 0.3 else None)
    q.events["persistent"] = "persistent"
    # 3. rising: a garbage station whose smell grows week after week to the end of the quarter.
    for w in range(days // 7):
        for _ in range(1 + (3 * w) // 4):
            add("garbage", "西城街道", "南苑小区", daytime(start + dt.timedelta(days=7 * w + rnd.randint(0, 6))), "rising")
    q.events["rising"] = "rising"
    # 4. seasonal: heating in one estate from 15 November, last year and this year.
    for year_back, n in ((1, 14), (0, 18)):
        nov15 = dt.datetime(start.year - year_back, 11, 15, tzinfo=start.tzinfo)
        for _ in range(n):
            add("heating", "南山镇", "龙泉花园", daytime(nov15 + dt.timedelta(days=rnd.randint(0, 25))), "seasonal")
    q.events["seasonal"] = "seasonal"
    q.rows.sort(key=lambda r: (r.received_at, r.id))
    return q


_SYLLABLES = "金银玉翠锦绣春秋华阳光明新东西南北中和平安康泰福寿祥瑞龙凤湖山水林枫桂梅兰竹松柏云天星月"
_SUFFIXES = ["小区", "花园", "家园", "苑", "公寓", "新村", "华庭", "府", "湾", "里"]


def city_places(n: int, seed: int = 5) -> list[str]:
    """n distinct estate names (a city has thousands of places, not the fifteen of a street)."""
    rnd = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        out.add(rnd.choice(_SYLLABLES) + rnd.choice(_SYLLABLES) + rnd.choice(_SUFFIXES))
    return sorted(out)


def stream(*, start: dt.datetime, n: int, days: int = 92, places: int = 2000, areas: int = 20, seed: int = 17):
    """n background orders over `days`, in time order, one day at a time (bounded memory), each
    at one of `places` estates of one of `areas` areas: for the speed measurements."""
    rnd = random.Random(seed)
    names = city_places(places)
    home = {p: i % areas for i, p in enumerate(names)}
    per_day = max(1, n // days)
    made = 0
    for d in range(days):
        day = start + dt.timedelta(days=d)
        count = per_day if d < days - 1 else n - made
        times = sorted(day + dt.timedelta(seconds=rnd.randrange(86400)) for _ in range(count))
        for at in times:
            place = rnd.choice(names)
            topic = rnd.choice(list(TOPICS))
            address = _address(rnd, place)
            title, desc = _text(rnd, topic, place, address)
            made += 1
            yield Row(made, f"S{made:09d}", title, desc, address, str(home[place]), rnd.choice(TOPICS[topic][1]),
                      TOPICS[topic][2], at, f"139{rnd.randrange(10**8):08d}")
