"""Back-office pages for municipal staff: announcements and maintenance windows. Thin: parse with
a form, call one service, redirect with a message."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import audit, selectors, services
from .access import municipal_staff_required
from .forms import AnnouncementStaffForm, MaintenanceWindowStaffForm

ANNOUNCEMENTS_PER_PAGE = 50


# --- Announcements ----------------------------------------------------------------------------
def _announcement_state(announcement, now) -> tuple[str, str]:
    """(key, label) of where an announcement stands, for the staff list."""
    if not announcement.published:
        return "unpublished", pgettext("announcement state", "Unpublished")
    if announcement.starts_at > now:
        return "scheduled", pgettext("announcement state", "Scheduled")
    if announcement.ends_at is not None and announcement.ends_at <= now:
        return "ended", pgettext("announcement state", "Ended")
    return "showing", pgettext("announcement state", "Showing")


@require_safe
@municipal_staff_required
def announcement_list(request):
    page = Paginator(selectors.announcements_for_staff(), ANNOUNCEMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [(a, *_announcement_state(a, now)) for a in page.object_list]
    return render(request, "core/staff/announcement_list.html", {"page": page, "rows": rows})


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def announcement_create(request):
    form = AnnouncementStaffForm(request.POST or None, initial={"starts_at": timezone.now()})
    if request.method == "POST" and form.is_valid():
        try:
            services.announcement_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The announcement was published."))
            return redirect("backoffice:announcement_list")
    return render(request, "core/staff/announcement_form.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def announcement_edit(request, pk: int):
    announcement = selectors.announcement_get_for_staff(pk=pk)
    form = AnnouncementStaffForm(request.POST or None, instance=announcement)
    if request.method == "POST" and form.is_valid():
        try:
            services.announcement_update(
                announcement=announcement, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The announcement was saved."))
            return redirect("backoffice:announcement_list")
    return render(
        request,
        "core/staff/announcement_form.html",
        {"form": form, "announcement": announcement},
    )


@require_POST
@municipal_staff_required
def announcement_unpublish(request, pk: int):
    announcement = selectors.announcement_get_for_staff(pk=pk)
    services.announcement_unpublish(announcement=announcement, actor=request.user, request=request)
    messages.success(
        request,
        _("“%(title)s” was unpublished. It no longer appears on the site.")
        % {"title": announcement.title},
    )
    return redirect("backoffice:announcement_list")


@require_POST
@municipal_staff_required
def announcement_publish(request, pk: int):
    announcement = selectors.announcement_get_for_staff(pk=pk)
    services.announcement_publish(announcement=announcement, actor=request.user, request=request)
    messages.success(
        request,
        _("“%(title)s” was published again for its period.") % {"title": announcement.title},
    )
    return redirect("backoffice:announcement_list")


# --- Maintenance windows ----------------------------------------------------------------------
@require_safe
@municipal_staff_required
def maintenance_list(request):
    now = timezone.now()
    windows = list(selectors.maintenance_windows_for_staff())
    return render(
        request,
        "core/staff/maintenance_list.html",
        {
            "active": [w for w in windows if w.starts_at <= now < w.ends_at],
            "scheduled": sorted(
                (w for w in windows if w.starts_at > now), key=lambda w: w.starts_at
            ),
            "past": [w for w in windows if w.ends_at <= now],
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def maintenance_create(request):
    form = MaintenanceWindowStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.maintenance_window_create(
                actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The maintenance window was scheduled."))
            return redirect("backoffice:maintenance_list")
    return render(request, "core/staff/maintenance_form.html", {"form": form})


@require_POST
@municipal_staff_required
def maintenance_end(request, pk: int):
    window = selectors.maintenance_window_get_for_staff(pk=pk)
    outcome = services.maintenance_window_end(window=window, actor=request.user, request=request)
    if outcome == "ended":
        messages.success(request, _("Maintenance has ended. The service is open again."))
    elif outcome == "cancelled":
        messages.success(request, _("The maintenance window was cancelled."))
    else:
        messages.info(request, _("This maintenance window had already ended."))
    return redirect("backoffice:maintenance_list")


# --- Audit log ----------------------------------------------------------------------------------
AUDIT_ENTRIES_PER_PAGE = 50


@require_safe
@municipal_staff_required
def audit_list(request):
    """Who did what to whom: every entry with its action's label (kosodate.core.audit)."""
    choices = [(a.key, a.label) for a in audit.action_types()]
    action = request.GET.get("action", "")
    if action not in dict(choices):
        action = ""
    page = Paginator(
        selectors.audit_entries_for_staff(action=action), AUDIT_ENTRIES_PER_PAGE
    ).get_page(request.GET.get("page"))
    rows = [(entry, audit.label(entry.action)) for entry in page.object_list]
    return render(
        request,
        "core/staff/audit_list.html",
        {"page": page, "rows": rows, "choices": choices, "action": action},
    )
