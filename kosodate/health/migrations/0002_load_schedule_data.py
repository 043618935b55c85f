"""The national schedule (定期接種実施要領, 令和6年4月1日施行版) and the usual checkups, as first
shipped (kosodate/health/data/r6/). Self-contained on purpose: 0003 moves these rows to the next
edition and its notation, so a new database and an upgraded one end up the same."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "r6"
RULE_FIELDS = (
    "band_before",
    "label",
    "label_en",
    "earliest_age",
    "last_before",
    "rec_from",
    "rec_before",
    "min_interval",
    "interval_from_dose",
    "rec_interval_from",
    "rec_interval_before",
    "skip_when_late",
    "source",
)
VACCINE_FIELDS = (
    "name",
    "name_en",
    "group",
    "sex",
    "order",
    "only_if_started",
    "note",
    "note_en",
    "source",
)
CHECKUP_FIELDS = (
    "name",
    "name_en",
    "age_from",
    "age_before",
    "method",
    "place",
    "place_en",
    "note",
    "note_en",
    "legal",
    "order",
    "source",
)


def _empty(field):
    if field == "interval_from_dose":
        return None
    if field in ("skip_when_late", "legal", "only_if_started"):
        return False
    if field == "order":
        return 0
    return ""


def load(apps, schema_editor):
    Vaccine = apps.get_model("health", "Vaccine")
    ScheduleRule = apps.get_model("health", "ScheduleRule")
    Checkup = apps.get_model("health", "Checkup")
    data = json.loads((DATA / "schedule_ja.json").read_text(encoding="utf-8"))
    for item in data["vaccines"]:
        vaccine, _ = Vaccine.objects.get_or_create(
            code=item["code"], defaults={f: item.get(f, _empty(f)) for f in VACCINE_FIELDS}
        )
        for row in item["rules"]:
            ScheduleRule.objects.get_or_create(
                vaccine=vaccine,
                band_from=row.get("band_from", ""),
                dose_number=row["dose_number"],
                defaults={f: row.get(f, _empty(f)) for f in RULE_FIELDS},
            )
    data = json.loads((DATA / "checkups_ja.json").read_text(encoding="utf-8"))
    for item in data["checkups"]:
        Checkup.objects.get_or_create(
            code=item["code"], defaults={f: item.get(f, _empty(f)) for f in CHECKUP_FIELDS}
        )


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
