"""Who may open the back office, and which part of it. Every staff view in every app uses these
decorators, so the rule is written once."""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render


def user_has_role(user, roles: Iterable[str] | None = None) -> bool:
    """A back-office user with one of `roles` (any back-office role if None); system
    administrators (superusers) have every role."""
    if not (user.is_authenticated and user.is_active and user.is_back_office):
        return False
    return roles is None or user.is_superuser or user.role in set(roles)


def back_office_required(view: Callable | None = None, *, roles: Iterable[str] | None = None):
    """Visitors who are not signed in go to the sign-in page and come back; anyone signed in
    without the role gets a 403 page saying the page is for staff. (A 403 rather than a 404: the
    staff portal's existence is no secret, and a resident who followed a link is better told why.)

    Use as @back_office_required or @back_office_required(roles=[User.Role.MUNICIPAL_STAFF])."""
    allowed = frozenset(roles) if roles is not None else None

    def decorator(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, allowed):
                return render(request, "backoffice/forbidden.html", status=403)
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
