from django.db import migrations


def seed(apps, schema_editor):
    from hotline.orders.deadlines import seed_from_chinese_calendar

    seed_from_chinese_calendar(apps.get_model("directory", "CalendarDay"), apps.get_model("directory", "CalendarYear"))


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
