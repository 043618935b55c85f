"""core.forms.FlatSelect writes exactly what Django's select templates write."""

from django import forms

from kosodate.core.forms import FlatSelect


class _Form(forms.Form):
    def __init__(self, *args, widget, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "All facilities"), (1, 'ひだまり <保育園> & "園"'), (2, "Two"), ("x", "X")]
        self.fields["place"] = forms.ChoiceField(
            label="Facility", required=False, choices=choices, widget=widget
        )
        self.fields["needed"] = forms.ChoiceField(choices=choices, widget=widget)


def _html(widget, data=None, field="place") -> str:
    return str(_Form(data, widget=widget)[field])


def test_the_markup_is_django_s_own():
    for data in (None, {"place": "2"}, {"place": "1", "needed": "x"}, {"place": "nope"}):
        for field in ("place", "needed"):
            assert _html(FlatSelect, data, field) == _html(forms.Select, data, field)
    assert "&lt;保育園&gt; &amp;" in _html(FlatSelect)
    assert '<option value="2" selected>' in _html(FlatSelect, {"place": "2"})


def test_attributes_and_groups_as_django_writes_them():
    attrs = {"class": "wide", "data-x": 'a"b', "disabled": True, "hidden": False}
    assert FlatSelect(attrs=attrs).render("f", "1", {"id": "id_f"}) == forms.Select(
        attrs=attrs
    ).render("f", "1", {"id": "id_f"})
    grouped = [("North", [(1, "One")]), ("South", [(2, "Two")])]
    assert FlatSelect(choices=grouped).render("f", "2") == forms.Select(choices=grouped).render(
        "f", "2"
    )
