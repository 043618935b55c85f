"""`{% health_notices %}`: the notices for the signed-in family's children (their ages, area and
situation), newest first, as on the health page — for My Page, without the accounts app
importing the health app."""

from django import template

from kosodate.core.ages import TermError, interval_wording, term_wording

from .. import selectors

register = template.Library()


@register.inclusion_tag("health/notices.html", takes_context=True)
def health_notices(context, limit=None):
    """`limit`: show the first so many, with a link to the health page for the rest (My Page
    shows three, issue 12 item 10)."""
    user = context["request"].user
    household = user.household if getattr(user, "household_id", None) else None
    notices = list(selectors.notices_for_household(household=household))
    shown = notices[:limit] if limit else notices
    return {"notices": shown, "more": len(notices) - len(shown)}


def _wording(function, term: str, **kwargs) -> str:
    if not term:
        return ""
    try:
        return function(term, **kwargs)
    except TermError:
        return term


@register.filter
def wording_from(term: str) -> str:
    """「2m」 → 「生後2月に至った日から」 (a start day of a schedule row, kosodate/core/ages.py)."""
    return _wording(term_wording, term)


@register.filter
def wording_until(term: str) -> str:
    """「2m」 → 「生後2月に至るまで」 (an end day, included)."""
    return _wording(term_wording, term, end=True)


@register.filter
def wording_interval(term: str) -> str:
    """「27d」 → 「27日以上の間隔をおいて」."""
    return _wording(interval_wording, term)


@register.filter
def wording_interval_until(term: str) -> str:
    """「56d」 → 「56日までの間隔」 (the end of a standard interval)."""
    return _wording(interval_wording, term, end=True)
