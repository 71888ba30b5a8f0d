"""Domain errors: one shape ({"error", "message", "details"}), a 4xx status, JSON-safe."""

from __future__ import annotations

import json

import pytest
from django.utils.translation import gettext_lazy, override

from hotline import errors
from hotline.errors import Conflict, DomainError, InvalidInput, InvalidTransition, NotAllowed, NotFound

KINDS = [DomainError, NotAllowed, InvalidTransition, InvalidInput, NotFound, Conflict]


@pytest.mark.parametrize("kind", KINDS)
def test_every_domain_error_is_a_client_error_with_its_own_code(kind):
    assert 400 <= kind.status < 500
    assert kind.code
    exc = kind("出错了")
    assert exc.as_dict() == {"error": kind.code, "message": "出错了", "details": {}}


def test_every_error_class_has_a_distinct_code_and_a_client_status():
    found = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, DomainError)}
    assert set(KINDS) <= found
    assert len({k.code for k in found}) == len(found)
    assert all(400 <= k.status < 500 for k in found)


def test_a_specific_code_overrides_the_class_code_but_keeps_the_status():
    exc = InvalidInput("答复不完整。", code="reply_incomplete", details={"missing": ["process"]})
    assert (exc.code, exc.status, InvalidInput.code) == ("reply_incomplete", 400, "invalid_input")
    assert exc.as_dict()["details"] == {"missing": ["process"]}


def test_lazy_translations_and_odd_values_become_plain_json():
    with override("zh-hans"):
        exc = NotAllowed(gettext_lazy("已受理"), details={"field": [gettext_lazy("已派单")], 3: (1, 2.5, None, True),
                                                         "obj": object})
        out = exc.as_dict()
    text = json.dumps(out, ensure_ascii=False)
    assert json.loads(text)["details"] == {"field": ["已派单"], "3": [1, 2.5, None, True], "obj": str(object)}
    assert out["message"] == "已受理"


def test_str_of_an_error_is_its_message():
    assert str(Conflict("已有一份待审批的延期申请。")) == "已有一份待审批的延期申请。"
