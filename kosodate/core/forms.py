"""Staff input for the core tables: announcements, maintenance windows, the municipality profile;
and the widgets and fields the apps' forms share.

The forms only parse and check; the views and the admin hand `cleaned_data` to services.py."""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .models import Announcement, MaintenanceWindow, Municipality
from .text import normalize_line, normalize_text

# <input type="datetime-local"> sends and expects this format (no seconds, no zone: the
# municipality's time zone, settings.TIME_ZONE, applies).
DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"

# The empty choice of every model-field select (django.db.models.fields.BLANK_CHOICE_LABEL) is
# untranslated in Django 6.1's own Japanese catalogue: ours supplies it, for our forms and the admin.
gettext_noop("- Select an option -")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL_FORMAT)


class FlatSelect(forms.Select):
    """A <select> whose options are written in Python, with the same markup as Django's
    templates (tests/core/test_flat_select.py compares the two): the template renderer includes
    one template per option, which for a list of 50 facilities was most of the availability
    page's rendering (issue 16). Without option groups; with them, Django's templates render."""

    @staticmethod
    def _attrs(attrs: dict) -> str:
        return "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _options, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        options = "".join(
            format_html(
                '\n  <option value="{}"{}>{}</option>\n',
                str(option["value"]),
                mark_safe(self._attrs(option["attrs"])),  # noqa: S308 (escaped by format_html)
                option["label"],
            )
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            mark_safe(self._attrs(widget["attrs"])),  # noqa: S308 (escaped by format_html)
            mark_safe(options),  # noqa: S308 (each option escaped by format_html)
        )


class _RowsChoiceIterator(ModelChoiceIterator):
    """The choices of a ChildrenField from its rows when it has them (no query), else Django's
    (from its queryset)."""

    def __iter__(self):
        rows = self.field.rows
        if rows is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in rows:
            yield self.choice(obj)

    def __len__(self):
        if self.field.rows is None:
            return super().__len__()
        return len(self.field.rows) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        if self.field.rows is None:
            return super().__bool__()
        return self.field.empty_label is not None or bool(self.field.rows)


class ChildrenField(forms.ModelMultipleChoiceField):
    """The household's children to choose from (events' applications, childcare's bookings and
    registrations). With `rows` (the household's children, already read by the app, e.g. from a
    prepared query), the posted ids are checked against them, the chosen children are given as a
    list in their order, and the choices shown again (a refused POST) are the rows: Django's
    field builds and runs a query of its own for each, on every POST of a rush, so with rows the
    queryset may be None. Without `rows`, Django's field as it is (its queryset)."""

    iterator = _RowsChoiceIterator
    rows: list | None = None

    def _check_values(self, value):
        if self.rows is None:
            return super()._check_values(value)
        # Django's own checks and messages, in its order.
        try:
            value = frozenset(value)
        except TypeError:
            raise forms.ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        for pk in value:
            self.validate_no_null_characters(pk)
            try:
                int(pk)
            except (ValueError, TypeError):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                ) from None
        chosen = {str(pk) for pk in value}
        available = {str(row.pk) for row in self.rows}
        for pk in value:
            if str(pk) not in available:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return [row for row in self.rows if str(row.pk) in chosen]


# --- Announcements ----------------------------------------------------------------------------
class AnnouncementForm(forms.ModelForm):
    """Validation shared by the back office and the Django admin."""

    class Meta:
        model = Announcement
        fields = ["title", "title_en", "body", "body_en", "importance", "starts_at", "ends_at"]
        help_texts = {
            "title_en": _("Optional. Without it, English readers see the Japanese title."),
            "body_en": _("Optional. Without it, English readers see the Japanese text."),
            "starts_at": _("The announcement appears on the top page from this time."),
            "ends_at": _("Leave empty to keep it on the top page until you unpublish it."),
            "importance": _("Important and urgent announcements are marked on the top page."),
        }

    def clean_title(self):
        return normalize_line(self.cleaned_data["title"])

    def clean_title_en(self):
        return normalize_line(self.cleaned_data["title_en"])

    def clean_body(self):
        return normalize_text(self.cleaned_data["body"])

    def clean_body_en(self):
        return normalize_text(self.cleaned_data["body_en"])

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            # A field error (rather than the model's constraint message) tells staff which box
            # to correct, and keeps the database constraint from being reported a second time.
            self.add_error(
                "ends_at",
                forms.ValidationError(
                    _("The end must be after the start (%(start)s)."),
                    code="ends_before_start",
                    params={"start": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")},
                ),
            )
        return cleaned


class AnnouncementStaffForm(AnnouncementForm):
    """The back office version: datetime-local inputs that work on phones without a script."""

    class Meta(AnnouncementForm.Meta):
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "body": forms.Textarea(attrs={"rows": 8}),
            "body_en": forms.Textarea(attrs={"rows": 8}),
        }


# --- Maintenance windows ----------------------------------------------------------------------
class MaintenanceWindowForm(forms.ModelForm):
    """Validation shared by the Django admin and the back office."""

    class Meta:
        model = MaintenanceWindow
        fields = ["starts_at", "ends_at", "announce_from", "message", "message_en"]
        labels = {
            "starts_at": _("Maintenance starts"),
            "ends_at": _("Maintenance ends"),
            "announce_from": _("Announce on the top page from"),
        }
        help_texts = {
            "starts_at": _(
                "From this time sign-in, registration and every change are refused with a "
                "maintenance page. Staff already signed in can still work."
            ),
            "ends_at": _("Service resumes automatically at this time."),
            "announce_from": _(
                "When the top page starts announcing the maintenance. Leave empty to announce "
                "it from now."
            ),
            "message": _("Shown on the maintenance page and the top page, e.g. the reason."),
            "message_en": _("Optional. Without it, English readers see the Japanese message."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["announce_from"].required = False

    def clean_message(self):
        return normalize_text(self.cleaned_data["message"])

    def clean_message_en(self):
        return normalize_text(self.cleaned_data["message_en"])

    def clean(self):
        cleaned = super().clean()
        now = timezone.now()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if not starts_at or not ends_at:
            return cleaned
        if ends_at <= starts_at:
            self.add_error(
                "ends_at", forms.ValidationError(_("The end must be after the start."), "order")
            )
        elif self.instance._state.adding and ends_at <= now:
            self.add_error(
                "ends_at",
                forms.ValidationError(_("The end must be in the future."), "ends_in_past"),
            )
        announce_from = cleaned.get("announce_from")
        if announce_from is None:
            cleaned["announce_from"] = min(now, starts_at)
        elif announce_from > starts_at:
            self.add_error(
                "announce_from",
                forms.ValidationError(
                    _("The announcement must start before the maintenance does."), "announce_late"
                ),
            )
        return cleaned


class MaintenanceWindowStaffForm(MaintenanceWindowForm):
    class Meta(MaintenanceWindowForm.Meta):
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "announce_from": DateTimeLocalInput(),
            "message": forms.Textarea(attrs={"rows": 4}),
            "message_en": forms.Textarea(attrs={"rows": 4}),
        }


# --- Municipality -----------------------------------------------------------------------------
class MunicipalityForm(forms.ModelForm):
    """The Django admin's form for the one municipality row, with help for each rule."""

    class Meta:
        model = Municipality
        fields = [
            f.name for f in Municipality._meta.concrete_fields if f.editable and not f.primary_key
        ]
        help_texts = {
            "name": _("As residents know it, e.g. こもれび市."),
            "system_name": _("The service's name in the page header."),
            "counter_name": _(
                "The counter (窓口) residents visit or call, named on every page's footer and "
                "in emails."
            ),
            "counter_phone": _("Shown as a link that calls the number on a phone."),
            "counter_hours": _("Opening days and hours, e.g. 平日 8:30〜17:15."),
            "childcare_enabled": _("Switching a service off hides it for residents and staff."),
            "lockout_threshold": _(
                "Consecutive failed sign-ins (3–10) before the account is locked."
            ),
            "lockout_minutes": _("How long a lock lasts (30–60 minutes)."),
            "password_requires_letters_and_digits": _(
                "A deviation from ASVS 6.2.5 asked for by the municipality; symbols stay allowed."
            ),
            "password_change_reminder_days": _(
                "Passwords are never forced to change; this only sends a reminder."
            ),
            "require_counter_identity_check": _(
                "New accounts can use services only after staff check identity at the counter."
            ),
            "allow_outside_residents": _(
                "Otherwise registration needs an address inside the municipality."
            ),
            "ask_residence_code": _(
                "Stored encrypted and shown masked. The 12-digit 個人番号 is never asked for."
            ),
            "email_second_step_enabled": _(
                "Email codes are weaker than an authenticator app or a passkey; switch off to "
                "require those or SMS."
            ),
            "trusted_browser_days": _(
                "0 asks for the second step at every sign-in; at most 30 days."
            ),
            "identity_check_instructions": _(
                "Shown to residents who need the counter check, e.g. which documents to bring."
            ),
        }

    def clean_name(self):
        return normalize_line(self.cleaned_data["name"])

    def clean_counter_phone(self):
        return normalize_line(self.cleaned_data["counter_phone"])
