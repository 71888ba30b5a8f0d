from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessment", "0005_stats_catch_up")]

    operations = [
        migrations.AddField(model_name="statsbuild", name="nightly_queued_for", field=models.DateTimeField(null=True)),
    ]
