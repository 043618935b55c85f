"""System checks of accounts data (`manage.py check`, and every command that runs checks)."""

from django.core import checks
from django.db import DatabaseError
from django.db.models import Q


@checks.register(checks.Tags.security)
def back_office_accounts_have_a_staff_role(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A superuser or staff account with the resident role is within reach of the counter's
    recovery pages and of resident-only rules (issue 10 item 1): fail until it has a staff role."""
    from .models import User

    try:
        names = list(
            User.objects.filter(role=User.Role.RESIDENT)
            .filter(Q(is_superuser=True) | Q(is_staff=True))
            .order_by("pk")
            .values_list("username", flat=True)[:10]
        )
    except DatabaseError:
        # No tables yet (before the first migrate): nothing to check.
        return []
    if not names:
        return []
    return [
        checks.Error(
            "Superuser or staff accounts have the resident role: " + ", ".join(names),
            hint=(
                "Give them a staff role in the admin (Users → role), or run `manage.py migrate`, "
                "whose accounts 0004 migration moves them to municipal staff."
            ),
            obj="accounts.User",
            id="kosodate.accounts.E001",
        )
    ]
