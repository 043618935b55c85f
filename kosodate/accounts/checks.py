"""System checks of accounts data (`manage.py check`, and every command that runs checks)."""

from django.core import checks
from django.db import DatabaseError
from django.db.models import Q
from django.utils.translation import gettext as _

from kosodate.core.selectors import SETUP_CHECK_TAG


@checks.register(checks.Tags.security, SETUP_CHECK_TAG)
def back_office_accounts_have_a_staff_role(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A superuser or staff account with the resident role is within reach of the counter's
    recovery pages and of resident-only rules (issue 10 item 1): fail until it has a staff role.
    Runs with every `check` and on the staff dashboard (which shows the count, not the names)."""
    from .models import User

    try:
        count = (
            User.objects.filter(role=User.Role.RESIDENT)
            .filter(Q(is_superuser=True) | Q(is_staff=True))
            .count()
        )
    except DatabaseError:
        # No tables yet (before the first migrate): nothing to check.
        return []
    if not count:
        return []
    return [
        checks.Error(
            _(
                "%(count)d superuser or staff accounts have the resident role, which puts them "
                "within reach of the counter's recovery pages."
            )
            % {"count": count},
            hint=_(
                "A system administrator gives them a staff role in the admin (Users, filtered by "
                "role and superuser status), or runs manage.py migrate (the accounts 0004 "
                "migration moves them to municipal staff)."
            ),
            obj="accounts.User",
            id="kosodate.accounts.E001",
        )
    ]


@checks.register(checks.Tags.database, SETUP_CHECK_TAG)
def terms_published(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Registration needs a terms version in effect: without one every family is refused. It
    reads the database, so Django runs it with `migrate`, `check --database default` and on the
    staff dashboard (core.selectors.setup_problems), not with a bare `check`."""
    from .models import TermsVersion
    from .selectors import terms_current

    if databases is not None and "default" not in databases:
        return []
    try:
        if terms_current() is not None:
            return []
    except DatabaseError:
        return []  # not migrated yet (migrate runs the checks before it creates the tables)
    return [
        checks.Warning(
            _(
                "Registration is closed: no terms of use and privacy policy are in effect, so "
                "every family that tries to register is refused."
            ),
            hint=_(
                "Publish the terms (Django admin → Terms versions → Add, "
                "/admin/accounts/termsversion/add/); registration opens when they take effect."
            ),
            obj=TermsVersion,
            id="kosodate.accounts.W001",
        )
    ]
