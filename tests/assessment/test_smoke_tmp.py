import datetime as dt

from django.utils import timezone

from hotline.assessment import indicators, stats
from tests.assessment.conftest import closed


def test_tmp(district):
    closed(district, "street-a")
    closed(district, "street-a", resolved=False, satisfaction="basic", redo=1)
    today = timezone.localdate()
    u, m = stats.compute(today, today)
    print(u, m)
    stats.rebuild(today - dt.timedelta(days=3), today)
    print(stats.unit_totals(today, today))
    ov = indicators.overview(today, today)
    print(ov["district"], ov["units"][0])
