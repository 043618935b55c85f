"""Input for ファミサポ's pages: parsed and normalised (NFKC for typed text), never saved here."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kosodate.core.images import photo_clean
from kosodate.core.text import nfkc, normalize_text

from .models import District, Member, Session, Skill, SupportRequest

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class JoinForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Membership"), choices=Member.Kind.choices, widget=forms.RadioSelect
    )
    district = forms.ModelChoiceField(
        label=_("Your district"), queryset=District.objects.none(), empty_label=_("Choose")
    )
    session = forms.ModelChoiceField(
        label=_("Orientation (入会説明会)"),
        queryset=Session.objects.none(),
        empty_label=_("Choose"),
        widget=forms.RadioSelect,
    )
    display_name = forms.CharField(
        label=_("Name shown to families (supporters)"),
        max_length=30,
        required=False,
        help_text=_("For example your family name. Families never see your address or phone."),
    )

    def __init__(self, *args, sessions=(), districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["session"].queryset = Session.objects.filter(pk__in=[s.pk for s in sessions])
        self.fields["session"].label_from_instance = lambda s: (
            f"{s.starts_at:%Y-%m-%d %H:%M} {s.place}"
        )

    def clean_display_name(self):
        return nfkc(self.cleaned_data["display_name"])


class SessionChoiceForm(forms.Form):
    session = forms.ModelChoiceField(
        label=_("Session date"), queryset=Session.objects.none(), widget=forms.RadioSelect
    )

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(pk__in=[s.pk for s in sessions])


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Name shown to families"), max_length=30)
    about = forms.CharField(label=_("A word to families"), max_length=200, required=False)
    skills = forms.MultipleChoiceField(
        label=_("What I can do"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAY_CHOICES:
            self.fields[f"from_{day}"] = forms.TimeField(
                label=_("%(day)s from") % {"day": label}, required=False, widget=TimeInput
            )
            self.fields[f"until_{day}"] = forms.TimeField(
                label=_("%(day)s until") % {"day": label}, required=False, widget=TimeInput
            )

    def clean(self):
        data = super().clean()
        windows = []
        for day, _label in WEEKDAY_CHOICES:
            starts, ends = data.get(f"from_{day}"), data.get(f"until_{day}")
            if starts is None and ends is None:
                continue
            if starts is None or ends is None:
                self.add_error(f"until_{day}", _("Enter both times, or neither."))
            elif ends <= starts:
                self.add_error(f"until_{day}", _("The end must be after the start."))
            else:
                windows.append((day, starts, ends))
        data["availability"] = windows
        data["display_name"] = nfkc(data.get("display_name", ""))
        return data


class SearchForm(forms.Form):
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.none(),
        required=False,
        empty_label=_("All districts"),
    )
    skill = forms.ChoiceField(
        label=_("Can do"), required=False, choices=[("", _("Anything")), *Skill.choices]
    )

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts


class RequestForm(forms.Form):
    child = forms.TypedChoiceField(label=_("Child"), coerce=int)
    siblings = forms.IntegerField(
        label=_("Brothers and sisters also cared for"), min_value=0, max_value=4, initial=0
    )
    kind = forms.ChoiceField(label=_("Kind of help"), choices=SupportRequest.Kind.choices)
    first_date = forms.DateField(label=_("Date (the first one, when repeating)"), widget=DateInput)
    starts = forms.TimeField(label=_("From"), widget=TimeInput)
    ends = forms.TimeField(label=_("Until"), widget=TimeInput)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Repeat every (optional)"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    until = forms.DateField(label=_("Repeat until"), required=False, widget=DateInput)
    place = forms.CharField(label=_("Place of care or pick-up"), max_length=200)
    pickup = forms.CharField(
        label=_("Pick-up details (who hands over the child)"), max_length=200, required=False
    )
    notes = forms.CharField(
        label=_("Notes (allergies, health)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [(c.pk, c.full_name) for c in children]

    def clean(self):
        data = super().clean()
        # One line each (NFKC: full-width digits and letters as typed on a phone); the notes are
        # prose, where NFKC would change characters written on purpose (core.text).
        for field in ("place", "pickup"):
            if field in data:
                data[field] = nfkc(data[field])
        if "notes" in data:
            data["notes"] = normalize_text(data["notes"])
        return data


class SupporterPickForm(forms.Form):
    supporters = forms.TypedMultipleChoiceField(
        label=_("Ask these supporters"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose supporters from the list shown.")},
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supporters"].choices = [
            (p.pk, f"{p.display_name}（{p.member.district.name}）") for p in candidates
        ]


class ReportForm(forms.Form):
    actual_start = forms.TimeField(label=_("Actual start"), widget=TimeInput)
    actual_end = forms.TimeField(label=_("Actual end"), widget=TimeInput)
    done = forms.CharField(
        label=_("What was done"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    transport = forms.IntegerField(
        label=_("Transport costs (yen)"), min_value=0, max_value=20000, initial=0
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("actual_start"), data.get("actual_end")
        if starts and ends and ends <= starts:
            self.add_error("actual_end", _("The end must be after the start."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- The centre's forms ---------------------------------------------------------------------------
class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Session.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("Place"), max_length=100)
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500)


# A membership photo: a face for the card, never large.
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 800


class CardForm(forms.Form):
    card_number = forms.CharField(label=_("Membership card number"), max_length=20)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_card_number(self):
        return nfkc(self.cleaned_data["card_number"]).upper()

    def clean_photo(self):
        """Checked by its content and re-encoded (core.images, as consultations' photos)."""
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        return photo_clean(upload, max_bytes=PHOTO_MAX_BYTES, max_side=PHOTO_MAX_SIDE)


class ApproveForm(forms.Form):
    certificate_date = forms.DateField(label=_("Training certificate date"), widget=DateInput)


class InsuranceForm(forms.Form):
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), min_value=2000, max_value=2100)
    policy = forms.CharField(label=_("Policy"), max_length=50)


class ProposeForm(forms.Form):
    supporter = forms.IntegerField(widget=forms.HiddenInput)


class MeetingForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("Place"), max_length=100)


class ActivityChangeForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DateInput)
    starts = forms.TimeField(label=_("Starts at"), widget=TimeInput)
    ends = forms.TimeField(label=_("Ends at"), widget=TimeInput)
    place = forms.CharField(label=_("Place of care"), max_length=200)

    def clean_place(self):
        return nfkc(self.cleaned_data["place"])


class SupporterChangeForm(forms.Form):
    supporter = forms.TypedChoiceField(
        label=_("Another supporter"), coerce=int, choices=(), widget=forms.RadioSelect
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supporter"].choices = [
            (p.pk, f"{p.display_name} ({p.member.district.name})") for p in candidates
        ]


class SettleForm(forms.Form):
    fee = forms.IntegerField(label=_("Agreed fee (yen)"), min_value=0, max_value=200000)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
