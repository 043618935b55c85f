"""Every change in ファミサポ goes through here (ARCHITECTURE.md: services), split by flow:
membership (joining, sessions, training), matching (requests, offers, the advisor), activities
(meetings, cancellation, reports, the month's close), changes (the centre changes a confirmed
activity's time, place or supporter)."""
