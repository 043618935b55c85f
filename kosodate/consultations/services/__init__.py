"""Every change to consultations goes through here (keyword-only `noun_verb` functions).

State changes that two people may race on (taking a consultation, closing it, booking a slot) are
compare-and-swap updates or run under the locking contract of kosodate/core/capacity.py. Every
staff action and every look at a consultation is audit-logged. Families are told of an answer in
the app and by email, with no content in either, only a link (the mail may be read by others).

One module per flow:
- common.py: shared helpers: message text, photos, emergency words, the family's notification.
- family.py: the family's written consultation: ask, reply, close, reopen.
- staff.py: the professionals: reading on record, answers, taking, assigning, handing over,
  private notes, outcomes, the monthly report's download.
- sessions.py: booked sessions: publishing slots, booking under the lock, cancelling, reminders.
- upkeep.py: default topics and emergency words, and the retention rule.
"""

from .common import NOTIFY_KIND
from .family import consultation_ask, consultation_close, consultation_reopen, consultation_reply
from .sessions import booking_cancel, booking_create, reminders_send, slots_publish
from .staff import (
    consultation_answer,
    consultation_assign,
    consultation_hand_over,
    consultation_record_view,
    consultation_set_outcome,
    consultation_take,
    report_csv_record,
    session_message_staff,
    staff_note_add,
)
from .upkeep import ANONYMISED_TEXT, defaults_ensure, retention_apply

__all__ = [
    "ANONYMISED_TEXT",
    "NOTIFY_KIND",
    "booking_cancel",
    "booking_create",
    "consultation_answer",
    "consultation_ask",
    "consultation_assign",
    "consultation_close",
    "consultation_hand_over",
    "consultation_record_view",
    "consultation_reopen",
    "consultation_reply",
    "consultation_set_outcome",
    "consultation_take",
    "defaults_ensure",
    "reminders_send",
    "report_csv_record",
    "retention_apply",
    "session_message_staff",
    "slots_publish",
    "staff_note_add",
]
