"""Seed the working-day calendar from the chinese-calendar package. Self-contained on purpose:
a migration must not import application code, which changes after the migration is written."""

from django.db import migrations

# chinese-calendar's English holiday names, in the labels the calendar shows.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _label(name):
    text = str(name) if name is not None else ""
    return HOLIDAY_NAMES.get(text, text)[:40]


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarDay = apps.get_model("directory", "CalendarDay")  # noqa: N806
    CalendarYear = apps.get_model("directory", "CalendarYear")  # noqa: N806
    rows = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            rows[day] = (False, _label(name))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            rows[day] = (True, f"{_label(name)}调休上班")
    existing = set(CalendarDay.objects.filter(date__in=list(rows)).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, is_workday=w, note=n) for d, (w, n) in sorted(rows.items()) if d not in existing]
    )
    known = set(CalendarYear.objects.values_list("year", flat=True))
    years = sorted({d.year for d in rows})
    CalendarYear.objects.bulk_create([CalendarYear(year=y, source="chinese-calendar 1.11.0") for y in years if y not in known])


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
