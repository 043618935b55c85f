"""Forms of sign-in, password reset and the terms stage (allauth's, adjusted).

Identifiers are normalised (NFKC: full-width letters, digits and ＠ typed with the Japanese input
mode on become ordinary ones); passwords never are: they are compared exactly as typed.
"""

import re

from allauth.account.adapter import get_adapter
from allauth.account.forms import (
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    ResetPasswordKeyForm,
)
from allauth.core import context as allauth_context
from django import forms
from django.conf import settings
from django.core import validators
from django.utils.translation import gettext_lazy as _

from kosodate.core.text import NormalizedEmailField, nfkc

from . import services
from .validators import MAX_PASSWORD_LENGTH

# Hyphens and spaces people put inside a member number when copying it from paper.
_MEMBER_NUMBER_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー]")

SESSION_REMEMBER_KEY = "kosodate_remember_me"


def identifier_normalize(value: str) -> str:
    """NFKC, trimmed; a member number loses the spaces and hyphens typed inside it."""
    value = nfkc(value)
    if "@" not in value:
        compact = _MEMBER_NUMBER_SEPARATORS.sub("", value)
        if compact.isdigit():
            return compact
    return value


class SignInForm(LoginForm):
    """Email address or 利用者番号 + password, and "remember me" (off unless ticked)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Email address or member number")
        login.help_text = _(
            "The member number (利用者番号) is the 9-digit number in your registration email "
            "and on My Page."
        )
        login.max_length = 254
        # Set after the field was built, max_length alone checks nothing: without the validator a
        # 100,000-character login reached the database (SQLite: "LIKE pattern too complex").
        login.validators.append(validators.MaxLengthValidator(254))
        login.widget = forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "maxlength": "254",
            }
        )
        password = self.fields["password"]
        password.label = _("Password")
        # The "forgot your password" link sits under the field in the template, not in help text.
        password.help_text = ""
        password.widget.attrs.pop("placeholder", None)
        if "remember" in self.fields:
            remember = self.fields["remember"]
            remember.label = _("Keep me signed in on this device for 14 days")
            remember.help_text = _("Do not tick this on a shared or public computer.")

    def clean_login(self) -> str:
        return identifier_normalize(self.cleaned_data["login"])

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if len(password) > MAX_PASSWORD_LENGTH:
            # No password that long can exist; say so rather than count a failure.
            raise forms.ValidationError(
                _("Passwords have at most %(max)d characters. Please check what you typed.")
                % {"max": MAX_PASSWORD_LENGTH},
                code="password_too_long",
            )
        return password

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url=redirect_url)
        # allauth sets the remembered lifetime to SESSION_COOKIE_AGE (12 h): "remember me" here
        # means 14 days on this browser; otherwise the cookie ends when the browser closes.
        if self.cleaned_data.get("remember"):
            request.session.set_expiry(settings.SESSION_REMEMBER_SECONDS)
            request.session[SESSION_REMEMBER_KEY] = True
        else:
            request.session.set_expiry(0)
            request.session.pop(SESSION_REMEMBER_KEY, None)
        return response


class PasswordResetRequestForm(ResetPasswordForm):
    """パスワードを忘れた方: the same answer whether or not the address is known."""

    email = NormalizedEmailField(required=True, label=_("Email address"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["email"].help_text = _("The address you registered with.")

    def save(self, request, **kwargs) -> str:
        email = self.cleaned_data["email"]
        if not services.password_reset_email_allowed(request=request, email=email):
            # Same page as always (no 429 and no hint whether the address has an account): the
            # links already sent keep working, and the page says so.
            return email
        return super().save(request, **kwargs)


class PasswordResetKeyForm(ResetPasswordKeyForm):
    """The new password, twice, under the same rules as at registration."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("New password")
        self.fields["password2"].label = _("New password (again)")
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)

    def save(self) -> None:
        request = allauth_context.request
        services.user_password_set(
            user=self.user,
            password=self.cleaned_data["password1"],
            request=request,
            via_reset=True,
        )
        get_adapter(request).login_failed_ratelimit_clear(request, user=self.user)


class PasswordChangeForm(ChangePasswordForm):
    """allauth's change form (current password, new password twice), refusing the current
    password as the new one: a "change" that changes nothing would still end every other
    session and tell the owner their password changed (issue 10 item 11)."""

    def clean(self):
        cleaned_data = super().clean()
        old, new = cleaned_data.get("oldpassword"), cleaned_data.get("password1")
        if old and new and old == new:
            self.add_error(
                "password1",
                forms.ValidationError(
                    _("The new password is the same as the current one. Choose a different one."),
                    code="password_unchanged",
                ),
            )
        return cleaned_data


class TermsAcceptForm(forms.Form):
    terms_version = forms.IntegerField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        label=_("I have read and accept the terms of use and the privacy policy"),
        error_messages={
            "required": _(
                "To continue, tick the box to accept the terms. If you do not accept them, "
                "choose “Do not accept and sign out”."
            )
        },
    )
