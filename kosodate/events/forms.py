"""Input for events: the residents' filters and application form, the staff's event form. Forms
only parse, normalise (NFKC) and check; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kosodate.core.dates import form_date_validate
from kosodate.core.forms import ChildrenField, DateTimeLocalInput
from kosodate.core.idempotency import IdempotentForm
from kosodate.core.text import normalize_line, normalize_text

from .models import Event
from .services_staff import EVENT_EDITABLE_FIELDS


class EventFilterForm(forms.Form):
    FOR_MINE, FOR_ALL = "mine", "all"

    for_whom = forms.ChoiceField(
        label=_("Show"),
        choices=[(FOR_MINE, _("Events for my children's ages")), (FOR_ALL, _("All events"))],
        required=False,
        widget=forms.RadioSelect,
    )
    from_date = forms.DateField(
        label=pgettext_lazy("earliest event date", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[form_date_validate],
    )
    place = forms.ChoiceField(label=_("Place"), required=False)
    free_only = forms.BooleanField(label=_("Only with places left"), required=False)

    def __init__(self, *args, places: list[str], signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("Anywhere")), *((p, p) for p in places)]
        if not signed_in:
            del self.fields["for_whom"]


class AdultsField(forms.IntegerField):
    """Digits typed on a Japanese keyboard (２) count too."""

    def to_python(self, value):
        if isinstance(value, str):
            value = normalize_line(value)
        return super().to_python(value)


class ApplicationForm(IdempotentForm):
    """Applied once: sent again (a retry after an error page) it answers with the first result."""

    children = ChildrenField(
        label=_("Children who will come"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    adults = AdultsField(
        label=_("Adults who will come"),
        min_value=0,
        max_value=20,
        initial=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 3}),
    )

    def __init__(self, *args, children_queryset, children_rows: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = children_queryset
        self.fields["children"].rows = children_rows
        self.fields["children"].label_from_instance = lambda child: child.full_name


class EventStaffForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = list(EVENT_EDITABLE_FIELDS)  # what staff may change is the services' to say
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "applications_open_at": DateTimeLocalInput(),
            "applications_close_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 5}),
            "description_en": forms.Textarea(attrs={"rows": 5}),
            "bring": forms.Textarea(attrs={"rows": 2}),
            "bring_en": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "title_en": _("Optional. Without it, English readers see the Japanese title."),
            "min_age_months": _(
                "Leave the ages and school years empty for an event open to every age. A child "
                "must fit both when both are set."
            ),
            "mode": _(
                "Lottery: applications are collected until the window closes, then drawn "
                "automatically."
            ),
        }

    def __init__(self, *args, organiser_editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not organiser_editable:
            # A centre's staff run their centre's events; whose event it is stays the
            # municipality's to say (they could otherwise give it away or take it over).
            del self.fields["organiser"]
        else:
            self.fields["organiser"].empty_label = _("None (an event of the municipality)")

    def _line(self, name):
        return normalize_line(self.cleaned_data.get(name) or "")

    def clean_title(self):
        return self._line("title")

    def clean_title_en(self):
        return self._line("title_en")

    def clean_place(self):
        return self._line("place")

    def clean_place_en(self):
        return self._line("place_en")

    def clean_description(self):
        return normalize_text(self.cleaned_data["description"])

    def clean_description_en(self):
        return normalize_text(self.cleaned_data["description_en"])

    def clean_bring(self):
        return normalize_text(self.cleaned_data["bring"])

    def clean_bring_en(self):
        return normalize_text(self.cleaned_data["bring_en"])

    def _post_clean(self):
        # The service checks the times and ages (one rule for every caller); the model's
        # constraints would report the same problems a second time, without saying which box.
        pass


class EventCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to every applicant)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )

    def clean_reason(self):
        return normalize_text(self.cleaned_data["reason"])


class ParticipantsMessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))

    def clean_subject(self):
        return normalize_line(self.cleaned_data["subject"])

    def clean_body(self):
        return normalize_text(self.cleaned_data["body"])
