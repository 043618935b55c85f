"""The month calendar's days: per day, what the availability page shows (issue 16: availability
p95 ≤ 60 ms with 50 facilities × a year of bookings).

Served from the month cache (availability_cache.py), the page still rebuilt every cell of the
month — 50 facilities × 31 days, 1,550 — from the cached grid, only to sum them up into one
status a day. The days are cached beside the grid instead, under the grid's own key (the same
availability version), so whatever changes the grid changes them at once: never a stale 空きあり."""

from datetime import date, datetime

from django.utils import timezone

from . import availability_cache, selectors
from . import rules as R


def day_summary(cells) -> tuple[str, int]:
    """A day across facilities: the best status any of them has, and how many have places."""
    open_cells = [c for c in cells if c.status in (R.AVAILABLE, R.FEW)]
    if open_cells:
        status = R.AVAILABLE if any(c.status == R.AVAILABLE for c in open_cells) else R.FEW
        return status, len(open_cells)
    if any(c.status == R.FULL for c in cells):
        return R.FULL, 0
    if cells and all(c.status == R.CLOSED for c in cells):
        return R.CLOSED, 0
    if any(c.status == R.NOT_TAKEN for c in cells):
        return R.NOT_TAKEN, 0
    return "", 0


def availability_days(
    *, facilities: list, band: str, first: date, last: date, now: datetime | None = None
) -> dict[date, tuple[str, int, str]]:
    """Per day from `first` to `last`: (status, count, reason). One facility: its own status,
    free places and reason for closing; several: day_summary()'s status and count."""
    now = now or timezone.now()
    key = selectors.availability_key(
        facilities=facilities, band=band, first=first, last=last, now=now
    )
    days_key = f"{key}:days"
    if key is not None:
        cached = availability_cache.grid_get(days_key)
        if cached is not None:
            return cached
    grid = selectors.availability(facilities=facilities, band=band, first=first, last=last, now=now)
    if len(facilities) == 1:
        days = {day: (c[0].status, c[0].free, str(c[0].reason)) for day, c in grid.items() if c}
    else:
        days = {day: (*day_summary(cells), "") for day, cells in grid.items()}
    if key is not None:
        availability_cache.grid_set(days_key, days)
    return days
