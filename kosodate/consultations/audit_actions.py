"""Consultations' audit vocabulary (kosodate.core.audit).
Each action has an English and a Japanese label for the staff audit page; imported by the app's
AppConfig.ready()."""

from django.utils.translation import pgettext_lazy

from kosodate.core import audit

CONSULTATION_ASK = audit.register(
    "consultation.ask", pgettext_lazy("audit action", "Question asked")
)
CONSULTATION_ANSWER = audit.register(
    "consultation.answer", pgettext_lazy("audit action", "Consultation answered")
)
CONSULTATION_ASSIGN = audit.register(
    "consultation.assign", pgettext_lazy("audit action", "Consultation assigned")
)
CONSULTATION_TAKE = audit.register(
    "consultation.take", pgettext_lazy("audit action", "Consultation taken on")
)
CONSULTATION_HAND_OVER = audit.register(
    "consultation.hand_over", pgettext_lazy("audit action", "Consultation handed over")
)
CONSULTATION_NOTE = audit.register(
    "consultation.note", pgettext_lazy("audit action", "Private note added to a consultation")
)
CONSULTATION_OUTCOME = audit.register(
    "consultation.outcome", pgettext_lazy("audit action", "Consultation outcome recorded")
)
CONSULTATION_CLOSE = audit.register(
    "consultation.close", pgettext_lazy("audit action", "Consultation closed")
)
CONSULTATION_REOPEN = audit.register(
    "consultation.reopen", pgettext_lazy("audit action", "Consultation reopened")
)
CONSULTATION_VIEW = audit.register(
    "consultation.view", pgettext_lazy("audit action", "Consultation opened")
)
CONSULTATION_BOOK = audit.register(
    "consultation.book", pgettext_lazy("audit action", "Consultation session booked")
)
CONSULTATION_BOOKING_CANCEL = audit.register(
    "consultation.booking_cancel", pgettext_lazy("audit action", "Consultation session cancelled")
)
CONSULTATION_SLOTS_PUBLISH = audit.register(
    "consultation.slots_publish", pgettext_lazy("audit action", "Consultation slots published")
)
CONSULTATION_REPORT_CSV = audit.register(
    "consultation.report_csv", pgettext_lazy("audit action", "Consultation report downloaded")
)
CONSULTATION_ANONYMISE = audit.register(
    "consultation.anonymise", pgettext_lazy("audit action", "Consultation anonymised (retention)")
)
