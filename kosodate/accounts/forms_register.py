"""The registration wizard's forms: guardian, address, children, password, review (issue 3 item 1).

Every field normalises NFKC and says in the user's language why it refuses something
(normalize.py). The forms only check; the draft lives in the session (views_register.py) and
services.registration_complete() writes.
"""

from datetime import date

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from kosodate.core import ages
from kosodate.core.models import Municipality
from kosodate.core.text import (
    DateInput,
    KanaField,
    NameField,
    NormalizedCharField,
    NormalizedDateField,
    NormalizedEmailField,
    NormalizedTextareaField,
    PhoneField,
    PostalAddress,
    PostalCodeField,
    digits_only,
    municipality_code_matches,
    postal_code_lookup,
)

from .models import Child, User

GUARDIAN_MIN_AGE = 16
PERSON_MAX_AGE = 120
# Children up to the end of 児童 (under 18, 児童福祉法): older ones use no service here.
CHILD_MAX_AGE = 17
MAX_CHILDREN = 10
RESIDENCE_CODE_DIGITS = 11


def _today() -> date:
    return timezone.localdate()


class GuardianForm(forms.Form):
    last_name = NameField(
        label=_("Family name"), widget=forms.TextInput({"autocomplete": "family-name"})
    )
    first_name = NameField(
        label=_("Given name"), widget=forms.TextInput({"autocomplete": "given-name"})
    )
    last_name_kana = KanaField(
        label=_("Family name in kana"), help_text=_("Katakana or hiragana, e.g. ヤマダ")
    )
    first_name_kana = KanaField(
        label=_("Given name in kana"), help_text=_("Katakana or hiragana, e.g. ハナコ")
    )
    birth_date = NormalizedDateField(
        label=_("Your date of birth"),
        widget=DateInput({"autocomplete": "bday"}),
    )
    email = NormalizedEmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send a confirmation link to this address. It is also used to sign in."),
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    phone = PhoneField(
        label=_("Phone number"),
        help_text=_(
            "A mobile number (070, 080 or 090) can also receive sign-in codes by SMS. "
            "Full-width digits and hyphens are fine."
        ),
    )

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        today = _today()
        if value > today:
            raise ValidationError(_("A date of birth cannot be in the future."), code="future_date")
        age = ages.completed_years(value, today)
        if age < GUARDIAN_MIN_AGE:
            raise ValidationError(
                _("Guardians must be at least %(age)d years old to register.")
                % {"age": GUARDIAN_MIN_AGE},
                code="too_young",
            )
        if age > PERSON_MAX_AGE:
            raise ValidationError(_("Please check the year of birth."), code="too_old")
        return value


class UnechoedTextInput(forms.TextInput):
    """A text box that never sends its value back to the browser: a 住民票コード kept from earlier
    is shown masked beside it instead, and a refused one (a 個人番号) is not repeated."""

    def format_value(self, value):
        return None


class AddressForm(forms.Form):
    postal_code = PostalCodeField(
        label=_("Postal code"),
        help_text=_("7 digits, e.g. 100-0001. Press “Find address” to fill in the rest."),
    )
    prefecture = forms.CharField(
        label=_("Prefecture"),
        required=False,
        widget=forms.TextInput({"readonly": True, "autocomplete": "address-level1"}),
    )
    city = forms.CharField(
        label=_("City, ward, town or village"),
        required=False,
        widget=forms.TextInput({"readonly": True, "autocomplete": "address-level2"}),
    )
    town = NormalizedCharField(
        label=_("Town"),
        max_length=100,
        required=False,
        widget=forms.TextInput({"autocomplete": "address-level3"}),
    )
    street = NormalizedCharField(
        label=_("Block, number and building"),
        max_length=200,
        help_text=_("e.g. 1-2-3 こもれびハイツ 101"),
        widget=forms.TextInput({"autocomplete": "address-line2"}),
    )
    residence_code = forms.CharField(
        label=_("住民票コード (resident record code)"),
        required=False,
        max_length=30,
        help_text=_(
            "Optional. The 11-digit code on the notice sent by the municipality. It is stored "
            "encrypted and shown masked. Never enter your 12-digit My Number (個人番号)."
        ),
        widget=UnechoedTextInput({"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, municipality: Municipality, has_residence_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.address: PostalAddress | None = None
        if not municipality.ask_residence_code:
            del self.fields["residence_code"]
        elif has_residence_code:
            self.fields["residence_code"].help_text = _(
                "Already entered (shown masked on the review page). Leave empty to keep it, "
                "or type it again to change it."
            )

    def clean_residence_code(self):
        value = digits_only(self.cleaned_data.get("residence_code", ""))
        if not value:
            return ""
        if len(value) == 12 and value.isdigit():
            # 個人番号 may only be held by 個人番号利用事務 (DOMAIN.md): refused, never kept.
            raise ValidationError(
                _(
                    "This looks like a 12-digit My Number (個人番号), which we must not receive. "
                    "Enter the 11-digit 住民票コード instead, or leave it empty."
                ),
                code="my_number",
            )
        if len(value) != RESIDENCE_CODE_DIGITS or not value.isdigit():
            raise ValidationError(
                _("The 住民票コード has 11 digits."), code="invalid_residence_code"
            )
        return value

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("postal_code")
        if not code:
            return cleaned
        candidates = postal_code_lookup(code)
        if not candidates:
            self.add_error(
                "postal_code",
                ValidationError(
                    _("We could not find this postal code. Please check it."),
                    code="unknown_postal_code",
                ),
            )
            return cleaned
        address = address_for_municipality(candidates, self.municipality)
        if address is None:
            self.add_error(
                "postal_code",
                ValidationError(
                    _(
                        "This postal code is outside %(name)s. Only people living in %(name)s "
                        "can register. If you have just moved here, please contact the counter."
                    )
                    % {"name": self.municipality.display_name},
                    code="outside_municipality",
                ),
            )
            return cleaned
        self.address = address
        # The postal code decides prefecture and city (read-only on the page); the town is
        # Japan Post's unless the resident typed one (codes covering several towns have none).
        cleaned["prefecture"] = address.prefecture
        cleaned["city"] = address.city
        if not cleaned.get("town"):
            cleaned["town"] = address.town
        cleaned["municipality_code"] = address.municipality_code
        return cleaned


def address_for_municipality(
    candidates: list[PostalAddress], municipality: Municipality
) -> PostalAddress | None:
    """The first address of a postal code that lies in the municipality (or just the first when
    the municipality accepts people from elsewhere); None when it does not."""
    for address in candidates:
        if municipality_code_matches(address.municipality_code, municipality.code):
            return address
    if municipality.allow_outside_residents and candidates:
        return candidates[0]
    return None


class ChildForm(forms.Form):
    last_name = NameField(label=_("Family name"))
    first_name = NameField(label=_("Given name"))
    last_name_kana = KanaField(label=_("Family name in kana"))
    first_name_kana = KanaField(label=_("Given name in kana"))
    birth_date = NormalizedDateField(label=_("Date of birth"))
    sex = forms.ChoiceField(label=_("Sex"), choices=Child.Sex.choices, widget=forms.RadioSelect)
    allergies = NormalizedTextareaField(
        label=_("Allergies"),
        required=False,
        max_length=1000,
        help_text=_("Food or medicine allergies carers must know about. Leave empty if none."),
        widget=forms.Textarea({"rows": 2}),
    )
    notes = NormalizedTextareaField(
        label=_("Notes for carers"),
        required=False,
        max_length=1000,
        widget=forms.Textarea({"rows": 2}),
    )

    FIELDS = ("last_name", "first_name", "last_name_kana", "first_name_kana", "birth_date", "sex",
              "allergies", "notes")  # fmt: skip

    def __init__(self, *args, guardian_birth_date: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.guardian_birth_date = guardian_birth_date

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        today = _today()
        if value > today:
            raise ValidationError(_("A date of birth cannot be in the future."), code="future_date")
        if ages.completed_years(value, today) > CHILD_MAX_AGE:
            raise ValidationError(
                _("Children can be registered until they turn %(age)d.")
                % {"age": CHILD_MAX_AGE + 1},
                code="too_old",
            )
        if self.guardian_birth_date and value <= self.guardian_birth_date:
            raise ValidationError(
                _("A child's date of birth must be after yours. Please check both dates."),
                code="before_guardian",
            )
        return value


class BaseChildFormSet(forms.BaseFormSet):
    def __init__(self, *args, guardian_birth_date=None, **kwargs):
        self.guardian_birth_date = guardian_birth_date
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "guardian_birth_date": self.guardian_birth_date}

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            key = (form.cleaned_data.get("first_name"), form.cleaned_data.get("birth_date"))
            if key in seen:
                raise ValidationError(
                    _("The same child is listed twice. Remove one of the rows."),
                    code="duplicate_child",
                )
            seen.add(key)


ChildFormSet = forms.formset_factory(
    ChildForm,
    formset=BaseChildFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_CHILDREN,
    validate_max=True,
    absolute_max=MAX_CHILDREN,
)
CHILDREN_PREFIX = "children"


def children_formset_data(rows: list[dict]) -> dict:
    """Formset POST data from the draft's list of rows."""
    data = {
        f"{CHILDREN_PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{CHILDREN_PREFIX}-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(rows):
        for field in ChildForm.FIELDS:
            data[f"{CHILDREN_PREFIX}-{index}-{field}"] = row.get(field, "")
    return data


def children_rows_from_post(post) -> list[dict]:
    """The rows as typed (never more than MAX_CHILDREN), for the draft."""
    try:
        total = int(post.get(f"{CHILDREN_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        total = 0
    rows = []
    for index in range(max(0, min(total, MAX_CHILDREN))):
        rows.append(
            {
                field: str(post.get(f"{CHILDREN_PREFIX}-{index}-{field}", ""))[:2000]
                for field in ChildForm.FIELDS
            }
        )
    return rows


def password_rules_html() -> str:
    """The password rules in force, as a list (from AUTH_PASSWORD_VALIDATORS, so they always
    match what is checked)."""
    items = "".join(
        format_html("<li>{}</li>", text)
        for text in password_validation.password_validators_help_texts()
        if text
    )
    return format_html('<ul class="password-rules">{}</ul>', mark_safe(items))  # noqa: S308


class PasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        help_text=_("Type the same password again, to be sure it is what you meant."),
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    def __init__(self, *args, pending_user: User, has_password=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending_user = pending_user
        self.has_password = has_password
        # The rules beside the field (SECURITY.md), linked to it as its description.
        self.fields["password1"].help_text = password_rules_html()
        if has_password:
            # A password was set earlier in this registration: leaving both empty keeps it.
            self.fields["password1"].required = False
            self.fields["password2"].required = False

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if not password1 and not password2 and self.has_password:
            cleaned["password_hash"] = None
            return cleaned
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2",
                ValidationError(_("The two passwords are not the same."), code="mismatch"),
            )
            return cleaned
        if password1:
            try:
                password_validation.validate_password(password1, self.pending_user)
            except ValidationError as error:
                self.add_error("password1", error)
                return cleaned
            if not password2:
                self.add_error(
                    "password2",
                    ValidationError(_("Type the password again."), code="required"),
                )
                return cleaned
            cleaned["password_hash"] = make_password(password1)
        return cleaned


class ReviewForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I have read and agree to the terms of use and the privacy policy."),
        error_messages={
            "required": _("To register, please agree to the terms of use and privacy policy.")
        },
    )
