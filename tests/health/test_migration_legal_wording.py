"""Migration health 0003 on a database that ran 0002 before it (the 令和6年 rows, one corrected
by staff): shipped rows become the 令和8年10月1日改正 rows in the law's wording; a row staff
changed keeps the dates it gave, in the new notation."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kosodate.health.loading import schedule_from_file

START = [("health", "0001_initial")]
BEFORE = [("health", "0002_load_schedule_data")]
AFTER = [("health", "0003_legal_wording")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_migrations")
def test_shipped_rows_are_rewritten_and_a_corrected_row_keeps_its_dates():
    executor = MigrationExecutor(connection)
    executor.migrate(START)
    start = executor.loader.project_state(START).apps
    for model in ("DoseRecord", "ScheduleRule", "Vaccine", "Checkup"):
        start.get_model("health", model).objects.all().delete()  # 0002 loads them afresh
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Rule = old.get_model("health", "ScheduleRule")
    corrected = Rule.objects.get(vaccine__code="hepb", dose_number=2)
    corrected.rec_before = "8m"  # a municipality's own standard period
    corrected.save()
    assert Rule.objects.get(vaccine__code="pcv", band_from="7m", dose_number=1).earliest_age == "7m"

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Rule = new.get_model("health", "ScheduleRule")
    Checkup = new.get_model("health", "Checkup")

    # Every untouched row is now exactly the new edition's row.
    _, shipped = schedule_from_file()
    shipped = {(r.vaccine, r.band_from, r.dose_number): r for r in shipped}
    for row in Rule.objects.select_related("vaccine").exclude(pk=corrected.pk):
        want = shipped[(row.vaccine.code, row.band_from, row.dose_number)]
        for name in ("band_until", "earliest_age", "last_until", "advised_until", "rec_until"):
            assert getattr(row, name) == getattr(want, name), (row.vaccine.code, name)
        assert (row.min_interval, row.skip_after_previous) == (
            want.min_interval,
            want.skip_after_previous,
        )
        assert "令和8年10月1日改正" in row.source
    pcv = Rule.objects.get(vaccine__code="pcv", band_from="7m+", dose_number=1)
    assert pcv.earliest_age == "7m+"  # 生後7月に至った日の翌日から
    rota = Rule.objects.get(vaccine__code="rota1", dose_number=1)
    assert (rota.last_until, rota.advised_until) == ("24w0d", "14w6d")

    # The corrected row: same dates as before, in the new notation. Its old minimum interval
    # "27d" meant +27 days; "26d" (26日以上の間隔) gives that same day.
    row = Rule.objects.get(pk=corrected.pk)
    assert (row.rec_until, row.last_until, row.min_interval) == ("8m", "1y", "26d")
    assert "令和6年4月1日施行版" in row.source

    # Checkups keep their dates: from the anniversary, until the day before the next one.
    m3 = Checkup.objects.get(code="m3")
    assert (m3.age_from, m3.age_until) == ("3m+", "5m")
    y1m6 = Checkup.objects.get(code="y1m6")
    assert (y1m6.age_from, y1m6.age_until) == ("18m+", "2y")
