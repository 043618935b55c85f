import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Checkup, CheckupSession, HealthNotice, ScheduleRule, Vaccine


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class NfkcDateField(forms.DateField):
    """Accepts full-width digits and ／ typed on a Japanese keyboard (２０２６／０５／０１)."""

    input_formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
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
        value = unicodedata.normalize("NFKC", self.cleaned_data["postal_prefix"])
        value = value.replace("-", "").replace("−", "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("Use digits only, e.g. 100 or 1000001."))
        return value

    def clean_town(self):
        return unicodedata.normalize("NFKC", self.cleaned_data["town"]).strip()


class ScheduleRuleForm(forms.ModelForm):
    class Meta:
        model = ScheduleRule
        fields = [
            "label",
            "label_en",
            "earliest_age",
            "last_before",
            "rec_from",
            "rec_before",
            "min_interval",
            "interval_from_dose",
            "rec_interval_from",
            "rec_interval_before",
            "skip_when_late",
            "source",
        ]

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = unicodedata.normalize("NFKC", value).strip()
        return data


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
            data["reception"] = unicodedata.normalize("NFKC", data["reception"]).strip()
        return data
