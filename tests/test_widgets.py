"""QuickSelect renders what Django's Select renders (the same HTML, attribute order aside),
without a template per option."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from hotline.widgets import QuickSelect

FLAT = [("", "请选择"), (1, 'a<b"&'), (2, "乙")]
GROUPED = [("", "不确定"), ("城乡建设<1>", [(3, "路灯"), (4, "井盖")]), (5, "其他")]


@pytest.mark.parametrize("choices, value", [(FLAT, 2), (FLAT, None), (FLAT, "x"), (GROUPED, 4), (GROUPED, "")])
@pytest.mark.parametrize("attrs", [None, {"id": "id_f", "aria-invalid": "true", "aria-describedby": "h", "required": True}])
def test_quickselect_renders_the_same_select_as_django(choices, value, attrs):
    ours = QuickSelect(choices=choices).render("f", value, attrs)
    django = forms.Select(choices=choices).render("f", value, attrs)
    assert parse_html(ours) == parse_html(django)


def test_quickselect_escapes_labels_and_values():
    html = QuickSelect(choices=[('"><script>', "<b>x</b>")]).render("f<", None)
    assert "<script>" not in html and "<b>" not in html
    assert 'name="f&lt;"' in html


def test_a_bound_form_marks_its_invalid_select_for_assistive_technology():
    class F(forms.Form):
        area = forms.TypedChoiceField(choices=[("", "请选择"), (1, "东湖街道")], coerce=int, widget=QuickSelect)

    form = F(data={"area": "9"})
    assert not form.is_valid()
    html = str(form["area"])
    assert 'aria-invalid="true"' in html and "<select" in html
