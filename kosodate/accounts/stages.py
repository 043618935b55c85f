"""Login stages of our own, run by allauth after its stages (adapter.get_login_stages())."""

from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response

from . import selectors


class TermsStage(LoginStage):
    """A resident who has not accepted the current terms version accepts it before anything
    else (a new version asks again). Staff accounts are bound by their employment, not by the
    residents' terms, and skip it."""

    key = "kosodate_terms"
    urlname = "signin_terms"

    def handle(self):
        user = self.login.user
        if user is None or not user.is_resident:
            return None, True
        if selectors.terms_needs_acceptance(user=user) is None:
            return None, True
        return headed_redirect_response(self.urlname), True
