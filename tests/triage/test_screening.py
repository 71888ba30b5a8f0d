"""Keyword screening: out of remit, emergencies, private interest, abuse."""

from __future__ import annotations

import pytest

from hotline.triage.screening import screen_text


@pytest.mark.parametrize(("text", "code"), [
    ("邻居借款不还，我要起诉他，请热线帮我判决", "litigation"),
    ("小区3号楼着火了，火很大", "emergency"),
    ("路口发生车祸，有人受伤需要急救", "emergency"),
    ("你们这些狗官，他妈的什么都不管", "malicious"),
    ("要求政府给我赔100万，不给钱就天天打", "private_interest"),
])
def test_it_flags_requests_outside_the_remit(text, code):
    flags = screen_text("", text)
    assert code in {f.code for f in flags}
    flag = next(f for f in flags if f.code == code)
    assert flag.evidence and all(w in text for w in flag.evidence)
    assert 0 < flag.confidence < 1


@pytest.mark.parametrize("text", ["东湖路路灯不亮，晚上很黑", "", "孩子小学入学需要哪些材料", "Stadium lights subscription"])
def test_ordinary_requests_are_not_flagged(text):
    assert screen_text("咨询", text) == []


def test_more_matching_words_mean_more_confidence():
    one = screen_text("", "我要起诉")[0]
    three = screen_text("", "我要起诉，法院判决了，对方借款不还")[0]
    assert three.confidence > one.confidence
