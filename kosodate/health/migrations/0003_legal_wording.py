"""The schedule rows say their boundaries the way the law words them (kosodate/core/ages.py
terms; every end inclusive), and follow the 定期接種実施要領 as amended on 令和8年10月1日.

What happens to each row:
* A row the project shipped (data/r6) and nobody changed is rewritten to the new edition's
  values (data/r8): start days from the 至った日, intervals of N days counted as 中N日, the
  pneumococcal, rotavirus and hepatitis B rules of docs/immunisation.md.
* A row a municipality added or corrected keeps the dates it gave: its terms are translated to the
  new notation (old "before" ages were exclusive, old day intervals were +N), so nothing a
  municipality decided changes silently. Staff then see its legal wording and example dates on
  the correction page and may bring it in line with the law.
Checkups keep their dates the same way (a municipal rule, not the 実施要領)."""

import json
import re
from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

import kosodate.health.models

DATA = Path(__file__).resolve().parent.parent / "data"

OLD_RULE_FIELDS = {
    "band_before": "band_until",
    "last_before": "last_until",
    "rec_before": "rec_until",
    "rec_interval_before": "rec_interval_until",
}
START = ("band_from", "earliest_age", "rec_from")
END = ("band_until", "last_until", "rec_until")
COMPARED = (
    "band_until",
    "label",
    "label_en",
    "earliest_age",
    "last_until",
    "rec_from",
    "rec_until",
    "min_interval",
    "interval_from_dose",
    "rec_interval_from",
    "rec_interval_until",
    "skip_when_late",
)
NEW_FIELDS = COMPARED + ("advised_until", "skip_after_previous", "source")

_YM = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?$")
_WD = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?$")


def _months(text):
    match = _YM.match(text)
    if not text or match is None:
        return None
    return 12 * int(match[1] or 0) + int(match[2] or 0)


def _days(text):
    match = _WD.match(text)
    if not text or match is None:
        return None
    return 7 * int(match[1] or 0) + int(match[2] or 0)


def _weeks_days(days):
    weeks, rest = divmod(days, 7)
    return f"{weeks}w{rest}d"


def start_term(old):
    """An old start age (reached on the anniversary) as a new term giving the same day."""
    months = _months(old)
    if months is not None:
        return f"{months // 12}y+" if months % 12 == 0 and "y" in old and "m" not in old else (
            f"{months}m+"
        )
    days = _days(old)
    return _weeks_days(days) if days is not None and days else ("0d" if days == 0 else old)


def end_term(old):
    """An old exclusive "before" age as a new inclusive end term giving the same last day."""
    if _months(old) is not None:
        return old if re.fullmatch(r"\d+[my]", old) else f"{_months(old)}m"
    days = _days(old)
    if days:
        return _weeks_days(days - 1)
    if old == "S":
        return "S-1d"
    match = re.fullmatch(r"S-(\d+)d", old)
    if match:
        return f"S-{int(match[1]) + 1}d"
    match = re.fullmatch(r"F(\d+)", old)
    if match:
        return f"F{int(match[1]) - 1}end"
    return old


def interval_min(old):
    """Old "+N days" minimum as the new 「N日以上の間隔」 giving the same first day."""
    match = re.fullmatch(r"(\d+)d", old)
    return f"{max(int(match[1]) - 1, 0)}d" if match else old


def interval_max(old):
    """Old exclusive maximum interval as the new inclusive 「…までの間隔」."""
    match = re.fullmatch(r"(\d+)d", old)
    if match:
        return f"{max(int(match[1]) - 2, 0)}d"
    match = re.fullmatch(r"(\d+)m1d", old)
    return f"{match[1]}m" if match else old


def translate(values):
    """An old row's values (new field names) in the new notation, giving the same dates."""
    new = dict(values)
    for name in START:
        new[name] = start_term(values.get(name, ""))
    for name in END:
        new[name] = end_term(values.get(name, ""))
    new["min_interval"] = interval_min(values.get("min_interval", ""))
    new["rec_interval_from"] = interval_min(values.get("rec_interval_from", ""))
    new["rec_interval_until"] = interval_max(values.get("rec_interval_until", ""))
    return new


def _shipped(edition):
    data = json.loads((DATA / edition / "schedule_ja.json").read_text(encoding="utf-8"))
    rows = {}
    for item in data["vaccines"]:
        for row in item["rules"]:
            row = {OLD_RULE_FIELDS.get(k, k): v for k, v in row.items()}
            rows[(item["code"], row.get("band_from", ""), row["dose_number"])] = row
    return {item["code"]: item for item in data["vaccines"]}, rows


def _value(row, name):
    if name == "interval_from_dose":
        return row.get(name)
    if name == "skip_when_late":
        return bool(row.get(name, False))
    return row.get(name, "")


def forwards(apps, schema_editor):
    Vaccine = apps.get_model("health", "Vaccine")
    ScheduleRule = apps.get_model("health", "ScheduleRule")
    Checkup = apps.get_model("health", "Checkup")
    _, old_rows = _shipped("r6")
    new_vaccines, new_rows = _shipped("r8")
    # The new rows by the old key: a later plan's band now starts "…の翌日" ("7m" → "7m+").
    new_by_old_key = {}
    for (code, band_from, number), row in new_rows.items():
        old_band = band_from[:-1] if band_from.endswith("+") else band_from
        new_by_old_key[(code, old_band, number)] = row
    for rule in ScheduleRule.objects.select_related("vaccine"):
        key = (rule.vaccine.code, rule.band_from, rule.dose_number)
        current = {name: getattr(rule, name) for name in COMPARED}
        old = old_rows.get(key)
        unchanged = old is not None and all(
            _value(old, name) == current[name] for name in COMPARED
        ) and old.get("source", "") == rule.source
        if unchanged and key in new_by_old_key:
            row = new_by_old_key[key]
            rule.band_from = row.get("band_from", "")
            for name in NEW_FIELDS:
                setattr(rule, name, _value(row, name))
        else:
            translated = translate({"band_from": rule.band_from, **current})
            for name, value in translated.items():
                setattr(rule, name, value)
        rule.save()
    for vaccine in Vaccine.objects.all():
        item = new_vaccines.get(vaccine.code)
        if item is not None:
            vaccine.source = item["source"]
            vaccine.note = item.get("note", "")
            vaccine.note_en = item.get("note_en", "")
            vaccine.save(update_fields=["source", "note", "note_en"])
    for checkup in Checkup.objects.all():
        checkup.age_from = start_term(checkup.age_from)
        checkup.age_until = end_term(checkup.age_until)
        checkup.save(update_fields=["age_from", "age_until"])


class Migration(migrations.Migration):
    dependencies = [("health", "0002_load_schedule_data")]

    operations = [
        migrations.RenameField("schedulerule", "band_before", "band_until"),
        migrations.RenameField("schedulerule", "last_before", "last_until"),
        migrations.RenameField("schedulerule", "rec_before", "rec_until"),
        migrations.RenameField("schedulerule", "rec_interval_before", "rec_interval_until"),
        migrations.RenameField("checkup", "age_before", "age_until"),
        migrations.AddField(
            model_name="schedulerule",
            name="advised_until",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AddField(
            model_name="schedulerule",
            name="skip_after_previous",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AlterField(
            model_name='checkup',
            name='age_from',
            field=models.CharField(blank=True, help_text="「…から」: the first day of the checkup's age.", max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='from'),
        ),
        migrations.AlterField(
            model_name='checkup',
            name='age_until',
            field=models.CharField(blank=True, help_text='「…まで」: the last day (included).', max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='until'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='advised_until',
            field=models.CharField(blank=True, help_text='After this day the dose is still free but not recommended: families are told to ask their doctor (rotavirus first dose after 出生14週6日後).', max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='recommended until'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='band_from',
            field=models.CharField(blank=True, help_text='「…から」: the plan applies from this day (included).', max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='plan: first dose from'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='band_until',
            field=models.CharField(blank=True, help_text='「…まで」「…に至るまで」: up to and including this day.', max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='plan: first dose until'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='earliest_age',
            field=models.CharField(blank=True, max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='earliest day'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='last_until',
            field=models.CharField(blank=True, help_text='The legal limit: the last day the dose is a routine (free) dose.', max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='free until'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='min_interval',
            field=models.CharField(blank=True, help_text='「N日以上の間隔」: allowed from the previous dose + N + 1 days.', max_length=12, validators=[kosodate.health.models.validate_interval_term], verbose_name='minimum interval'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='rec_from',
            field=models.CharField(blank=True, max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='standard period from'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='rec_interval_from',
            field=models.CharField(blank=True, max_length=12, validators=[kosodate.health.models.validate_interval_term], verbose_name='standard interval from'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='rec_interval_until',
            field=models.CharField(blank=True, max_length=12, validators=[kosodate.health.models.validate_interval_term], verbose_name='standard interval until'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='rec_until',
            field=models.CharField(blank=True, max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='standard period until'),
        ),
        migrations.AlterField(
            model_name='schedulerule',
            name='skip_after_previous',
            field=models.CharField(blank=True, help_text='This dose is left out when the previous one was given after this day (pneumococcal primary 3 when primary 2 came after 生後12月に至るまで).', max_length=12, validators=[kosodate.health.models.validate_day_term], verbose_name='left out when the previous dose came after'),
        ),
        migrations.CreateModel(
            name='ChildImmunisation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hepb_with_hbig', models.BooleanField(default=False, help_text='Babies given hepatitis B immune globulin (HBIG) with the vaccine because the mother carries the virus have these doses under health insurance: they are outside the routine programme (予防接種法施行規則).', verbose_name='hepatitis B vaccine given with HBIG to prevent mother-to-child infection')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('child', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='immunisation', to='accounts.child')),
            ],
            options={
                'verbose_name': "child's immunisation details",
                'verbose_name_plural': "children's immunisation details",
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
