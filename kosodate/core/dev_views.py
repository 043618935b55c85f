"""Development-only pages (404 unless DEBUG): the outbox of emails and SMS of the dev run, so a
newcomer can open a verification link or read a sign-in code without a mail server or phone."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import selectors
from .views import dev_only


@dev_only
@require_safe
def outbox_list(request):
    return render(
        request,
        "core/dev/outbox_list.html",
        {"outbox_messages": selectors.outbox_messages_recent()},
    )


@dev_only
@require_safe
def outbox_detail(request, pk: int):
    return render(
        request,
        "core/dev/outbox_detail.html",
        {"outbox_message": selectors.outbox_message_get(pk=pk)},
    )
