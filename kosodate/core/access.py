"""Who may do what: the roles and every role check, written once. Views (decorators), menus
(`StaffMenuEntry.roles`, `ResidentMenuEntry`) and templates (`user.is_back_office`, which calls
`is_back_office` here) all ask these functions, so a rule cannot differ between a page and the
link that leads to it.

    from kosodate.core.access import Role, back_office_required, municipal_staff_required

    @municipal_staff_required              # municipal staff (and system administrators)
    def announcement_list(request): ...

    @back_office_required(roles=[Role.CONSULTANT, Role.MUNICIPAL_STAFF])
    def consultation_queue(request): ...

    @resident_required                     # signed in, no back-office role (staff → back office)
    def mypage(request): ...

kosodate.accounts.models imports this module (User.Role is Role here), so it imports nothing of
django.contrib.auth at module level (auth's views and forms need the user model).

Whether a resident may *use services* (email confirmed, identity checked) is a different
question, answered by kosodate.accounts.decorators.resident_services_required."""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.db import models
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """User.role (kosodate.accounts.models.User.Role is this class)."""

    RESIDENT = "resident", _("Resident")
    FACILITY_STAFF = "facility_staff", _("Facility staff")
    MUNICIPAL_STAFF = "municipal_staff", _("Municipal staff")
    SUPPORTER = "supporter", _("Family-support supporter")
    CONSULTANT = "consultant", _("Consultant")


# The roles that work in the back office (system administrators, superusers, always do).
BACK_OFFICE_ROLES = frozenset({Role.FACILITY_STAFF, Role.MUNICIPAL_STAFF, Role.CONSULTANT})
# Role sets used by more than one app's pages and menu entries.
MUNICIPAL = (Role.MUNICIPAL_STAFF,)
FACILITY_OR_MUNICIPAL = (Role.FACILITY_STAFF, Role.MUNICIPAL_STAFF)


def is_back_office(user) -> bool:
    """Staff of any kind (facility, municipal, consultants) and system administrators. Says
    nothing of whether they are signed in: see has_role."""
    return bool(getattr(user, "is_superuser", False)) or getattr(user, "role", None) in (
        BACK_OFFICE_ROLES
    )


def is_municipal_staff(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or (
        getattr(user, "role", None) == Role.MUNICIPAL_STAFF
    )


def is_resident(user) -> bool:
    return getattr(user, "role", None) == Role.RESIDENT


def has_role(user, roles: Iterable[str] | None = None) -> bool:
    """A signed-in, active back-office user with one of `roles` (any back-office role if None);
    system administrators (superusers) have every role."""
    if not (user.is_authenticated and user.is_active and is_back_office(user)):
        return False
    return roles is None or user.is_superuser or user.role in set(roles)


def back_office_required(
    view: Callable | None = None,
    *,
    roles: Iterable[str] | None = None,
    allowed: Callable[[Any], bool] | None = None,
):
    """Visitors who are not signed in go to the sign-in page and come back; anyone signed in
    without the role gets a 403 page saying the page is for staff. (A 403 rather than a 404: the
    staff portal's existence is no secret, and a resident who followed a link is better told why.)
    `allowed(user)`: an app's finer rule, asked after the role (the same callable its
    `StaffMenuEntry.allowed` names, so the menu and the pages agree), e.g. a centre's staff run
    events only when an event names their centre.

    Use as @back_office_required or @back_office_required(roles=[Role.MUNICIPAL_STAFF])."""
    role_set = frozenset(roles) if roles is not None else None

    def decorator(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            from django.contrib.auth.views import redirect_to_login

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role_set) or (
                allowed is not None and not allowed(request.user)
            ):
                return render(request, "core/forbidden.html", status=403)
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator


municipal_staff_required = back_office_required(roles=MUNICIPAL)
facility_or_municipal_staff_required = back_office_required(roles=FACILITY_OR_MUNICIPAL)


def resident_required(view):
    """Signed-in people without a back-office role. Staff have no household: they are sent to
    the back office instead."""

    from django.contrib.auth.decorators import login_required

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if is_back_office(request.user):
            return redirect("backoffice:dashboard")
        return view(request, *args, **kwargs)

    return wrapped
