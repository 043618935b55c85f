"""セキュリティ設定 (/mypage/security/): second-step methods, the default one, recovery codes,
my sessions and my sign-in history; and the SMS / email code page of the sign-in
(/signin/second-step/<kind>/). The authenticator app, passkeys and recovery codes are allauth.mfa's
pages (/accounts/2fa/…), linked from here. Changing a method asks for the password again first."""

import secrets

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.base import views as mfa_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core.selectors import municipality_get
from kosodate.core.text import phone_is_mobile

from . import selectors, services
from .forms_security import (
    DefaultMethodForm,
    MobileNumberForm,
    SecondStepAuthenticateForm,
    SecondStepCodeForm,
    second_step_locked_message,
)
from .middleware import session_used_strong_second_step
from .models import SecondStepCode

CODE_KINDS = ("sms", "email")
# The phone check in progress (set-up of SMS codes): its attempt value and number.
SESSION_PHONE_CHECK_KEY = "kosodate_phone_check"
HISTORY_LENGTH = 20


def _code_error_message(error: services.SecondStepCodeError) -> str:
    if error.reason == "wait":
        return _("A code was sent less than a minute ago. Please wait %(seconds)d seconds.") % {
            "seconds": error.retry_after
        }
    if error.reason == "no_phone":
        return _("There is no mobile number for SMS codes on this account.")
    return _("Too many codes were asked for. Please wait a few minutes and try again.")


# --- The security settings page ------------------------------------------------------------------


@require_safe
@login_required
def security(request):
    user = request.user
    summary = selectors.second_step_summary(user=user)
    return render(
        request,
        "accounts/security/index.html",
        {
            **summary,
            "default_form": DefaultMethodForm(
                available=summary["available"], initial={"method": summary["default"]}
            ),
            "staff_required": user.is_back_office
            and not selectors.user_has_strong_second_step(user=user),
            "staff_session_weak": user.is_back_office
            and not session_used_strong_second_step(request, user),
            "events": selectors.auth_events_recent(user=user, limit=HISTORY_LENGTH),
            "sessions_count": len(
                selectors.user_sessions_list(user=user, current_key=request.session.session_key)
            ),
        },
    )


@require_POST
@login_required
def default_method(request):
    available = selectors.second_step_methods_available(user=request.user)
    form = DefaultMethodForm(request.POST, available=available)
    if form.is_valid():
        services.second_step_default_set(user=request.user, method=form.cleaned_data["method"])
        messages.success(request, _("Your default method was saved."))
    return redirect("mypage_security")


@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required
def email_method(request):
    """Turn on email codes (to the verified address). Not for back-office accounts."""
    if not municipality_get().email_second_step_enabled or request.user.is_back_office:
        raise Http404
    if request.method == "POST":
        services.second_step_method_add(user=request.user, kind="email", request=request)
        messages.success(request, _("Email codes are on."))
        return redirect("mypage_security")
    return render(request, "accounts/security/email_method.html")


@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required
def sms_method(request):
    """Turn on SMS codes: the mobile number answers a code first. Not for back-office accounts."""
    user = request.user
    if user.is_back_office:
        raise Http404
    check = request.session.get(SESSION_PHONE_CHECK_KEY)
    phone_form = MobileNumberForm(
        initial={"phone": str(user.phone) if user.phone and phone_is_mobile(user.phone) else ""}
    )
    code_form = SecondStepCodeForm()
    if request.method == "POST" and "send" in request.POST:
        phone_form = MobileNumberForm(request.POST)
        if phone_form.is_valid():
            phone = phone_form.cleaned_data["phone"]
            if not check or check.get("phone") != phone:
                check = {"attempt": secrets.token_urlsafe(24), "phone": phone}
            try:
                services.second_step_code_send(
                    user=user,
                    kind="sms",
                    purpose=SecondStepCode.Purpose.VERIFY_PHONE,
                    attempt=check["attempt"],
                    phone=phone,
                    request=request,
                )
            except services.SecondStepCodeError as error:
                messages.error(request, _code_error_message(error))
            else:
                messages.success(request, _("We sent a code by SMS. It is valid for 5 minutes."))
            request.session[SESSION_PHONE_CHECK_KEY] = check
            return redirect("mypage_security_sms")
    elif request.method == "POST" and check:
        code_form = SecondStepCodeForm(request.POST)
        if code_form.is_valid():
            if services.second_step_code_verify(
                user=user,
                purpose=SecondStepCode.Purpose.VERIFY_PHONE,
                attempt=check["attempt"],
                code=code_form.cleaned_data["code"],
                request=request,
            ):
                request.session.pop(SESSION_PHONE_CHECK_KEY, None)
                services.second_step_method_add(
                    user=user, kind="sms", phone=check["phone"], request=request
                )
                messages.success(request, _("SMS codes are on."))
                return redirect("mypage_security")
            code_form.add_error(
                "code",
                _(
                    "This code is not correct or no longer valid (5 minutes, 5 tries). "
                    "Check the newest SMS or send a new code."
                ),
            )
    return render(
        request,
        "accounts/security/sms_method.html",
        {"phone_form": phone_form, "code_form": code_form, "check": check},
    )


@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required
def remove_method(request, kind):
    if kind not in CODE_KINDS:
        raise Http404
    method = selectors.second_step_method_get(user=request.user, kind=kind)
    if method is None:
        return redirect("mypage_security")
    if request.method == "POST":
        services.second_step_method_remove(user=request.user, kind=kind, request=request)
        messages.success(request, _("The method was turned off."))
        return redirect("mypage_security")
    return render(request, "accounts/security/remove_method.html", {"method": method})


# --- My sessions ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def sessions(request):
    user = request.user
    current_key = request.session.session_key or ""
    if request.method == "POST":
        if "end_others" in request.POST:
            ended = services.user_sessions_end(user=user, keep_session_key=current_key)
            messages.success(request, _("%(count)d other sessions were ended.") % {"count": ended})
            return redirect("mypage_security_sessions")
        try:
            pk = int(request.POST.get("session", ""))
        except ValueError:
            raise Http404 from None
        rows = selectors.user_sessions_list(user=user, current_key=current_key)
        row = next((r for r in rows if r["pk"] == pk), None)
        if row is None:
            raise Http404
        services.user_session_end(user=user, session_pk=pk, request=request)
        if row["is_current"]:
            return redirect("account_login")
        messages.success(request, _("The session was ended."))
        return redirect("mypage_security_sessions")
    return render(
        request,
        "accounts/security/sessions.html",
        {"sessions": selectors.user_sessions_list(user=user, current_key=current_key)},
    )


# --- The SMS / email code step of the sign-in --------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_stage_required(stage="mfa_authenticate", redirect_urlname="account_login")
def signin_code(request, kind):
    stage = request._login_stage
    user = stage.login.user
    available = selectors.second_step_methods_available(user=user)
    attempt = stage.state.get("attempt")
    if kind not in CODE_KINDS or kind not in available or not attempt:
        raise Http404
    form = SecondStepCodeForm()
    sent = selectors.second_step_code_sent(user=user, kind=kind, attempt=attempt)
    locked = selectors.second_step_lock_active(user=user)
    if request.method == "POST" and "code" in request.POST:
        form = SecondStepCodeForm(request.POST)
        if locked is not None:
            form.is_valid()
            form.add_error("code", second_step_locked_message(locked))
        elif form.is_valid():
            if services.second_step_code_verify(
                user=user,
                purpose=SecondStepCode.Purpose.SIGNIN,
                attempt=attempt,
                code=form.cleaned_data["code"],
                request=request,
            ):
                record_authentication(request, user, "mfa", type=kind)
                return stage.exit()
            locked = selectors.second_step_lock_active(user=user)
            form.add_error(
                "code",
                second_step_locked_message(locked)
                if locked is not None
                else _(
                    "This code is not correct or no longer valid (5 minutes, 5 tries). "
                    "Check the newest message or send a new code."
                ),
            )
    elif request.method == "POST" or not sent:
        # Arriving sends the first code; "send a new code" asks again (once a minute at most).
        try:
            services.second_step_code_send(
                user=user,
                kind=kind,
                purpose=SecondStepCode.Purpose.SIGNIN,
                attempt=attempt,
                request=request,
            )
        except services.SecondStepCodeError as error:
            messages.error(request, _code_error_message(error))
        else:
            sent = True
            if request.method == "POST":
                messages.success(request, _("We sent a new code."))
        if request.method == "POST":
            return redirect("signin_second_step_code", kind=kind)
    method = selectors.second_step_method_get(user=user, kind=kind)
    return render(
        request,
        "accounts/security/signin_code.html",
        {
            "form": form,
            "kind": kind,
            "sent": sent,
            "phone_end": str(method.phone)[-4:] if method and method.phone else "",
            "others": [m for m in available if m != kind],
            "app_or_passkey_url": reverse("mfa_authenticate")
            if {"totp", "webauthn"} & set(available)
            else "",
        },
    )


class AuthenticateView(mfa_views.AuthenticateView):
    """allauth's app / passkey / recovery-code page, with links to the person's SMS and email
    codes (the template is kosodate/accounts/templates/mfa/authenticate.html); codes are refused
    while the second step is blocked."""

    form_class = SecondStepAuthenticateForm

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        available = selectors.second_step_methods_available(user=self.stage.login.user)
        context.update(
            has_totp="totp" in available,
            has_passkey="webauthn" in available,
            code_methods=[m for m in available if m in CODE_KINDS],
        )
        return context


urlpatterns = [
    # Before allauth's URLs (config/urls.py), so this page answers at allauth's address and name.
    path("accounts/2fa/authenticate/", AuthenticateView.as_view(), name="mfa_authenticate"),
    path("mypage/security/", security, name="mypage_security"),
    path("mypage/security/default/", default_method, name="mypage_security_default"),
    path("mypage/security/email/", email_method, name="mypage_security_email"),
    path("mypage/security/sms/", sms_method, name="mypage_security_sms"),
    path("mypage/security/<str:kind>/remove/", remove_method, name="mypage_security_remove"),
    path("mypage/security/sessions/", sessions, name="mypage_security_sessions"),
    path("signin/second-step/<str:kind>/", signin_code, name="signin_second_step_code"),
]
