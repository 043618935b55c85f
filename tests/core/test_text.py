"""normalize.py: what residents type (full-width, half-width kana, hyphens of every kind)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kosodate.core.text import (
    KanaField,
    NameField,
    NormalizedDateField,
    NormalizedEmailField,
    PhoneField,
    PostalCodeField,
    is_katakana,
    municipality_code_matches,
    nfkc,
    phone_display,
    phone_is_mobile,
    phone_national,
    phone_to_e164,
    postal_code_lookup,
    postal_code_normalize,
    to_katakana,
)


def test_nfkc_makes_full_width_half_and_half_width_kana_full():
    assert nfkc("　ＡＢＣ１２３　ﾔﾏﾀﾞ  ﾊﾅｺ ") == "ABC123 ヤマダ ハナコ"


@pytest.mark.parametrize(
    "typed",
    ["やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "やまだ "],
)
def test_kana_is_stored_as_katakana(typed):
    assert to_katakana(typed) == "ヤマダ"


@pytest.mark.parametrize("value", ["ヤマダ", "スミス・ジョン", "サトウ ハナコ", "ヴァイオレット"])
def test_katakana_accepted(value):
    assert is_katakana(value)


@pytest.mark.parametrize("value", ["山田", "yamada", "ヤマダ1", "", "ヤマダ!"])
def test_not_katakana_refused(value):
    assert not is_katakana(value)


@pytest.mark.parametrize(
    "typed",
    [
        "090-1234-5678",
        "０９０－１２３４－５６７８",
        "０９０ー１２３４ー５６７８",  # the long-vowel mark an IME gives for "-"
        "09012345678",
        "(090) 1234 5678",
        "+81 90 1234 5678",
    ],
)
def test_phone_to_e164(typed):
    assert phone_to_e164(typed) == "+819012345678"


def test_landline_to_e164_and_not_mobile():
    assert phone_to_e164("０３－１２３４－５６７８") == "+81312345678"
    assert not phone_is_mobile("03-1234-5678")


@pytest.mark.parametrize("number", ["070-1234-5678", "080-1234-5678", "090-1234-5678"])
def test_mobile_prefixes(number):
    assert phone_is_mobile(number)


@pytest.mark.parametrize("number", ["050-1234-5678", "0120-123-456", "020-1234-5678", "abc"])
def test_not_mobile(number):
    assert not phone_is_mobile(number)


def test_phone_national_and_display():
    assert phone_national("+819012345678") == "09012345678"
    assert phone_display("+819012345678") == "090-1234-5678"
    assert phone_display("+81312345678") == "03-1234-5678"
    assert phone_display("+14155550100").startswith("+1 ")


@pytest.mark.parametrize("typed", ["12345", "090-1234-567890123", "電話", "0000000000"])
def test_phone_invalid(typed):
    with pytest.raises(ValueError):
        phone_to_e164(typed)


@pytest.mark.parametrize("typed", ["100-0001", "〒１００－０００１", "1000001", "100ー0001"])
def test_postal_code_normalize(typed):
    assert postal_code_normalize(typed) == "1000001"


@pytest.mark.parametrize("typed", ["100-001", "10000011", "abc-defg", ""])
def test_postal_code_invalid(typed):
    with pytest.raises(ValueError):
        postal_code_normalize(typed)


def test_postal_code_lookup_offline():
    (address,) = postal_code_lookup("１００－０００１")
    assert (address.prefecture, address.city, address.town) == ("東京都", "千代田区", "千代田")
    assert address.municipality_code == "13101"


def test_postal_code_lookup_without_a_town_leaves_it_to_the_resident():
    (address,) = postal_code_lookup("1000000")  # 以下に掲載がない場合
    assert address.town == ""


def test_postal_code_spanning_municipalities_lists_each():
    codes = {a.municipality_code for a in postal_code_lookup("9850000")}
    assert {"04203", "04209"} <= codes


def test_unknown_and_business_postal_codes_give_nothing():
    assert postal_code_lookup("9999999") == []
    assert postal_code_lookup("0018501") == []  # 事業所個別番号


def test_municipality_code_compares_without_the_check_digit():
    assert municipality_code_matches("13101", "131016")
    assert municipality_code_matches("13101", "13101")
    assert not municipality_code_matches("13102", "131016")
    assert not municipality_code_matches("", "131016")


# --- Form fields ------------------------------------------------------------------------------
def test_kana_field_cleans_to_katakana_and_explains_refusal():
    field = KanaField()
    assert field.clean(" ﾔﾏﾀﾞ ") == "ヤマダ"
    assert field.clean("はなこ") == "ハナコ"
    with pytest.raises(ValidationError) as error:
        field.clean("Hanako")
    assert error.value.code == "invalid"


def test_kana_field_length_is_checked_after_normalising():
    with pytest.raises(ValidationError) as error:
        KanaField().clean("ｱ" * 51)  # half-width: 51 characters either way
    assert [e.code for e in error.value.error_list] == ["max_length"]


def test_name_field_refuses_digits_and_symbols():
    field = NameField()
    assert field.clean("山田　") == "山田"
    assert field.clean("O'Brien") == "O'Brien"
    for bad in ("山田1", "<script>", "太郎@"):
        with pytest.raises(ValidationError):
            field.clean(bad)


def test_email_field_accepts_full_width_and_lowercases():
    assert NormalizedEmailField().clean("Ｈａｎａｋｏ＠Ｅｘａｍｐｌｅ．ｊｐ") == "hanako@example.jp"


def test_phone_field_and_mobile_only():
    assert PhoneField().clean("０３－１２３４－５６７８") == "+81312345678"
    with pytest.raises(ValidationError) as error:
        PhoneField(mobile_only=True).clean("03-1234-5678")
    assert error.value.code == "not_mobile"
    with pytest.raises(ValidationError):
        PhoneField().clean("123")


def test_postal_code_field():
    assert PostalCodeField().clean("〒１００－０００１") == "1000001"
    with pytest.raises(ValidationError):
        PostalCodeField().clean("100")


@pytest.mark.parametrize(
    "typed", ["2020-04-01", "２０２０／０４／０１", "20200401", "2020年4月1日"]
)
def test_date_field_formats(typed):
    assert NormalizedDateField().clean(typed) == date(2020, 4, 1)


@pytest.mark.parametrize("typed", ["2020-02-30", "昨日", "2020-13-01"])
def test_date_field_refuses_impossible_dates(typed):
    with pytest.raises(ValidationError):
        NormalizedDateField().clean(typed)


def test_nfkc_is_applied_in_one_module_only():
    """Every app normalises through kosodate.core.text, so the rules cannot drift apart."""
    from pathlib import Path

    kosodate = Path(__file__).resolve().parents[2] / "kosodate"
    callers = [
        str(path.relative_to(kosodate))
        for path in kosodate.rglob("*.py")
        if "unicodedata" in path.read_text(encoding="utf-8") and path.name != "text.py"
    ]
    assert callers == []
