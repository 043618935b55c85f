"""Helpers for the registration tests: typical input and a walk through the wizard over HTTP."""

import re

from django.http import HttpResponse
from django.urls import include, path, reverse

from kosodate.accounts.decorators import resident_services_required
from kosodate.core.models import OutboundMessage

PASSWORD = "Komorebi-7turn-kite"

# What a resident types: half-width kana, hiragana, full-width digits and hyphens, the IME's ー.
GUARDIAN = {
    "last_name": "山田",
    "first_name": "花子",
    "last_name_kana": "やまだ",
    "first_name_kana": "ﾊﾅｺ",
    "birth_date": "1990-05-10",
    "email": "Hanako.Yamada@Example.JP",
    "phone": "０９０ー１２３４ー５６７８",
}
ADDRESS = {"postal_code": "１００－０００１", "town": "", "street": "１－２－３ こもれびハイツ101"}
CHILD_1 = {
    "last_name": "山田",
    "first_name": "さくら",
    "last_name_kana": "ヤマダ",
    "first_name_kana": "さくら",
    "birth_date": "2022-04-01",
    "sex": "female",
    "allergies": "卵",
    "notes": "",
}
CHILD_2 = {
    "last_name": "山田",
    "first_name": "はると",
    "last_name_kana": "ヤマダ",
    "first_name_kana": "ハルト",
    "birth_date": "2024-08-15",
    "sex": "male",
    "allergies": "",
    "notes": "人見知りです",
}
CHILD_FIELDS = list(CHILD_1)


def step_url(step: str) -> str:
    return reverse("register_step", args=[step])


def children_post(rows: list[dict]) -> dict:
    data = {"children-TOTAL_FORMS": str(len(rows)), "children-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for field in CHILD_FIELDS:
            data[f"children-{index}-{field}"] = row.get(field, "")
    return data


def post_step(client, step: str, data: dict, **extra):
    return client.post(step_url(step), data, **extra)


def register(
    client,
    *,
    guardian=None,
    address=None,
    children=None,
    password=PASSWORD,
    consent=True,
    **extra,
):
    """Walk every step; return the final response (a redirect to "check your email")."""
    for step, data in (
        ("guardian", guardian or GUARDIAN),
        ("address", address or ADDRESS),
        ("children", children_post(children or [CHILD_1, CHILD_2])),
        ("password", {"password1": password, "password2": password}),
    ):
        response = post_step(client, step, data, **extra)
        assert response.status_code == 302, _errors(response)
    return post_step(client, "review", {"consent": "on"} if consent else {}, **extra)


def _errors(response) -> str:
    html = response.content.decode()
    return "\n".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html)) or html[:3000]


def emails(*, to: str | None = None, kind: str | None = None) -> list[OutboundMessage]:
    qs = OutboundMessage.objects.filter(channel=OutboundMessage.Channel.EMAIL).order_by("pk")
    if to:
        qs = qs.filter(recipient=to)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


def confirmation_path(message: OutboundMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.deliverable_body)
    assert match, message.deliverable_body
    return match.group(1)


# --- A resident service behind the decorator, for the access tests (pytest.mark.urls) ---------
@resident_services_required
def _service(request):
    return HttpResponse("service open")


urlpatterns = [
    path("test-service/", _service, name="test_service"),
    path("", include("config.urls")),
]


def register_until(client, step: str) -> None:
    """Fill in the wizard over HTTP up to (not including) `step`; "done" registers."""
    from kosodate.accounts.models import TermsVersion

    if not TermsVersion.objects.exists():
        from tests.factories import TermsVersionFactory

        TermsVersionFactory()
    if step == "done":
        assert register(client).status_code == 302
        return
    steps = {
        "guardian": GUARDIAN,
        "address": ADDRESS,
        "children": children_post([CHILD_1, CHILD_2]),
        "password": {"password1": PASSWORD, "password2": PASSWORD},
    }
    for name, data in steps.items():
        if name == step:
            return
        assert post_step(client, name, data).status_code == 302
