"""The national schedule (定期接種実施要領) and the usual checkups, from kosodate/health/data/."""

from django.db import migrations


def load(apps, schema_editor):
    from kosodate.health.loading import checkup_data_load, schedule_data_load

    schedule_data_load(
        vaccine_model=apps.get_model("health", "Vaccine"),
        rule_model=apps.get_model("health", "ScheduleRule"),
    )
    checkup_data_load(checkup_model=apps.get_model("health", "Checkup"))


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
