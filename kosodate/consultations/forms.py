"""Input parsing for consultations: questions, replies, closing, staff answers, booking."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from kosodate.core.images import photo_clean
from kosodate.core.text import nfc

from .models import MAX_PHOTOS, Consultation, Profession


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked by content and re-encoded (photos.photo_clean)."""

    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, *, max_bytes: int, **kwargs):
        self.max_bytes = max_bytes
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("Attach at most 3 photos."), code="too_many")
        cleaned, errors = [], []
        for upload in files:
            try:
                cleaned.append(photo_clean(upload, max_bytes=self.max_bytes))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned


def _text(value: str) -> str:
    return nfc(value)


class MessageFieldMixin:
    def clean_body(self):
        body = _text(self.cleaned_data.get("body"))
        if not body:
            raise ValidationError(_("Write your message."), code="empty")
        return body


class AskForm(MessageFieldMixin, forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )
    child = forms.ModelChoiceField(label=_("Which child is it about?"), queryset=None)
    body = forms.CharField(
        label=_("Your question"),
        max_length=4000,
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                # The emergency notice as the family types (progressive: without JavaScript it
                # is shown after sending, and the fixed notice above the form is always there).
                "hx-post": reverse_lazy("consultations:check_words"),
                "hx-trigger": "input changed delay:600ms",
                "hx-target": "#emergency-live",
                "hx-swap": "outerHTML",
            }
        ),
        help_text=_("Age, what happened and since when help the professional answer."),
        error_messages={"required": _("Write your question.")},
    )

    def __init__(self, *args, topics, children, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
        self.fields["topic"].label_from_instance = lambda t: t.display_name
        self.fields["child"].queryset = children
        self.fields["child"].label_from_instance = lambda c: c.full_name
        self.fields["photos"] = PhotosField(
            label=_("Photos (up to 3, optional)"),
            max_bytes=max_bytes,
            help_text=_("JPEG, PNG or WebP. Location data in the photo is removed."),
        )


class ReplyForm(MessageFieldMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write your message.")},
    )

    def __init__(self, *args, max_bytes: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if max_bytes is not None:
            self.fields["photos"] = PhotosField(
                label=_("Photos (up to 3, optional)"), max_bytes=max_bytes
            )


class CloseForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this consultation helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No")), ("", _("Rather not say"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class CheckWordsForm(forms.Form):
    body = forms.CharField(required=False, max_length=4000)


class AnswerForm(MessageFieldMixin, forms.Form):
    body = forms.CharField(
        label=_("Answer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Write your message.")},
    )


class ChatForm(MessageFieldMixin, forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your message.")},
    )


class NoteForm(MessageFieldMixin, forms.Form):
    body = forms.CharField(
        label=_("Private note (the family never sees it)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your message.")},
    )


class HandoverForm(forms.Form):
    to_profession = forms.ChoiceField(label=_("Hand over to"), choices=Profession.choices)
    note = forms.CharField(
        label=_("Note for the next professional"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a note for the next professional.")},
    )


class AssignForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        from kosodate.accounts.models import User

        self.fields["to_user"].queryset = User.objects.filter(pk__in=[u.pk for u in colleagues])
        self.fields["to_user"].label_from_instance = lambda u: u.full_name or u.username


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Consultation.Outcome.choices)


class BookForm(forms.Form):
    child = forms.ModelChoiceField(label=_("Which child is it about?"), queryset=None)
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=None)
    body = forms.CharField(
        label=_("What would you like to talk about? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, topics, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
        self.fields["topic"].label_from_instance = lambda t: t.display_name
        self.fields["child"].queryset = children
        self.fields["child"].label_from_instance = lambda c: c.full_name


class SlotPublishForm(forms.Form):
    profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label=_("First slot starts"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    count = forms.IntegerField(label=_("Number of slots"), min_value=1, max_value=36, initial=6)


class MonthForm(forms.Form):
    month = forms.DateField(input_formats=["%Y-%m"], required=False)
