from django.db import models
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from kosodate.core import selectors as core_selectors
from kosodate.core.access import MUNICIPAL, back_office_required, has_role


def _setup_problems(user) -> list[dict]:
    """Setup problems for municipal staff; a system administrator gets a link to the admin page
    that fixes each (adding a row of the model the check names)."""
    problems = []
    for message in core_selectors.setup_problems():
        url = None
        obj = message.obj
        if user.is_superuser and isinstance(obj, type) and issubclass(obj, models.Model):
            try:
                url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_add")
            except NoReverseMatch:
                url = None
        problems.append({"message": message.msg, "hint": message.hint, "url": url})
    return problems


@require_safe
@back_office_required
def dashboard(request):
    municipal = has_role(request.user, MUNICIPAL)
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "announcements_current_count": core_selectors.announcements_current_count(),
            "maintenance_now": core_selectors.maintenance_active(),
            "maintenance_scheduled": core_selectors.maintenance_scheduled(),
            "setup_problems": _setup_problems(request.user) if municipal else [],
            "can_manage_announcements": municipal,
            "can_manage_maintenance": municipal,
            # Delivery failures need a person (a wrong address, a provider outage): municipal
            # staff see how many; system administrators can open them in the admin.
            "messages_failed_count": core_selectors.messages_failed_count() if municipal else None,
        },
    )
