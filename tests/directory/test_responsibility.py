"""The responsibility list (权责清单): one lead unit per category and area at any time, and
`rule_for` picking the most specific rule in force."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from hotline.directory.models import Area, Category, ResponsibilityRule, Unit
from hotline.orders.actions import rule_for

D = dt.date
NEXT_YEAR = D(2027, 1, 1)


def _rule(d, *, lead="housing", start=NEXT_YEAR, end=None, area=None, category="施工噪声"):
    return ResponsibilityRule.objects.create(
        category=d.categories[category], area=d.areas[area] if area else None, lead_unit=d.units[lead],
        effective_from=start, effective_to=end,
    )


def test_it_refuses_a_second_open_ended_rule_for_the_same_category_and_area(district):
    # 施工噪声 already has an open-ended district-wide rule from 2023 (城管执法局)
    with pytest.raises(ValidationError) as exc:
        _rule(district)
    assert "权责清单#" in str(exc.value)
    assert ResponsibilityRule.objects.filter(category=district.categories["施工噪声"]).count() == 1


@pytest.mark.parametrize("new,old", [
    ((D(2030, 3, 1), D(2030, 9, 1)), (D(2030, 1, 1), D(2030, 6, 1))),  # overlaps the end
    ((D(2029, 6, 1), D(2030, 2, 1)), (D(2030, 1, 1), D(2030, 6, 1))),  # overlaps the start
    ((D(2030, 2, 1), D(2030, 3, 1)), (D(2030, 1, 1), D(2030, 6, 1))),  # inside
    ((D(2029, 1, 1), None), (D(2030, 1, 1), D(2030, 6, 1))),  # open-ended over a dated one
    ((D(2030, 5, 31), D(2030, 6, 2)), (D(2030, 1, 1), D(2030, 6, 1))),  # one day in common
])
def test_it_refuses_overlapping_dated_rules(district, new, old):
    _rule(district, category="露天焚烧", area="east-lake", start=old[0], end=old[1])
    with pytest.raises(ValidationError):
        _rule(district, category="露天焚烧", area="east-lake", start=new[0], end=new[1])


def test_it_allows_successive_versions_that_do_not_overlap(district):
    d = district
    old = d.rules["施工噪声"]
    old.effective_to = D(2027, 1, 1)
    old.save()
    new = _rule(d, lead="environment", start=D(2027, 1, 1))
    assert rule_for(d.categories["施工噪声"], None, D(2026, 12, 31)) == old
    assert rule_for(d.categories["施工噪声"], None, D(2027, 1, 1)) == new
    # a dated window before the first version fits too
    _rule(d, lead="street-a", start=D(2020, 1, 1), end=D(2023, 1, 1))


def test_it_allows_the_same_category_in_another_area_or_district_wide(district):
    _rule(district, category="露天焚烧", area="east-lake", lead="street-a", start=D(2023, 1, 1))
    _rule(district, category="露天焚烧", area="west-city", lead="street-b", start=D(2023, 1, 1))


def test_it_refuses_a_rule_that_ends_before_it_starts_or_leads_with_a_non_handling_unit(district):
    with pytest.raises(ValidationError):
        _rule(district, category="露天焚烧", area="east-lake", start=D(2030, 1, 1), end=D(2030, 1, 1))
    with pytest.raises(ValidationError):
        _rule(district, category="露天焚烧", area="east-lake", lead="district", start=D(2030, 1, 1))


def test_it_picks_the_area_specific_rule_over_the_district_wide_one(district):
    d = district
    local = _rule(d, category="施工噪声", area="north-hill", lead="town-d", start=D(2023, 1, 1))
    cat = d.categories["施工噪声"]
    assert rule_for(cat, d.areas["north-hill"], D(2026, 11, 28)) == local
    assert rule_for(cat, d.areas["east-lake"], D(2026, 11, 28)) == d.rules["施工噪声"]
    assert rule_for(cat, None, D(2026, 11, 28)) == d.rules["施工噪声"]


def test_it_walks_up_the_area_tree(district):
    d = district
    community = Area.objects.create(code="east-lake-1", name="东湖第一社区", parent=d.areas["east-lake"])
    assert rule_for(d.categories["道路塌陷破损"], community, D(2026, 11, 28)) == d.rules["道路塌陷破损@east-lake"]


def test_it_walks_up_the_category_tree(district):
    d = district
    leaf = d.categories["露天焚烧"]
    child = Category.objects.create(name="秸秆焚烧", parent=leaf, level=4, path=f"{leaf.path}/秸秆焚烧")
    assert rule_for(child, d.areas["east-lake"], D(2026, 11, 28)) == d.rules["露天焚烧"]
    parent_rule = _rule(d, category="露天焚烧", lead="environment", start=D(2023, 1, 1), area="west-city")
    assert rule_for(child, d.areas["west-city"], D(2026, 11, 28)) == parent_rule
    # the category's own rule wins over its parent's
    own = ResponsibilityRule.objects.create(category=child, lead_unit=d.units["town-d"], effective_from=D(2023, 1, 1))
    assert rule_for(child, d.areas["west-city"], D(2026, 11, 28)) == own


def test_it_finds_no_rule_before_the_list_starts_or_without_a_category(district):
    d = district
    assert rule_for(d.categories["施工噪声"], None, D(2022, 12, 31)) is None
    assert rule_for(None, d.areas["east-lake"]) is None
    assert rule_for(d.categories["就医咨询"], d.areas["east-lake"]) is None


def test_it_refuses_a_unit_that_is_its_own_ancestor(district):
    d = district
    street = d.units["street-a"]
    community = Unit.objects.create(code="c1", name="东湖社区", kind="community", parent=street)
    street.parent = community
    with pytest.raises(ValidationError):
        street.clean()


def _reference_rule(category, area, on):
    """rule_for worked out the slow way, straight from the tables: an oracle for the in-memory
    copy that rule_for and RuleBook read."""
    cats, node = [], category
    while node is not None:
        cats.append(node)
        node = node.parent
    places, node = [], area
    while node is not None:
        places.append(node)
        node = node.parent
    for cat in cats:
        for place in [*places, None]:
            rules = ResponsibilityRule.objects.filter(category=cat, area=place, effective_from__lte=on)
            rule = rules.exclude(effective_to__lte=on).first()
            if rule is not None:
                return rule
    return None


@pytest.mark.parametrize("on", [D(2022, 12, 31), D(2026, 11, 28), D(2027, 6, 1)])
def test_rule_for_and_the_rule_book_agree_with_the_tables_everywhere(district, on):
    from hotline.directory.responsibility import RuleBook

    d = district
    # versions, an area-specific override and a deeper category, to give them something to get wrong
    old = d.rules["施工噪声"]
    old.effective_to = D(2027, 1, 1)
    old.save()
    _rule(d, lead="environment", start=D(2027, 1, 1))
    _rule(d, category="施工噪声", area="north-hill", lead="town-d", start=D(2023, 1, 1))
    leaf = d.categories["露天焚烧"]
    Category.objects.create(name="秸秆焚烧", parent=leaf, level=4, path=f"{leaf.path}/秸秆焚烧")
    Area.objects.create(code="east-lake-1", name="东湖第一社区", parent=d.areas["east-lake"])
    book = RuleBook.load(on)
    for cat in Category.objects.all():
        for area in [None, *Area.objects.all()]:
            want = _reference_rule(cat, area, on)
            assert rule_for(cat, area, on) == want, (cat.path, area, on)
            assert book.lookup(cat.pk, area.pk if area else None) == want, (cat.path, area, on)
