"""The monthly report as rows for core's CSV writer (one section per count)."""

from django.utils.translation import gettext as _

from .selectors import MonthlyReport


def report_rows(report: MonthlyReport) -> list[list]:
    average = report.average_first_answer
    hours = round(average.total_seconds() / 3600, 1) if average is not None else ""
    rows: list[list] = [
        [_("Month"), f"{report.month:%Y-%m}"],
        [_("Consultations"), report.total],
        [_("Flagged"), report.flagged],
        [_("Answered"), report.answered],
        [_("Average time to the first answer (hours)"), hours],
        [],
        [_("Topic"), _("Count")],
        *[[row["label"], row["count"]] for row in report.by_topic],
        [],
        [_("Profession"), _("Count")],
        *[[str(row["label"]), row["count"]] for row in report.by_profession],
        [],
        [_("Outcome"), _("Count")],
        *[[str(row["label"]), row["count"]] for row in report.by_outcome],
    ]
    return rows
