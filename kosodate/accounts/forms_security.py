"""Forms of the security settings (second step, sessions) and of the SMS / email code step."""

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import AuthEvent, SecondStepPreference
from .normalize import PhoneField

METHOD_LABELS = dict(SecondStepPreference.Method.choices)


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
        value = unicodedata.normalize("NFKC", self.cleaned_data["code"])
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
    since = forms.DateField(
        label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until (date, inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_q(self) -> str:
        return unicodedata.normalize("NFKC", self.cleaned_data["q"]).strip()
