"""Counter forms (municipal staff): finding a resident, recording an identity check, changing a
resident's email during recovery. Input is normalised with NFKC (full-width digits and letters,
half-width kana) before it is checked."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kosodate.core.text import NormalizedDateField, NormalizedEmailField, PhoneField, nfkc

from .models import IdentityCheck
from .services import identity_note_has_card_number


class ResidentSearchForm(forms.Form):
    name = forms.CharField(
        label=_("Name or フリガナ"),
        required=False,
        max_length=100,
        help_text=_("The guardian's or a child's, in kanji, katakana or hiragana; part is enough."),
    )
    birth_date = NormalizedDateField(
        label=_("Date of birth"),
        required=False,
        help_text=_("The guardian's or a child's."),
    )
    phone = PhoneField(label=_("Phone"), required=False)
    email = NormalizedEmailField(label=_("Email address"), required=False, max_length=254)
    member_number = forms.CharField(
        label=_("Member number (利用者番号)"), required=False, max_length=20
    )

    def clean_name(self):
        return nfkc(self.cleaned_data["name"])

    def clean_member_number(self):
        return "".join(nfkc(self.cleaned_data["member_number"]).split()).replace("-", "")

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(cleaned.get(f) for f in self.fields):
            raise forms.ValidationError(
                _("Enter at least one thing to search for."), code="empty_search"
            )
        return cleaned

    @property
    def criteria(self) -> dict:
        return {f: v for f, v in self.cleaned_data.items() if v}


class IdentityCheckForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Document shown"),
        choices=IdentityCheck.Method.choices,
        widget=forms.RadioSelect,
    )
    method_note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        help_text=_(
            "Which document, if “Other”. Never write a card's number (個人番号, licence or "
            "insurance number)."
        ),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=IdentityCheck.Purpose.choices,
        widget=forms.RadioSelect,
    )

    def clean_method_note(self):
        note = nfkc(self.cleaned_data["method_note"])
        if identity_note_has_card_number(note):
            raise forms.ValidationError(
                _(
                    "This looks like a card or ID number. Do not record numbers: write only "
                    "which document was shown."
                ),
                code="card_number",
            )
        return note

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == IdentityCheck.Method.OTHER and not cleaned.get("method_note"):
            self.add_error("method_note", _("Say which document was shown."))
        return cleaned


class CounterEmailForm(forms.Form):
    email = NormalizedEmailField(
        label=_("New email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "The resident must open the link we send to this address; until then the old "
            "address stays in use."
        ),
    )
