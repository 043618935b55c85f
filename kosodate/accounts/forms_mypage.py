"""My Page forms: the guardian's details and address, children, phone, account deletion.

Every text field is normalised with NFKC first (full-width letters and digits, half-width kana),
kana is stored as katakana, and bad input gets a message saying what to type instead."""

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from django import forms
from django.utils.translation import gettext_lazy as _

from kosodate.core.text import NormalizedEmailField, PhoneField

from .forms_register import AddressForm, GuardianForm
from .forms_register import ChildForm as RegisterChildForm


class GuardianDetailsForm(GuardianForm, AddressForm):
    """The registration's guardian and address steps in one form, with the same rules (names,
    kana, date of birth, postal code inside the municipality, 住民票コード if asked). Email and
    phone have their own pages (they ask for the password again)."""

    email = None
    phone = None
    field_order = [
        "last_name",
        "first_name",
        "last_name_kana",
        "first_name_kana",
        "birth_date",
        "postal_code",
        "prefecture",
        "city",
        "town",
        "street",
        "residence_code",
    ]

    def clean(self):
        cleaned = super().clean()
        # A town left as it was while the postal code changed belongs to the old address: take
        # the new postal code's (a town the guardian typed, 丁目 and all, wins).
        if self.address is not None:
            moved = cleaned.get("postal_code") != self.initial.get("postal_code")
            if moved and cleaned.get("town") == self.initial.get("town"):
                cleaned["town"] = self.address.town
        return cleaned


class ChildForm(RegisterChildForm):
    """A child, with the registration's rules (kana, a date of birth neither in the future, nor
    18 years back, nor before the guardian's)."""


class AddEmailForm(AllauthAddEmailForm):
    """allauth's form for the new address (its checks and its change-email flow), taking the
    address typed with full-width letters too."""

    email = NormalizedEmailField(
        label=_("New email address"),
        max_length=254,
        widget=forms.EmailInput({"autocomplete": "email"}),
    )


class PhoneForm(forms.Form):
    phone = PhoneField(
        label=_("Phone"),
        help_text=_("A mobile number (070, 080, 090) can also receive sign-in codes by SMS."),
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput({"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("This is not your current password."), code="wrong_password"
            )
        return password
