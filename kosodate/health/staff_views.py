"""Back-office pages: notices for families (targeted by age, area, situation), the
immunisation schedule rows (each corrected here, keeping its source) and the dates of the group
checkups."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kosodate.core.access import municipal_staff_required

from . import selectors, services
from .forms import CheckupSessionForm, NoticeForm, RuleExampleForm, ScheduleRuleForm
from .models import ScheduleRule
from .schedule import DAY_FIELDS, INTERVAL_FIELDS, rule_wording


@require_safe
@municipal_staff_required
def notice_list(request):
    return render(
        request,
        "health/staff/notice_list.html",
        {"notices": selectors.notices_for_staff()[:200]},
    )


def _notice_form(request, notice=None):
    form = NoticeForm(request.POST or None, instance=notice)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if notice is None:
                services.notice_create(actor=request.user, request=request, **fields)
            else:
                services.notice_update(notice=notice, actor=request.user, request=request, **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The notice was saved."))
            return redirect("staff_health_notice_list")
    return render(request, "health/staff/notice_form.html", {"form": form, "notice": notice})


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def notice_create(request):
    return _notice_form(request)


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def notice_edit(request, pk: int):
    return _notice_form(request, selectors.notice_get_for_staff(pk=pk))


@require_safe
@municipal_staff_required
def schedule_rules(request):
    return render(
        request,
        "health/staff/schedule.html",
        selectors.schedule_for_staff(today=timezone.localdate()),
    )


def _example_dates(request) -> tuple[date, date]:
    """The example child of the correction page: born 31 December (a birthday whose month-ends
    show rule 2) with a previous dose on 28 February, unless staff chose other dates."""
    form = RuleExampleForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form.cleaned_data["born"], form.cleaned_data["previous"]
    return RuleExampleForm.DEFAULT_BORN, RuleExampleForm.DEFAULT_PREVIOUS


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def schedule_rule_edit(request, pk: int):
    rule = selectors.schedule_rule_get_for_staff(pk=pk)
    form = ScheduleRuleForm(request.POST or None, instance=rule)
    values = {name: getattr(rule, name) for name in DAY_FIELDS + INTERVAL_FIELDS}
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        values.update(fields)
        rule.refresh_from_db()  # the form wrote its values onto the instance: compare from the row
        if "preview" not in request.POST:
            try:
                services.schedule_rule_update(
                    rule=rule, actor=request.user, request=request, **fields
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The schedule row was corrected."))
                return redirect("staff_health_schedule")
    born, previous = _example_dates(request)
    return render(
        request,
        "health/staff/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "wording": [
                (ScheduleRule._meta.get_field(line.field).verbose_name, line)
                for line in rule_wording(values, birth=born, previous=previous)
            ],
            "example_form": RuleExampleForm(initial={"born": born, "previous": previous}),
            "born": born,
            "previous": previous,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@municipal_staff_required
def checkup_session_create(request):
    form = CheckupSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.checkup_session_create(actor=request.user, request=request, **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The checkup date was added."))
            return redirect("staff_health_schedule")
    return render(request, "health/staff/session_form.html", {"form": form})


@require_POST
@municipal_staff_required
def checkup_session_delete(request, pk: int):
    session = selectors.checkup_session_get_for_staff(pk=pk)
    services.checkup_session_delete(session=session, actor=request.user, request=request)
    messages.success(request, _("The checkup date was removed."))
    return redirect("staff_health_schedule")
