"""`{% health_notices %}`: the notices for the signed-in family's children (their ages, area and
situation), newest first, as on the health page — for My Page, without the accounts app
importing the health app."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("health/notices.html", takes_context=True)
def health_notices(context):
    user = context["request"].user
    household = user.household if getattr(user, "household_id", None) else None
    return {"notices": selectors.notices_for_household(household=household)}
