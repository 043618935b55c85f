from django.core.management.base import BaseCommand
from django.db import transaction

from kosodate.health.loading import checkup_data_load, schedule_data_load
from kosodate.health.models import Checkup, ScheduleRule, Vaccine


class Command(BaseCommand):
    help = (
        "Load the immunisation schedule and checkups from kosodate/health/data/. Rows staff "
        "corrected are kept unless --update (after the national schedule file was revised)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--update", action="store_true", help="Overwrite existing rows.")

    def handle(self, *args, update=False, **options):
        with transaction.atomic():
            count = schedule_data_load(
                vaccine_model=Vaccine, rule_model=ScheduleRule, update=update
            )
            count += checkup_data_load(checkup_model=Checkup, update=update)
        self.stdout.write(f"{count} row(s) created or updated.")
