"""/notifications/: the signed-in person's notifications (every booking change, reminders, …),
newest first, with "mark as read". Anyone signed in has them, residents and staff alike."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import selectors, services
from .site import local_next


@require_safe
@login_required
def notification_list(request):
    notifications = list(selectors.notifications_for_user(user=request.user))
    return render(
        request,
        "core/notifications/list.html",
        {
            "notifications": notifications,
            "unread_count": sum(1 for n in notifications if not n.is_read),
        },
    )


@require_POST
@login_required
def notification_read(request, pk: int):
    """Mark one read; with next= (the notification's own link) go there, otherwise back."""
    services.notification_mark_read(user=request.user, notification_id=pk)
    return HttpResponseRedirect(
        local_next(request, request.POST.get("next"), reverse("notification_list"))
    )


@require_POST
@login_required
def notification_read_all(request):
    if services.notification_mark_read(user=request.user):
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notification_list")
