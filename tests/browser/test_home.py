import pytest

from .fixtures import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_in_japanese_on_a_phone(page, municipality):
    page.goto(page.base_url + "/")
    assert page.locator("h1").first.inner_text() == "子育てサポート"
    assert_accessible(page)
