"""Apply the consultations' retention rule (ConsultationRules.retention_child_age_years): run it
daily from cron, e.g. `15 3 * * * manage.py consultations_apply_retention`."""

from django.core.management.base import BaseCommand

from kosodate.consultations.services import retention_apply


class Command(BaseCommand):
    help = "Delete photos and anonymise consultations about children past the retention age."

    def handle(self, *args, **options):
        count = retention_apply()
        self.stdout.write(f"{count} consultation(s) anonymised.")
