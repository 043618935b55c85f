"""Forms of the security settings (second step, sessions) and of the SMS / email code step."""

from allauth.mfa.base.forms import AuthenticateForm
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kosodate.core.dates import form_date_validate
from kosodate.core.text import PhoneField, nfkc

from .models import AuthEvent, SecondStepPreference

METHOD_LABELS = dict(SecondStepPreference.Method.choices)


def second_step_locked_message(lock) -> str:
    """What the second-step pages say while codes are refused (the person already proved the
    password, so the block can be named)."""
    return gettext(
        "After %(attempts)d wrong codes in a row, codes are not accepted until %(until)s "
        "(%(minutes)d minutes). We sent an email to the account's address. A passkey still "
        "works, and the counter can lift the block after checking your identity."
    ) % {
        "attempts": settings.SECOND_STEP_LOCKOUT_ATTEMPTS,
        "until": timezone.localtime(lock.second_step_locked_until).strftime("%H:%M"),
        "minutes": settings.SECOND_STEP_LOCKOUT_MINUTES,
    }


class SecondStepAuthenticateForm(AuthenticateForm):
    """allauth's app / recovery-code form at sign-in, refusing every code while the second step
    is blocked (wrong codes are counted by kosodate.accounts.mfa's signal receivers)."""

    def clean_code(self) -> str:
        from . import selectors, services

        lock = selectors.second_step_lock_active(user=self.user)
        if lock is not None:
            from allauth.core import context

            services.auth_event_record(
                kind=AuthEvent.Kind.MFA_FAILURE,
                user=self.user,
                request=context.request,
                method="code",
                while_locked=True,
            )
            raise forms.ValidationError(second_step_locked_message(lock), code="locked")
        return super().clean_code()


class SecondStepCodeForm(forms.Form):
    """The 6-digit code from an SMS or email (full-width digits, spaces and hyphens accepted)."""

    code = forms.CharField(
        label=_("Code (6 digits)"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "20"}
        ),
    )

    def clean_code(self) -> str:
        value = nfkc(self.cleaned_data["code"])
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) != 6:
            raise forms.ValidationError(
                _("The code has 6 digits. Please check what you typed."), code="length"
            )
        return digits


class MobileNumberForm(forms.Form):
    phone = PhoneField(
        label=_("Mobile number"),
        mobile_only=True,
        help_text=_("A mobile number starting with 070, 080 or 090. We send a code to check it."),
    )


class DefaultMethodForm(forms.Form):
    method = forms.ChoiceField(label=_("Ask first at sign-in"), widget=forms.RadioSelect)

    def __init__(self, *args, available: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(m, METHOD_LABELS[m]) for m in available]


class AuthEventSearchForm(forms.Form):
    q = forms.CharField(label=_("Member number, email or name"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[
            ("", pgettext_lazy("filter of the sign-in history", "All events")),
            *AuthEvent.Kind.choices,
        ],
    )
    # The range check keeps "until 9999-12-31" (plus a day) from overflowing.
    since = forms.DateField(
        label=_("From (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[form_date_validate],
    )
    until = forms.DateField(
        label=_("Until (date, inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[form_date_validate],
    )

    def clean_q(self) -> str:
        return nfkc(self.cleaned_data["q"])
