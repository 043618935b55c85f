"""Sign-in pages of our own, beside allauth's: help when sign-in fails (ログインできない場合), the
terms stage of the sign-in, and "sign out on all devices"."""

from allauth.account.stages import LoginStageController
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core.client_ip import client_ip
from kosodate.core.selectors import maintenance_active, maintenance_upcoming, municipality_get
from kosodate.core.site import local_next

from . import selectors, services
from .forms_signin import TermsAcceptForm
from .stages import TermsStage


@require_safe
@login_not_required
def signin_help(request):
    """ログインできない場合: the usual causes and what to do, with the lock's length, current and
    coming maintenance, and the counter's contact details."""
    rules = municipality_get()
    return render(
        request,
        "accounts/signin/help.html",
        {
            "rules": rules,
            "maintenance_now": maintenance_active(),
            "maintenance_upcoming": maintenance_upcoming(),
        },
    )


def _safe_next(request) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    return local_next(request, url, resolve_url(settings.LOGIN_REDIRECT_URL))


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def signin_terms(request):
    """Accept the current terms: a stage of the sign-in (after the second step), or, for someone
    already signed in when a new version came into effect, a page of its own."""
    stage = None
    if request.user.is_authenticated:
        user = request.user
    else:
        stage = LoginStageController.enter(request, TermsStage.key)
        if stage is None or stage.login.user is None:
            return redirect("account_login")
        user = stage.login.user

    terms = selectors.terms_needs_acceptance(user=user)
    if terms is None:
        return stage.exit() if stage else redirect(_safe_next(request))

    form = TermsAcceptForm(
        request.POST or None, initial={"terms_version": terms.pk}, prefix="terms"
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["terms_version"] == terms.pk:
            services.terms_accept(user=user, terms=terms, ip_address=client_ip(request))
            return stage.exit() if stage else redirect(_safe_next(request))
        # A newer version came into effect while the page was open: show that one instead.
        messages.warning(request, _("The terms have just been updated. Please read them again."))
        form = TermsAcceptForm(initial={"terms_version": terms.pk}, prefix="terms")
    return render(
        request,
        "accounts/signin/terms.html",
        {
            "terms": terms,
            "terms_title": terms.localized("title"),
            "terms_body": terms.localized("body"),
            "form": form,
            "in_sign_in": stage is not None,
            "next": _safe_next(request),
        },
    )


@require_POST
@login_required
def signin_logout_everywhere(request):
    """サインアウト (すべての端末): every session of this person ends, this one included."""
    services.user_sign_out_everywhere(request=request)
    messages.success(request, _("You have been signed out on all devices."))
    return redirect("account_login")


urlpatterns = [
    path("signin-help/", signin_help, name="signin_help"),
    path("accounts/terms/", signin_terms, name="signin_terms"),
    path("accounts/logout/everywhere/", signin_logout_everywhere, name="signin_logout_everywhere"),
]
