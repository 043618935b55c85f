"""Input for temporary childcare: parse and normalise (NFKC) only; the rules are checked by
selectors_quote.booking_quote and the services."""

from datetime import date, datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosodate.core.dates import month_parse
from kosodate.core.forms import ChildrenField, DateTimeLocalInput, FlatSelect
from kosodate.core.idempotency import IdempotentForm
from kosodate.core.text import (
    NormalizedCharField,
    NormalizedDateField,
    NormalizedTextareaField,
)

from . import rules as R
from .models import AgeBand, CapacityMode, Facility, Reason
from .services_facility import RULE_FIELDS


class ChildChoiceField(ChildrenField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.full_name


def _time_choices(facility: Facility) -> list[tuple[str, str]]:
    return [
        (t.strftime("%H:%M"), t.strftime("%H:%M"))
        for t in R.time_slots(facility.opens_at, facility.closes_at)
    ]


class BookingForm(IdempotentForm):
    """One request: a day, times on the half hour, which children, why, and who picks up. Its
    idempotency key goes through the confirmation page: sent again, it answers with the first
    result."""

    date = NormalizedDateField(label=_("Date"))
    start = forms.ChoiceField(label=pgettext_lazy("start time", "From"))
    end = forms.ChoiceField(label=_("Until"))
    children = ChildChoiceField(queryset=None, label=_("Children"))
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices, widget=forms.RadioSelect)
    reason_detail = NormalizedCharField(
        label=_("Reason (details)"),
        required=False,
        max_length=200,
        help_text=_("For example, the name of the clinic or your working hours."),
    )
    pickup_person = NormalizedCharField(
        label=_("Who picks the child up"),
        max_length=100,
        help_text=_("Name and relationship, for example: 山田花子 (mother)."),
    )
    notes = NormalizedTextareaField(
        label=_("Notes for the carers"),
        required=False,
        max_length=1000,
        help_text=_("Allergies, health, anything the carers should know on the day."),
    )

    def __init__(self, *args, facility: Facility, children_qs, children_rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.fields["children"].queryset = children_qs
        # A POST checks the chosen children against the household's, read by the view.
        self.fields["children"].rows = children_rows
        choices = _time_choices(facility)
        self.fields["start"].choices = choices[:-1]
        self.fields["end"].choices = choices[1:]
        if not self.is_bound and children_qs.count() == 1:
            self.initial.setdefault("children", list(children_qs))

    @staticmethod
    def _time(value: str) -> time:
        return datetime.strptime(value, "%H:%M").time()

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            data["start"], data["end"] = self._time(data["start"]), self._time(data["end"])
            if data["end"] <= data["start"]:
                self.add_error("end", _("The end time must be after the start time."))
        when = data.get("date")
        if when and when < timezone.localdate():
            self.add_error("date", _("The date has passed. Choose a date from today on."))
        return data


class RegistrationForm(forms.Form):
    children = ChildChoiceField(queryset=None, label=_("Children to register"))
    preferred_date_1 = NormalizedDateField(label=_("Interview: first choice"), required=False)
    preferred_date_2 = NormalizedDateField(label=_("Interview: second choice"), required=False)
    preferred_date_3 = NormalizedDateField(label=_("Interview: third choice"), required=False)
    preferred_note = NormalizedCharField(
        label=_("Times that suit you"),
        required=False,
        max_length=200,
        help_text=_("For example: weekday mornings."),
    )

    def __init__(self, *args, facility: Facility, children_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.fields["children"].queryset = children_qs
        if not facility.requires_interview:
            for name in (
                "preferred_date_1",
                "preferred_date_2",
                "preferred_date_3",
                "preferred_note",
            ):
                del self.fields[name]
        else:
            self.fields["preferred_date_1"].required = True

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        for name in ("preferred_date_1", "preferred_date_2", "preferred_date_3"):
            value = data.get(name)
            if value and value <= today:
                self.add_error(name, _("Choose a date after today."))
        return data

    @property
    def preferred_dates(self) -> list[date]:
        return [
            self.cleaned_data[name]
            for name in ("preferred_date_1", "preferred_date_2", "preferred_date_3")
            if self.cleaned_data.get(name)
        ]


class AvailabilityForm(forms.Form):
    """The calendar's filters (GET): month, whose age, area, facility."""

    month = forms.CharField(required=False)
    child = forms.TypedChoiceField(label=_("Child"), required=False, coerce=int, empty_value=None)
    band = forms.ChoiceField(label=_("Age"), required=False, choices=AgeBand.choices)
    area = forms.ChoiceField(label=_("Area"), required=False, widget=FlatSelect)
    facility = forms.TypedChoiceField(
        label=_("Facility"), required=False, coerce=int, empty_value=None, widget=FlatSelect
    )

    def __init__(self, *args, children=(), areas=(), facilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [("", _("Choose by age instead"))] + [
            (c.pk, c.full_name) for c in children
        ]
        if not children:
            del self.fields["child"]
        self.fields["area"].choices = [("", _("All areas")), *list(areas)]
        self.fields["facility"].choices = [("", _("All facilities"))] + [
            (f.pk, f.display_name) for f in facilities
        ]

    def clean_month(self) -> date:
        # Malformed or far away (0001-01, 9999-12): this month, never an error page.
        return month_parse(self.cleaned_data.get("month")) or timezone.localdate().replace(day=1)


# --- Staff ------------------------------------------------------------------------------------
class DeclineForm(forms.Form):
    reason = NormalizedTextareaField(
        label=_("Reason (shown to the family)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InterviewForm(forms.Form):
    interview_at = forms.DateTimeField(
        label=_("Interview date and time"),
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class CapacityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = [
            "capacity_mode",
            "places_age0",
            "places_age1_2",
            "places_age3",
            "places_age4_5",
            "carers",
            "max_children",
        ]
        widgets = {"capacity_mode": forms.RadioSelect}
        help_texts = {
            "carers": _(
                "Children per carer: under 1 year 3, 1–2 years 6, 3 years 15, 4–5 years 25. "
                "At least 2 carers are needed to open."
            )
        }

    def clean_carers(self):
        carers = self.cleaned_data.get("carers") or 0
        if carers == 1:
            raise forms.ValidationError(_("At least 2 carers are needed (or 0: no care)."))
        return carers

    def clean(self):
        data = super().clean()
        if data.get("capacity_mode") == CapacityMode.CARERS and not data.get("carers"):
            self.add_error("carers", _("Give the number of carers on duty."))
        return data


class DayCapacityForm(forms.Form):
    date = NormalizedDateField(label=_("Date"))
    # The upper bound keeps 10^20 from reaching the database (a clear message instead).
    places_age0 = forms.IntegerField(
        label=_("places under 1 year"), min_value=0, max_value=999, required=False
    )
    places_age1_2 = forms.IntegerField(
        label=_("places 1–2 years"), min_value=0, max_value=999, required=False
    )
    places_age3 = forms.IntegerField(
        label=_("places 3 years"), min_value=0, max_value=999, required=False
    )
    places_age4_5 = forms.IntegerField(
        label=_("places 4–5 years"), min_value=0, max_value=999, required=False
    )
    carers = forms.IntegerField(
        label=_("carers on duty"), min_value=0, max_value=999, required=False
    )

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("The date has passed."))
        return value

    def clean_carers(self):
        carers = self.cleaned_data.get("carers")
        if carers == 1:
            raise forms.ValidationError(_("At least 2 carers are needed (or 0: no care)."))
        return carers


class ClosureForm(forms.Form):
    date = NormalizedDateField(label=_("Date"))
    reason = NormalizedCharField(
        label=_("Reason (shown to families)"),
        max_length=200,
        help_text=_("Bookings on that day are cancelled and each family is told this reason."),
    )


class RulesForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = list(RULE_FIELDS)
        widgets = {
            "cutoff_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "cancel_deadline_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "open_on_saturdays": forms.NullBooleanSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = R.municipality_rules()
        for name in R.FACILITY_OVERRIDES:
            value = getattr(defaults, name)
            shown = (
                value.strftime("%H:%M")
                if isinstance(value, time)
                else ("-" if value is None else value)
            )
            self.fields[name].help_text = _("Empty: the municipality's value (%(value)s).") % {
                "value": shown
            }

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The end must be after the start."))
        return data
