"""Password rules beyond Django's own (SECURITY.md, "Passwords"), listed in AUTH_PASSWORD_VALIDATORS
so registration, reset and change all apply them through `validate_password(password, user)`.

For a person who is still registering there is no saved user yet: pass an unsaved User with the
typed details set, and the children's details in `user.registration_children` (a list of dicts
with `birth_date`, `first_name`, `first_name_kana`).
"""

import re
from datetime import date
from difflib import SequenceMatcher

from django.contrib.auth.password_validation import (
    UserAttributeSimilarityValidator,
    exceeds_maximum_length_ratio,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kosodate.core.text import kana_to_romaji, nfkc, phone_national

MAX_PASSWORD_LENGTH = 128
_DATE_FORMATS = ("%Y%m%d", "%y%m%d", "%m%d%Y", "%d%m%Y", "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")


class MaximumLengthValidator:
    """At most 128 characters (SECURITY.md; ASVS 6.2.9): long enough for passphrases and password
    managers, short enough that hashing a pasted novel cannot tie up a server."""

    def __init__(self, max_length: int = MAX_PASSWORD_LENGTH):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max_length)d character.",
                    "This password is too long. It must contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self):
        return ngettext(
            "Your password can contain at most %(max_length)d character.",
            "Your password can contain at most %(max_length)d characters.",
            self.max_length,
        ) % {"max_length": self.max_length}


class LettersAndDigitsValidator:
    """Letters and digits both (symbols welcome) when the municipality asks for it: the seed's
    rule, on by default. A documented deviation from ASVS 6.2.5 (docs/security.md)."""

    def _required(self) -> bool:
        from kosodate.core.selectors import municipality_get

        return municipality_get().password_requires_letters_and_digits

    def validate(self, password, user=None):
        if not self._required():
            return
        has_letter = any(ch.isalpha() for ch in password)
        has_digit = any(ch.isdigit() for ch in password)
        if not (has_letter and has_digit):
            raise ValidationError(
                _("Your password must contain both letters and digits."),
                code="password_letters_and_digits",
            )

    def get_help_text(self):
        if not self._required():
            return ""
        return _("Your password must contain both letters and digits (symbols are welcome).")


def _date_tokens(value) -> list[str]:
    if not isinstance(value, date):
        return []
    return [value.strftime(fmt) for fmt in _DATE_FORMATS]


class PersonalInformationValidator(UserAttributeSimilarityValidator):
    """Not the person's own data (SECURITY.md; ASVS 6.2.11): name, フリガナ (also in rōmaji), email,
    phone, member number, and birth dates in the family. Rejects a password that is too similar
    to one of them (Django's rule) or that contains one of them."""

    DEFAULT_USER_ATTRIBUTES = (
        "username",
        "first_name",
        "last_name",
        "email",
        "first_name_kana",
        "last_name_kana",
    )

    def __init__(self, user_attributes=DEFAULT_USER_ATTRIBUTES, max_similarity=0.7):
        super().__init__(user_attributes=user_attributes, max_similarity=max_similarity)

    KIND_LABELS = {
        "name": _("your name"),
        "email": _("your email address"),
        "phone": _("your phone number"),
        "member_number": _("your member number"),
        "birth_date": _("a date of birth in your family"),
        "child_name": _("your child's name"),
    }

    def validate(self, password, user=None):
        if not user:
            return
        lowered = password.lower()
        normalized = nfkc(password).lower()
        for kind, token in self._tokens(user):
            contained = token in lowered or token in normalized
            similar = not exceeds_maximum_length_ratio(lowered, self.max_similarity, token) and (
                SequenceMatcher(a=lowered, b=token).quick_ratio() >= self.max_similarity
            )
            if contained or similar:
                raise ValidationError(
                    _("Your password must not contain %(what)s, or anything close to it."),
                    code="password_too_similar",
                    params={"what": self.KIND_LABELS[kind]},
                )

    def get_help_text(self):
        return _(
            "Your password must not contain your name, email address, phone number or a date of "
            "birth in your family."
        )

    # --- the person's data -------------------------------------------------------------------
    def _tokens(self, user) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []

        def add(kind: str, value, *, min_length: int) -> None:
            value = nfkc(str(value or "")).lower()
            if len(value) >= min_length and (kind, value) not in tokens:
                tokens.append((kind, value))

        for attr in ("last_name", "first_name"):
            add("name", getattr(user, attr, ""), min_length=2)
        for attr in ("last_name_kana", "first_name_kana"):
            kana = getattr(user, attr, "") or ""
            add("name", kana, min_length=2)
            add("name", kana_to_romaji(kana), min_length=3)
        email = getattr(user, "email", "") or ""
        if email:
            add("email", email, min_length=4)
            local = email.split("@")[0]
            add("email", local, min_length=4)
            for part in re.split(r"\W+|_", local):
                add("email", part, min_length=4)
        phone = getattr(user, "phone", None)
        if phone:
            try:
                national = phone_national(phone)
            except ValueError:
                national = ""
            add("phone", national, min_length=8)
            add("phone", national.lstrip("0"), min_length=8)
            add("phone", national[-8:], min_length=8)
        username = getattr(user, "username", "") or ""
        add("member_number", username, min_length=6)
        for token in _date_tokens(getattr(user, "birth_date", None)):
            add("birth_date", token, min_length=6)
        for child in self._children(user):
            for token in _date_tokens(child.get("birth_date")):
                add("birth_date", token, min_length=6)
            add("child_name", child.get("first_name"), min_length=2)
            kana = child.get("first_name_kana") or ""
            add("child_name", kana, min_length=2)
            add("child_name", kana_to_romaji(kana), min_length=3)
        return tokens

    @staticmethod
    def _children(user) -> list[dict]:
        pending = getattr(user, "registration_children", None)
        if pending is not None:
            return list(pending)
        household_id = getattr(user, "household_id", None)
        if not household_id:
            return []
        from .models import Child

        return list(
            Child.objects.filter(household_id=household_id).values(
                "birth_date", "first_name", "first_name_kana"
            )
        )
