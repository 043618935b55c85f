"""/staff/accounts/: the counter (窓口) — find a resident, record an identity check (which opens
a pending account), help a resident who lost access (change email, a one-time reset link on
paper, reset the second step), and unlock. Municipal staff only; every action and every look at
a resident's record is audit-logged by the services. Staff never see or choose a password."""

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core.access import municipal_staff_required

from . import selectors, services
from .forms_staff import CounterEmailForm, IdentityCheckForm, ResidentSearchForm
from .models import IdentityCheck, User


def _recovery_or_redirect(request, resident):
    """Recovery actions need today's identity check for recovery; without one, staff are sent to
    record it first."""
    if selectors.identity_check_for_recovery_today(resident=resident) is None:
        messages.warning(
            request, _("Check the resident's identity for account recovery first (today).")
        )
        return redirect("staff_accounts_identity_check", pk=resident.pk)
    return None


@require_safe
@municipal_staff_required
def search(request):
    form = ResidentSearchForm(request.GET or None)
    results = None
    if form.is_valid():
        results = selectors.residents_search(**form.criteria)
    return render(
        request,
        "accounts/staff/search.html",
        {"form": form, "results": results, "limit": selectors.RESIDENT_SEARCH_LIMIT},
    )


@require_safe
@municipal_staff_required
@never_cache
def detail(request, pk):
    resident = selectors.resident_get_for_staff(pk=pk)
    services.resident_view_record(staff=request.user, resident=resident, request=request)
    return render(
        request,
        "accounts/staff/detail.html",
        {"resident": resident, **selectors.resident_record_for_staff(resident=resident)},
    )


@require_http_methods(["GET", "POST"])
@municipal_staff_required
def identity_check(request, pk):
    resident = selectors.resident_get_for_staff(pk=pk)
    initial = {"purpose": IdentityCheck.Purpose.RECOVERY}
    if resident.identity_status == User.IdentityStatus.PENDING:
        initial["purpose"] = IdentityCheck.Purpose.ACTIVATION
    form = IdentityCheckForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            services.identity_check_record(
                staff=request.user,
                resident=resident,
                method=form.cleaned_data["method"],
                purpose=form.cleaned_data["purpose"],
                note=form.cleaned_data["method_note"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if resident.identity_status == User.IdentityStatus.VERIFIED:
                messages.success(request, _("Identity check recorded. The account is open."))
            else:
                messages.success(request, _("Identity check recorded."))
            return redirect("staff_accounts_detail", pk=resident.pk)
    return render(
        request, "accounts/staff/identity_check.html", {"resident": resident, "form": form}
    )


@require_http_methods(["GET", "POST"])
@municipal_staff_required
def email_change(request, pk):
    resident = selectors.resident_get_for_staff(pk=pk)
    if response := _recovery_or_redirect(request, resident):
        return response
    form = CounterEmailForm(request.POST or None)
    if form.is_valid():
        try:
            services.counter_email_change(
                staff=request.user,
                resident=resident,
                email=form.cleaned_data["email"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "We sent a verification link to the new address. It replaces the old one "
                    "once the resident opens the link."
                ),
            )
            return redirect("staff_accounts_detail", pk=resident.pk)
    return render(request, "accounts/staff/email_change.html", {"resident": resident, "form": form})


@require_http_methods(["GET", "POST"])
@municipal_staff_required
@never_cache
def reset_link(request, pk):
    """GET explains; POST issues the link and shows it once, to print and hand over. The page is
    never cached, and the link is never stored or shown again."""
    resident = selectors.resident_get_for_staff(pk=pk)
    if response := _recovery_or_redirect(request, resident):
        return response
    if request.method != "POST":
        return render(
            request,
            "accounts/staff/reset_link_confirm.html",
            {"resident": resident, "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
        )
    url = services.counter_reset_link_issue(staff=request.user, resident=resident, request=request)
    qr = segno.make(url, error="m")
    return render(
        request,
        "accounts/staff/reset_link.html",
        {
            "resident": resident,
            "url": url,
            "qr_data_uri": qr.svg_data_uri(scale=4, border=2),
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )


@require_http_methods(["GET", "POST"])
@municipal_staff_required
def second_step_reset(request, pk):
    resident = selectors.resident_get_for_staff(pk=pk)
    if response := _recovery_or_redirect(request, resident):
        return response
    if request.method == "POST":
        if services.counter_second_step_reset(
            staff=request.user, resident=resident, request=request
        ):
            messages.success(
                request,
                _("The second step was reset. The resident can sign in with their password."),
            )
        else:
            messages.info(request, _("This resident had no second step to reset."))
        return redirect("staff_accounts_detail", pk=resident.pk)
    record = selectors.resident_record_for_staff(resident=resident)
    return render(
        request,
        "accounts/staff/second_step_reset.html",
        {"resident": resident, "second_step_methods": record["second_step_methods"]},
    )


@require_POST
@municipal_staff_required
def unlock(request, pk):
    resident = selectors.resident_get_for_staff(pk=pk)
    if services.account_unlock(staff=request.user, resident=resident, request=request):
        messages.success(request, _("The account is unlocked. The resident can sign in now."))
    else:
        messages.info(request, _("This account was not locked."))
    return redirect("staff_accounts_detail", pk=resident.pk)


AUTH_EVENTS_PER_PAGE = 50


@require_safe
@municipal_staff_required
@never_cache
def auth_events(request):
    """The authentication event log (issue 4): every sign-in, failure, lock, unlock, reset and
    second-step change, by account and time."""
    from datetime import datetime, time, timedelta

    from django.core.paginator import Paginator
    from django.utils import timezone

    from .forms_security import AuthEventSearchForm

    form = AuthEventSearchForm(request.GET or None)
    criteria = {}
    if form.is_valid():
        data = form.cleaned_data
        tz = timezone.get_current_timezone()
        criteria = {
            "query": data["q"],
            "kind": data["kind"],
            "since": datetime.combine(data["since"], time.min, tz) if data["since"] else None,
            "until": datetime.combine(data["until"] + timedelta(days=1), time.min, tz)
            if data["until"]
            else None,
        }
    page = Paginator(selectors.auth_events_search(**criteria), AUTH_EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/staff/auth_events.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


urlpatterns = [
    path("", search, name="staff_accounts_search"),
    path("auth-events/", auth_events, name="staff_accounts_auth_events"),
    path("<int:pk>/", detail, name="staff_accounts_detail"),
    path("<int:pk>/identity-check/", identity_check, name="staff_accounts_identity_check"),
    path("<int:pk>/email/", email_change, name="staff_accounts_email_change"),
    path("<int:pk>/reset-link/", reset_link, name="staff_accounts_reset_link"),
    path("<int:pk>/second-step/", second_step_reset, name="staff_accounts_second_step_reset"),
    path("<int:pk>/unlock/", unlock, name="staff_accounts_unlock"),
]
