"""Small generated orders for the hotspot tests: one matter told in different words, and
background about other matters and other places."""

from __future__ import annotations

import datetime as dt

from hotline.governance import core

WATER = ["东湖路与湖滨路交叉口水管爆裂，路面全是水", "湖滨路东湖路口自来水管破了，水一直往外冒",
         "东湖路湖滨路十字路口地下水管爆了，请抢修", "东湖路与湖滨路路口供水管道破裂大量跑水",
         "反映东湖路湖滨路交叉口主水管爆管，水漫到路上", "东湖路和湖滨路路口水管破裂漏水严重"]
NOISE = ["学府路地铁站工地夜间施工噪音扰民", "学府路地铁站工地晚上施工太吵睡不着", "学府路地铁站工地半夜还在打桩，噪声很大",
         "投诉学府路地铁站工地深夜施工影响休息", "学府路地铁站工地夜里机器轰鸣，吵得没法睡"]
OTHER = ["{p}路灯不亮，晚上很黑", "{p}垃圾没人清理，臭气熏天", "{p}电梯坏了好几天", "{p}乱停车堵住消防通道",
         "{p}饭店油烟扰民", "{p}路面坑洼不平", "{p}停水了，水龙头不出水", "{p}暖气不热"]
PLACES = ["阳光小区", "东湖花园", "金桂苑", "春晖里", "翠湖公寓", "红星新村", "建设路", "滨江大道", "湖畔家园", "东湖小学"]

T0 = dt.datetime(2025, 10, 6, 8, 0, tzinfo=dt.UTC)


def doc(i: int, text: str, at: dt.datetime, *, area: int = 1, address: str = "", caller: str = "") -> core.Doc:
    place = core.place_key(address, text)
    return core.Doc(i, at.timestamp(), area, place, core.topic_shingles(text, "", place, address),
                    core.caller_hash(caller or f"139{i:08d}"))


def group(docs: list[core.Doc]) -> dict[int, int]:
    b = core.Builder()
    return {d.id: b.add(d)[0] for d in sorted(docs, key=lambda d: (d.at, d.id))}


def background(start: int, n: int, *, days: int = 60, area: int = 1) -> list[core.Doc]:
    """n orders about other matters, each at another place, spread over `days`."""
    out = []
    for k in range(n):
        text = OTHER[k % len(OTHER)].format(p=PLACES[(k * 7 + k // len(OTHER)) % len(PLACES)])
        out.append(doc(start + k, text, T0 + dt.timedelta(hours=k * days * 24 / max(n, 1)), area=area))
    return out
