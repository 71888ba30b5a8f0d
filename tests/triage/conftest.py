"""Triage fixtures: a small category model trained on generated texts (no real data needed), and
a model folder per test so tests never share or clobber a model file."""

from __future__ import annotations

import random

import pytest

from hotline.triage import training
from hotline.triage.textmodel import TextClassifier

# level-3 category name -> (path in the demo district, phrases callers use)
PHRASES = {
    "道路塌陷破损": ("城乡建设/市政设施/道路塌陷破损", ["路面塌陷", "道路破损", "马路有大坑", "路面坑洼", "井盖旁塌陷"]),
    "路灯不亮": ("城乡建设/市政设施/路灯不亮", ["路灯不亮", "路灯坏了", "晚上没有照明", "灯杆不亮", "路灯一直黑着"]),
    "拖欠农民工工资": ("劳动和社会保障/工资福利/拖欠农民工工资", ["拖欠工资", "包工头不发工钱", "工地欠薪", "农民工工资没发", "讨薪"]),
    "餐饮油烟噪声": ("环境保护/噪声污染/餐饮油烟噪声", ["饭店油烟", "烧烤油烟扰民", "餐馆排风噪音", "油烟熏人", "夜宵摊吵闹"]),
    "停水": ("公共服务/供水/停水", ["小区停水", "没有自来水", "水龙头不出水", "突然停水", "供水中断"]),
    "入学咨询": ("教育文体/学校管理/入学咨询", ["孩子入学", "小学报名", "学位申请", "转学手续", "幼儿园入园"]),
}
PLACES = ["东湖路", "西城大街", "南苑小区", "北山镇中心街", "湖滨路口", "幸福里"]
FILLERS = ["请尽快处理", "已经好几天了", "希望有关部门解决", "居民意见很大", "麻烦派人看看", ""]


def generated_rows(n_per_class: int = 25, seed: int = 7) -> list[tuple[str, str, str]]:
    """(text, level-3 name, path) rows: a place, a phrase of the category, a filler."""
    rng = random.Random(seed)
    rows = []
    for name, (path, phrases) in PHRASES.items():
        for _ in range(n_per_class):
            text = f"{rng.choice(PLACES)}{rng.choice(phrases)}，{rng.choice(FILLERS)}"
            rows.append((text, name, path))
    rng.shuffle(rows)
    return rows


@pytest.fixture(scope="session")
def path_classifier() -> TextClassifier:
    rows = generated_rows()
    return TextClassifier().fit([r[0] for r in rows], [r[2] for r in rows])


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    settings.HOTLINE_MODEL_DIR = tmp_path / "models"
    training.MODELS.clear()
    yield settings.HOTLINE_MODEL_DIR
    training.MODELS.clear()


@pytest.fixture
def category_model(model_dir, path_classifier):
    """The generated-data model made active as the category model."""
    from hotline.triage.services import CATEGORY_MODEL

    return training.save_model(path_classifier, model_dir / CATEGORY_MODEL, kind="category", source="test")
