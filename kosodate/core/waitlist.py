"""One waitlist-and-offer policy for every service with scarce places: 一時預かり days, event
sessions, and next ファミサポ broadcasts and 相談 slots (docs/waitlist.md says it in domain terms).

A service describes itself as data and calls these functions inside its capacity_locked() block
(kosodate/core/capacity.py); what differs between services differs by that data, not by copies:

- `OfferPolicy`: how long a family has to take a freed place, how close to the start an offer
  must end, and how short an offer is not worth making (`policy.deadline(now=, starts_at=)`).
- `StatusFlow`: the model whose rows wait, are offered, confirmed, cancelled…; the model that
  keeps their status history; the status values that mean "waiting" and "offered". Every state
  change goes through `flow.change()`: a compare-and-swap UPDATE plus one history row.
- `waitlist_offer()`: offer each free place to the next waiting row that fits, in queue order;
  each offer schedules its own expiry task (by function reference, after commit).
- `offers_expire()`: offers past their deadline pass on (compare-and-swap, so once only).
- `household_notify()`: every guardian of the household is told, each in their own language.
- `task_schedule()`: enqueue a task object (never a name) when the transaction commits.

The caller keeps the counting (places per age band, people or families…), since that is where
services differ most: it passes `fits(row)` and `offered(row)` and updates its own counts in them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import translation

from .services import notification_send, notifications_send_many


# --- The offer deadline -------------------------------------------------------------------------
@dataclass(frozen=True)
class OfferPolicy:
    """The offer-deadline rule of one service (docs/waitlist.md): an offer lasts `hours`, but ends
    `ends_before_start` before the start at the latest; when less than `minimum` would be left to
    answer (or the start has come), no offer is made and the place stays free."""

    hours: int
    ends_before_start: timedelta = timedelta(0)
    minimum: timedelta = timedelta(0)

    def deadline(self, *, now: datetime, starts_at: datetime) -> datetime | None:
        """When an offer made `now` for something starting at `starts_at` ends, or None when no
        offer can be made."""
        deadline = min(now + timedelta(hours=self.hours), starts_at - self.ends_before_start)
        if deadline <= now or deadline - now < self.minimum:
            return None
        return deadline


# --- State changes with their history -----------------------------------------------------------
# A waiting row of any service (a Booking, an Application): a model instance with `status` and
# `offer_expires_at` fields, which models.Model does not declare.
Row = Any


@dataclass(frozen=True)
class StatusFlow:
    """Where one service keeps its waiting rows and their status history.

    `history` has a foreign key `history_fk` to `model`, and fields status, actor (nullable),
    note and created_at. `changed_at` is the field of `model` stamped at every change."""

    model: type[models.Model]
    history: type[models.Model]
    history_fk: str
    changed_at: str
    waiting: str = "waitlisted"
    offered: str = "offered"

    def history_row(
        self, obj: Row, *, status: str, now: datetime, actor=None, note=""
    ) -> models.Model:
        """The history row (unsaved) recording that `obj` reached `status`."""
        return self.history(
            **{self.history_fk: obj},
            status=status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            note=note[:500],
            created_at=now,
        )

    def record(self, obj: Row, *, status: str, now: datetime, actor=None, note="") -> None:
        """Add a history row (for a row just created in `status`; change() records its own)."""
        self.history_row(obj, status=status, now=now, actor=actor, note=note).save(
            force_insert=True
        )

    def change(
        self,
        obj: Row,
        *,
        from_statuses: Iterable[str],
        to: str,
        now: datetime,
        actor=None,
        note: str = "",
        extra_filter: dict[str, Any] | None = None,
        **fields: Any,
    ) -> bool:
        """Compare-and-swap `obj` from one of `from_statuses` to `to` (UPDATE … WHERE status IN
        …), setting `fields`; on success record the history row and update the instance. False
        when someone else changed it first: nothing is then written."""
        values = {self.changed_at: now, **fields}
        updated = self.model._default_manager.filter(
            pk=obj.pk, status__in=list(from_statuses), **(extra_filter or {})
        ).update(status=to, **values)
        if not updated:
            return False
        self.record(obj, status=to, now=now, actor=actor, note=note)
        obj.status = to
        for name, value in values.items():
            setattr(obj, name, value)
        return True


# --- The waitlist -------------------------------------------------------------------------------
def task_schedule(task, *, run_after: datetime | None = None, **kwargs: Any) -> None:
    """Enqueue `task` (a django.tasks Task object, never its name) once the transaction commits.
    robust=True: a failure to enqueue must not turn a committed request into an error page; every
    task here has a periodic management command as its safety net."""

    def enqueue():
        (task.using(run_after=run_after) if run_after else task).enqueue(**kwargs)

    transaction.on_commit(enqueue, robust=True)


def waitlist_offer(
    *,
    flow: StatusFlow,
    queue: Iterable[Row],
    policy: OfferPolicy,
    now: datetime,
    starts_at: Callable[[Row], datetime],
    fits: Callable[[Row], bool],
    offered: Callable[[Row], None],
    expiry_task,
    expiry_kwarg: str,
    **fields: Any,
) -> int:
    """Offer free places to the waiting rows of `queue`, in its order (call it under the
    resource's lock). A row that does not fit (`fits`) is passed over, not skipped for good: a
    later, smaller one may fit. Each offer is a compare-and-swap waiting → offered with the
    policy's deadline, then `offered(row)` (the caller counts the place and tells the family) and
    the expiry task is scheduled for the deadline with `{expiry_kwarg: row.pk}`. Returns how
    many offers were made."""
    offers = 0
    for row in queue:
        if row.status != flow.waiting or not fits(row):
            continue
        deadline = policy.deadline(now=now, starts_at=starts_at(row))
        if deadline is None:
            continue
        if flow.change(
            row,
            from_statuses=[flow.waiting],
            to=flow.offered,
            now=now,
            offer_expires_at=deadline,
            **fields,
        ):
            offers += 1
            offered(row)
            task_schedule(expiry_task, run_after=deadline, **{expiry_kwarg: row.pk})
    return offers


def offers_expire(
    *,
    flow: StatusFlow,
    offers: Iterable[Row],
    now: datetime,
    to: str,
    expired: Callable[[Row, datetime], None],
    note: str = "offer not confirmed",
    **fields: Any,
) -> int:
    """Each of `offers` whose deadline has passed moves to `to` (compare-and-swap on the status
    and the deadline, so an offer expires once even with several workers); `expired(row,
    deadline)` then frees its place and tells the family. Returns how many expired."""
    count = 0
    for row in offers:
        deadline = row.offer_expires_at
        if row.status != flow.offered or deadline is None or deadline > now:
            continue
        if flow.change(
            row,
            from_statuses=[flow.offered],
            to=to,
            now=now,
            note=note,
            extra_filter={"offer_expires_at__lte": now},
            **fields,
        ):
            count += 1
            expired(row, deadline)
    return count


# --- Telling the family -------------------------------------------------------------------------
def household_notify(
    *,
    household_id: int | None,
    kind: str,
    url: str,
    text: Callable[[], tuple[str, str]],
    email: bool = True,
) -> int:
    """Tell every active guardian of the household (in-app, and by email after commit): `text()`
    is called once per guardian under their own language and returns (title, body). Returns how
    many were told."""
    if household_id is None:
        return 0
    guardians = get_user_model()._default_manager.filter(household_id=household_id, is_active=True)
    told = 0
    for guardian in guardians.order_by("pk"):
        with translation.override(getattr(guardian, "preferred_language", "") or "ja"):
            title, body = text()
            notification_send(
                user=guardian, kind=kind, title=title, body=body, url=url, email=email
            )
        told += 1
    return told


@dataclass(frozen=True)
class HouseholdNote:
    """One thing to tell one household (households_notify_many): as household_notify's
    arguments."""

    household_id: int | None
    kind: str
    url: str
    text: Callable[[], tuple[str, str]]


def households_notify_many(notes: list[HouseholdNote]) -> int:
    """household_notify for many households at once (a batch of the worker, core.task_batches):
    the guardians and their preferences in one query, every notification in one INSERT and every
    email in another. Returns how many guardians were told."""
    households = {note.household_id for note in notes if note.household_id is not None}
    if not households:
        return 0
    guardians: dict[int | None, list] = {}
    for guardian in (
        get_user_model()
        ._default_manager.filter(household_id__in=households, is_active=True)
        .select_related("notification_preference")
        .order_by("pk")
    ):
        guardians.setdefault(guardian.household_id, []).append(guardian)
    made = []
    for note in notes:
        for guardian in guardians.get(note.household_id, ()):
            with translation.override(getattr(guardian, "preferred_language", "") or "ja"):
                title, body = note.text()
                made.append(
                    {
                        "user": guardian,
                        "kind": note.kind,
                        "title": title,
                        "body": body,
                        "url": note.url,
                    }
                )
    notifications_send_many(made)
    return len(made)
