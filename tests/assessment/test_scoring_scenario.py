"""场景（第14号议题第5点）：各类单位按本组的考核方案排名。

区考核办在6月决定，自7月起：街道组按解决率（40分）、满意率（30分）、按时答复率（30分，目标95%）
排名；部门组在解决率、满意率、按时答复率之外加入退单成立率（15分，目标80%）。东湖街道解决率高但
一半答复超期，西城街道解决率稍低但件件按时，新方案下西城排在东湖之前；区住建委退单多被驳回，区城管
执法局退单均成立，新方案下执法局排在住建委之前。6月及以前的月份仍按原综合得分。单位考核页逐项说明
得分。"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from hotline.assessment import indicators, scoring, stats
from hotline.assessment.history import import_rows
from tests.assessment.conftest import hist

七月 = (dt.date(2023, 7, 1), dt.date(2023, 7, 31))


def 工单(前缀: str, 单位: str, 件数: int, 解决: int, *, 超期: int = 0, 退单: int = 0, 退单成立: int = 0):
    行 = []
    for i in range(件数):
        答复 = "2023-07-20 15:00:00" if i < 超期 else "2023-07-03 15:00:00"
        办结 = "2023-07-21 10:00:00" if i < 超期 else "2023-07-03 17:00:00"
        行.append(hist(f"{前缀}{i:03d}", 单位, resolved=i < 解决, caller_phone=f"1375{len(前缀):02d}{ord(前缀[0]) % 100:02d}{i:03d}",
                      replied_at=答复, closed_at=办结, return_count=退单, returns_upheld=退单成立))
    return 行


def 排名(组: str) -> dict[str, int | None]:
    return {r["unit"]: r["rank"] for r in indicators.unit_table(*七月) if r["group"] == 组 and r["valid_callbacks"]}


@pytest.mark.django_db
def test_街道组按解决率满意率按时答复率排名_部门组加入退单成立率(district):
    结果 = import_rows(工单("东", "东湖街道办事处", 40, 36, 超期=20) + 工单("西", "西城街道办事处", 40, 32)
                     + 工单("执", "区城市管理综合行政执法局", 40, 30, 退单=1, 退单成立=1)
                     + 工单("住", "区住房和城乡建设委员会", 40, 32, 退单=1))
    assert not 结果.errors
    stats.rebuild(dt.date(2023, 7, 1), dt.date(2023, 8, 31))

    # 原综合得分：解决率高者在前
    assert 排名("street")["东湖街道办事处"] < 排名("street")["西城街道办事处"]
    assert 排名("department")["区住房和城乡建设委员会"] < 排名("department")["区城市管理综合行政执法局"]

    六月 = dt.date(2023, 6, 15)
    scoring.save_version(group="street", effective_from=dt.date(2023, 7, 1), today=六月, note="街道组新方案",
                         lines=[{"indicator": "resolution", "weight": 40, "target": 1},
                                {"indicator": "satisfaction", "weight": 30, "target": 1},
                                {"indicator": "reply_on_time", "weight": 30, "target": 0.95}])
    scoring.save_version(group="department", effective_from=dt.date(2023, 7, 1), today=六月, note="部门组加入退单成立率",
                         lines=[{"indicator": "resolution", "weight": 40, "target": 1},
                                {"indicator": "satisfaction", "weight": 30, "target": 1},
                                {"indicator": "reply_on_time", "weight": 15, "target": 0.95},
                                {"indicator": "returns_upheld", "weight": 15, "target": 0.8}])

    街道 = 排名("street")
    assert 街道["西城街道办事处"] < 街道["东湖街道办事处"]
    部门 = 排名("department")
    assert 部门["区城市管理综合行政执法局"] < 部门["区住房和城乡建设委员会"]

    行 = {r["unit"]: r for r in indicators.unit_table(*七月)}
    东湖 = 行["东湖街道办事处"]
    assert 东湖["reply_on_time"] == 0.5
    assert 东湖["score"] == pytest.approx(40 * 0.9 + 30 + 30 * 0.5 / 0.95, abs=0.01)
    assert 行["西城街道办事处"]["score"] == pytest.approx(92.0)
    assert 行["区城市管理综合行政执法局"]["score"] == pytest.approx(90.0)
    assert 行["区住房和城乡建设委员会"]["score"] == pytest.approx(77.0)
    assert 行["区住房和城乡建设委员会"]["upheld_return_rate"] == 0.0

    # 6月仍按原方案（第1版）
    六月行 = next(r for r in indicators.unit_table(dt.date(2023, 6, 1), dt.date(2023, 6, 30))
                if r["unit"] == "东湖街道办事处")
    assert 六月行["scheme_version"] == 1

    # 单位考核页逐项说明得分
    督办 = Client()
    督办.force_login(district.people["liudu"])
    页面 = 督办.get(f"/assessment/unit/{district.units['street-a'].pk}/?month=2023-07").content.decode()
    assert "第2版" in 页面 and "按时答复率" in 页面
    assert "越高越好：30 × (50.0% ÷ 95.0%，最高为1) = 15.79" in 页面
    assert "81.79" in 页面
