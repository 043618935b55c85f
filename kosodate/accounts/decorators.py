"""Access to resident services (issue 3 item 2): signed in, email address confirmed, and — where
the municipality requires it — identity checked at the counter. Otherwise a page says why and
what to do (status 403), instead of a bare refusal.

    @resident_services_required
    def reservation_list(request): ...

    class ReservationCreateView(ResidentServicesRequiredMixin, FormView): ...
"""

from functools import wraps

from allauth.account.models import EmailAddress
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from kosodate.core.selectors import municipality_get

from .models import User

EMAIL_UNVERIFIED = "email_unverified"
IDENTITY_PENDING = "identity_pending"


def resident_services_block_reason(user: User) -> str | None:
    """Why this signed-in person cannot use services yet, or None when they can."""
    # Read with the account itself when it is the request's user (accounts.backends.get_user).
    verified = getattr(user, "has_verified_email", None)
    if verified is None:
        verified = EmailAddress.objects.filter(user=user, verified=True).exists()
    if not verified:
        return EMAIL_UNVERIFIED
    if user.identity_status == User.IdentityStatus.PENDING:
        return IDENTITY_PENDING
    return None


def resident_services_refusal(request, reason: str):
    titles = {
        EMAIL_UNVERIFIED: _("Please confirm your email address first"),
        IDENTITY_PENDING: _("Waiting for your identity check at the counter"),
    }
    municipality = municipality_get()
    return render(
        request,
        "accounts/register/services_blocked.html",
        {
            "reason": reason,
            "title": titles[reason],
            "municipality": municipality,
            "identity_instructions": municipality.localized("identity_check_instructions"),
            "email": request.user.email,
        },
        status=403,
    )


def _check(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    reason = resident_services_block_reason(request.user)
    if reason is not None:
        return resident_services_refusal(request, reason)
    return None


def resident_services_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        refusal = _check(request)
        if refusal is not None:
            return refusal
        return view(request, *args, **kwargs)

    return wrapper


class ResidentServicesRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        refusal = _check(request)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)
