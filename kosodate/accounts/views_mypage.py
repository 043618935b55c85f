"""/mypage/: マイページ, the resident's main menu, and "my registration info" — the guardian's
details and address, children, email, phone, data download and account deletion. Password
change is allauth's page (it asks for the current password; other sessions end).

Every object URL goes through an access-checked selector: another household's child is a 404."""

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.logout import logout
from allauth.account.views import EmailView
from allauth.core import ratelimit
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core import registry
from kosodate.core.access import resident_required
from kosodate.core.csv import csv_response
from kosodate.core.selectors import announcements_current, municipality_get

from . import selectors, services
from .forms_mypage import (
    AccountDeleteForm,
    AddEmailForm,
    ChildForm,
    GuardianDetailsForm,
    PhoneForm,
)
from .models import User

ANNOUNCEMENTS_ON_MYPAGE = 5
# Issue 4 (second step, sessions) names its page this; My Page links to it once it exists.
SECURITY_SETTINGS_URL_NAME = "mypage_security"


def _url_if_exists(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _email_state(user: User) -> dict:
    return selectors.email_state(user=user)


def _panels(request, municipality) -> dict:
    """My Page's panels, registered by the service apps (kosodate.core.registry.MyPagePanel) for
    the services this municipality offers: this module imports none of them."""
    bookings, own, links = [], [], []
    for panel in registry.mypage_panels(municipality):
        if panel.link_url_name:
            links.append({"label": panel.link_label, "url": reverse(panel.link_url_name)})
        if panel.upcoming is not None and panel.section == "bookings":
            continue  # its things are in the merged "upcoming" list
        data = panel.context(request)
        if data is None:
            continue
        entry = {"key": panel.key, "template": panel.template, "data": data}
        (bookings if panel.section == "bookings" else own).append(entry)
    # The next three things across every service, what needs action first (issue 12 item 10).
    upcoming, upcoming_total = registry.mypage_upcoming(request, municipality)
    return {
        "upcoming": upcoming,
        "upcoming_more": upcoming_total - len(upcoming),
        "bookings_panels": bookings,
        "bookings_shown": bool(upcoming) or any(entry["data"].get("items") for entry in bookings),
        "own_panels": own,
        "panel_links": links,
    }


@require_safe
@resident_required
def mypage(request):
    user = request.user
    municipality = municipality_get()
    return render(
        request,
        "accounts/mypage/index.html",
        {
            "children": selectors.household_children(user=user),
            "announcements": list(announcements_current()[:ANNOUNCEMENTS_ON_MYPAGE]),
            "details_confirmation_due": selectors.details_confirmation_due(user=user),
            "password_reminder_due": selectors.password_change_reminder_due(
                user=user, municipality=municipality
            ),
            "identity_pending": user.identity_status == User.IdentityStatus.PENDING,
            "identity_instructions": municipality.localized("identity_check_instructions"),
            "security_settings_url": _url_if_exists(SECURITY_SETTINGS_URL_NAME),
            **_panels(request, municipality),
            **_email_state(user),
        },
    )


@require_POST
@resident_required
def details_confirm(request):
    services.details_confirm(user=request.user)
    messages.success(request, _("Thank you. We noted that your details are up to date."))
    return redirect("mypage")


@require_safe
@resident_required
def details(request):
    user = request.user
    return render(
        request,
        "accounts/mypage/details.html",
        {
            "household": user.household,
            "children": selectors.household_children(user=user),
            "security_settings_url": _url_if_exists(SECURITY_SETTINGS_URL_NAME),
            **_email_state(user),
        },
    )


@require_http_methods(["GET", "POST"])
@resident_required
def details_edit(request):
    user = request.user
    household = user.household
    initial = {
        "last_name": user.last_name,
        "first_name": user.first_name,
        "last_name_kana": user.last_name_kana,
        "first_name_kana": user.first_name_kana,
        "birth_date": user.birth_date,
    }
    if household is not None:
        initial.update(
            postal_code=household.postal_code,
            prefecture=household.prefecture,
            city=household.city,
            town=household.town,
            street=household.street,
        )
    form = GuardianDetailsForm(
        request.POST or None,
        initial=initial,
        municipality=municipality_get(),
        has_residence_code=bool(household and household.residence_code),
    )
    if form.is_valid():
        services.guardian_details_update(user=user, request=request, **form.cleaned_data)
        messages.success(request, _("Your details were saved."))
        return redirect("mypage_details")
    return render(request, "accounts/mypage/details_edit.html", {"form": form})


_CHILD_FIELDS = services.CHILD_FIELDS


@require_http_methods(["GET", "POST"])
@resident_required
def child_add(request):
    if request.user.household_id is None:
        messages.error(request, _("Enter your address first; children belong to a household."))
        return redirect("mypage_details_edit")
    form = ChildForm(request.POST or None, guardian_birth_date=request.user.birth_date)
    if form.is_valid():
        child = services.child_create(user=request.user, request=request, **form.cleaned_data)
        messages.success(request, _("%(name)s was added.") % {"name": child.full_name})
        return redirect("mypage_details")
    return render(request, "accounts/mypage/child_form.html", {"form": form, "child": None})


@require_http_methods(["GET", "POST"])
@resident_required
def child_edit(request, pk):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    initial = {field: getattr(child, field) for field in _CHILD_FIELDS}
    form = ChildForm(
        request.POST or None, initial=initial, guardian_birth_date=request.user.birth_date
    )
    if form.is_valid():
        services.child_update(user=request.user, child=child, request=request, **form.cleaned_data)
        messages.success(request, _("The details of %(name)s were saved.") % {"name": child})
        return redirect("mypage_details")
    return render(request, "accounts/mypage/child_form.html", {"form": form, "child": child})


@require_http_methods(["GET", "POST"])
@resident_required
def child_remove(request, pk):
    child = selectors.child_get_for_guardian(user=request.user, pk=pk)
    if request.method == "POST":
        name = child.full_name
        services.child_delete(user=request.user, child=child, request=request)
        messages.success(request, _("%(name)s was removed.") % {"name": name})
        return redirect("mypage_details")
    return render(request, "accounts/mypage/child_remove.html", {"child": child})


@method_decorator(resident_required, name="dispatch")
@method_decorator(
    # Resending the link to the address being confirmed needs no password; adding a new address
    # or cancelling the change does (SECURITY.md: reauthentication before changing email).
    reauthentication_required(enabled=lambda request: "action_send" not in request.POST),
    name="dispatch",
)
class EmailChangeView(EmailView):
    """allauth's change-email flow (ACCOUNT_CHANGE_EMAIL): the new address gets a verification
    link and replaces the old one once verified; the old address is then told."""

    template_name = "accounts/mypage/email.html"
    success_url = reverse_lazy("mypage_email")

    def get_form_class(self):
        return AddEmailForm

    def get_context_data(self, **kwargs):
        ret = super().get_context_data(**kwargs)
        user = self.request.user
        current, new = selectors.email_addresses_current_and_new(user=user)
        ret.update(current_emailaddress=current, new_emailaddress=new)
        return ret


@require_http_methods(["GET", "POST"])
@resident_required
@reauthentication_required
def phone(request):
    form = PhoneForm(request.POST or None, initial={"phone": request.user.phone})
    if form.is_valid():
        if not ratelimit.consume(request, action="change_phone", user=request.user):
            form.add_error(
                None, _("Too many changes in a short time. Wait a minute and try again.")
            )
        else:
            services.user_phone_change(
                user=request.user, phone=form.cleaned_data["phone"], request=request
            )
            messages.success(request, _("Your phone number was saved."))
            return redirect("mypage_details")
    return render(request, "accounts/mypage/phone.html", {"form": form})


@require_safe
@resident_required
def data(request):
    return render(request, "accounts/mypage/data.html")


def _export_filename(user: User, extension: str) -> str:
    return f"kosodate-{user.member_number}-{timezone.localdate():%Y%m%d}.{extension}"


@require_safe
@resident_required
@reauthentication_required
@never_cache
def data_json(request):
    export = selectors.account_data_export(user=request.user)
    services.account_data_export_record(user=request.user, fmt="json", request=request)
    response = JsonResponse(export, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="{_export_filename(request.user, "json")}"'
    )
    return response


def _csv_rows(export: dict):
    """One row per value: section, item number (for lists), field, value. A spreadsheet opens
    it as is, whatever shape each section has."""
    yield ["section", "item", "field", "value"]
    for section, content in export.items():
        if isinstance(content, dict):
            for field, value in content.items():
                yield [section, "", field, value]
        elif isinstance(content, list):
            for number, item in enumerate(content, start=1):
                for field, value in item.items():
                    yield [section, number, field, value]
        elif content is not None:
            yield [section, "", "", content]


@require_safe
@resident_required
@reauthentication_required
@never_cache
def data_csv(request):
    export = selectors.account_data_export(user=request.user)
    services.account_data_export_record(user=request.user, fmt="csv", request=request)
    # Cells are neutralised (a child's allergies typed as "=HYPERLINK(...)" stay text).
    return csv_response(_export_filename(request.user, "csv"), _csv_rows(export))


@require_http_methods(["GET", "POST"])
@resident_required
def delete(request):
    user = request.user
    form = AccountDeleteForm(request.POST or None, user=user)
    if request.method == "POST":
        # Typing passwords here must not be a way round the sign-in limits.
        if not ratelimit.consume(request, action="reauthenticate", user=user):
            form.is_valid()
            form.add_error(None, _("Too many attempts. Wait a minute and try again."))
        elif form.is_valid():
            # Sign out first, so nothing later in this request refers to the deleted user.
            logout(request, show_message=False)
            services.account_delete(user=user, request=request)
            return redirect("mypage_deleted")
    household = user.household
    others = household.guardians.exclude(pk=user.pk).count() if household else 0
    return render(
        request,
        "accounts/mypage/delete.html",
        {
            "form": form,
            "other_guardians": others,
            "children": selectors.household_children(user=user),
        },
    )


@require_safe
def deleted(request):
    return render(request, "accounts/mypage/deleted.html")


urlpatterns = [
    path("", mypage, name="mypage"),
    path("details/", details, name="mypage_details"),
    path("details/edit/", details_edit, name="mypage_details_edit"),
    path("details/confirm/", details_confirm, name="mypage_details_confirm"),
    path("children/add/", child_add, name="mypage_child_add"),
    path("children/<int:pk>/edit/", child_edit, name="mypage_child_edit"),
    path("children/<int:pk>/remove/", child_remove, name="mypage_child_remove"),
    path("email/", EmailChangeView.as_view(), name="mypage_email"),
    path("phone/", phone, name="mypage_phone"),
    path("data/", data, name="mypage_data"),
    path("data/download.json", data_json, name="mypage_data_json"),
    path("data/download.csv", data_csv, name="mypage_data_csv"),
    path("delete/", delete, name="mypage_delete"),
    path("deleted/", deleted, name="mypage_deleted"),
]
