from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from kosodate.core.dates import form_date_validate
from kosodate.core.text import nfkc

from .models import Checkup, CheckupSession, HealthNotice, ScheduleRule, Vaccine


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class NfkcDateField(forms.DateField):
    """Accepts full-width digits and ／ typed on a Japanese keyboard (２０２６／０５／０１)."""

    input_formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
    default_validators = [form_date_validate]

    def to_python(self, value):
        if isinstance(value, str):
            value = nfkc(value)
        return super().to_python(value)


class DoseForm(forms.Form):
    vaccine = forms.ModelChoiceField(
        label=_("Vaccine"), queryset=Vaccine.objects.all(), to_field_name="code"
    )
    given_on = NfkcDateField(
        label=_("Date given"),
        widget=DateInput(),
        help_text=_("As written in the Maternal and Child Health Handbook."),
    )
    confirm = forms.BooleanField(
        label=_("The date is right (record it even though it is unusual)"), required=False
    )

    def __init__(self, *args, show_confirm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vaccine"].label_from_instance = lambda v: v.localized_name
        if not show_confirm:
            self.fields["confirm"].widget = forms.HiddenInput()


class HepbHbigForm(forms.Form):
    hepb_with_hbig = forms.BooleanField(
        label=_(
            "This child is given the hepatitis B vaccine together with HBIG to prevent "
            "mother-to-child infection"
        ),
        required=False,
        help_text=_(
            "Your doctor or maternity clinic tells you if this applies (the mother carries the "
            "hepatitis B virus). Those doses are covered by health insurance, so the routine "
            "(free) hepatitis B immunisation does not apply."
        ),
    )


class PreferencesForm(forms.Form):
    email = forms.BooleanField(label=_("Email"), required=False)
    sms_urgent = forms.BooleanField(
        label=_("SMS, for urgent messages only"),
        required=False,
        help_text=_("To the mobile number on your account."),
    )
    situations = forms.MultipleChoiceField(
        label=_("Tell us about your family (optional)"),
        choices=HealthNotice.Situation.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Only used to show you notices that may help. You can change it any time."),
    )


class NoticeForm(forms.ModelForm):
    class Meta:
        model = HealthNotice
        fields = [
            "title",
            "title_en",
            "body",
            "body_en",
            "age_from_months",
            "age_to_months",
            "postal_prefix",
            "town",
            "situation",
            "published",
            "ends_at",
        ]
        widgets = {"ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def clean_postal_prefix(self):
        value = nfkc(self.cleaned_data["postal_prefix"])
        value = value.replace("-", "").replace("−", "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("Use digits only, e.g. 100 or 1000001."))
        return value

    def clean_town(self):
        return nfkc(self.cleaned_data["town"])


class ScheduleRuleForm(forms.ModelForm):
    class Meta:
        model = ScheduleRule
        fields = [
            "label",
            "label_en",
            "earliest_age",
            "last_until",
            "advised_until",
            "rec_from",
            "rec_until",
            "min_interval",
            "interval_from_dose",
            "rec_interval_from",
            "rec_interval_until",
            "skip_when_late",
            "skip_after_previous",
            "source",
        ]

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = nfkc(value)
        return data


class RuleExampleForm(forms.Form):
    """The example child whose dates the schedule row's correction page shows."""

    DEFAULT_BORN = date(2025, 12, 31)
    DEFAULT_PREVIOUS = date(2026, 2, 28)

    born = NfkcDateField(label=_("Example child born on"), widget=DateInput())
    previous = NfkcDateField(label=_("Previous dose given on"), widget=DateInput())


class CheckupSessionForm(forms.ModelForm):
    """A date of a group checkup at the health centre, for the children born in a range."""

    held_on = NfkcDateField(label=_("Date"), widget=DateInput())
    born_from = NfkcDateField(label=_("For children born from"), widget=DateInput())
    born_until = NfkcDateField(label=_("For children born until"), widget=DateInput())

    class Meta:
        model = CheckupSession
        fields = ["checkup", "held_on", "reception", "born_from", "born_until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checkup"].queryset = Checkup.objects.filter(method=Checkup.Method.GROUP)
        self.fields["reception"].help_text = _("For example 13:00–14:00.")

    def clean(self):
        data = super().clean()
        born_from, born_until = data.get("born_from"), data.get("born_until")
        if born_from and born_until and born_until < born_from:
            self.add_error("born_until", _("This date must not be before the first birth date."))
        if isinstance(data.get("reception"), str):
            data["reception"] = nfkc(data["reception"])
        return data
