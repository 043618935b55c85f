from django.shortcuts import render
from django.views.decorators.http import require_safe

from kosodate.core import selectors as core_selectors
from kosodate.core.access import MUNICIPAL, back_office_required, has_role


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
            "can_manage_announcements": municipal,
            "can_manage_maintenance": municipal,
            # Delivery failures need a person (a wrong address, a provider outage): municipal
            # staff see how many; system administrators can open them in the admin.
            "messages_failed_count": core_selectors.messages_failed_count() if municipal else None,
        },
    )
