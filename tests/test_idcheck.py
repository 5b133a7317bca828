"""Resident ID numbers, credit codes and phone numbers as unit agents type them into Excel.

No database: mutualaid/idcheck.py is pure Python.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mutualaid.idcheck import (
    IdError,
    ResidentId,
    age_on,
    check_credit_code,
    credit_code_error,
    credit_code_valid,
    gender_matches,
    known_regions,
    make_credit_code,
    make_resident_id,
    normalise_credit_code,
    normalise_id,
    normalise_phone,
    parse_resident_id,
    phone_error,
)
from tests.translations import chinese_of, msgids_of

ROOT = Path(__file__).resolve().parent.parent
TODAY = datetime.date(2025, 6, 1)
# GB 11643-1999's own example, and the same person's 15-digit legacy number.
STANDARD_EXAMPLE = "11010519491231002X"
LEGACY_EXAMPLE = "110105491231002"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
genders = st.sampled_from(["M", "F"])
sequences = st.integers(min_value=0, max_value=499)
regions = st.sampled_from(known_regions())


def error_code(raw: object, **kwargs: datetime.date) -> str:
    with pytest.raises(IdError) as caught:
        parse_resident_id(raw, **kwargs)
    return caught.value.code


def english(error: IdError) -> str:
    with translation.override("en"):
        return str(error.message)


# --- normalise_id ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        " 11010519491231002x ",
        "110105 1949 1231 002X",
        "110105\u30001949\u30001231\u3000002X",  # full-width spaces
        "110105\u00a019491231002X",  # non-breaking space, e.g. pasted from a web page
        "\t110105\n19491231002X\r\n",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X
        "１１０１０５１９４９１２３１００２ｘ",  # full-width lower-case x
        "\ufeff11010519491231002X\u200b",  # invisible characters from copy-and-paste
    ],
)
def test_ids_typed_with_spaces_or_full_width_characters_normalise_to_the_plain_number(typed: str) -> None:
    assert normalise_id(typed) == STANDARD_EXAMPLE
    assert parse_resident_id(typed, on=TODAY).number == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    "stored", [110105194912310020, 1.1010519491231002e17, 110105491231002, Decimal("110105491231002")]
)
def test_an_id_stored_as_a_number_is_refused_not_converted(stored: object) -> None:
    with pytest.raises(IdError) as caught:
        normalise_id(stored)
    assert caught.value.code == "stored_as_number"
    assert error_code(stored, on=TODAY) == "stored_as_number"
    assert "format the column as text" in english(caught.value)


@given(st.one_of(st.integers(), st.floats()))
def test_any_number_is_refused_as_stored_as_number(number: float) -> None:
    assert error_code(number, on=TODAY) == "stored_as_number"


def test_none_normalises_to_an_empty_string_rather_than_the_word_none() -> None:
    assert normalise_id(None) == ""


# --- parse_resident_id ----------------------------------------------------------------------


def test_the_example_of_the_standard_parses_to_its_birth_date_gender_and_region() -> None:
    assert parse_resident_id(STANDARD_EXAMPLE, on=TODAY) == ResidentId(
        number=STANDARD_EXAMPLE, birth_date=datetime.date(1949, 12, 31), gender="F", region="110105"
    )


def test_a_resident_id_is_immutable() -> None:
    resident = parse_resident_id(STANDARD_EXAMPLE, on=TODAY)
    with pytest.raises(AttributeError):
        resident.number = "x"  # type: ignore[misc]


def test_a_legacy_15_digit_id_is_converted_to_18_characters() -> None:
    resident = parse_resident_id(LEGACY_EXAMPLE, on=TODAY)
    assert resident.number == STANDARD_EXAMPLE
    assert resident.birth_date == datetime.date(1949, 12, 31)
    assert resident.gender == "F"


@given(births.filter(lambda d: d.year < 2000), sequences, genders, regions)
def test_a_legacy_id_converts_back_to_the_18_character_number_it_came_from(
    born: datetime.date, sequence: int, gender: Literal["M", "F"], region: str
) -> None:
    number = make_resident_id(region=region, birth_date=born, sequence=sequence, gender=gender)
    legacy = number[:6] + number[8:17]
    assert parse_resident_id(legacy, on=TODAY) == parse_resident_id(number, on=TODAY)


@given(births, sequences, genders, regions)
def test_every_built_id_parses_back_to_its_birth_date_gender_and_region(
    born: datetime.date, sequence: int, gender: Literal["M", "F"], region: str
) -> None:
    number = make_resident_id(region=region, birth_date=born, sequence=sequence, gender=gender)
    resident = parse_resident_id(number, on=TODAY)
    assert len(resident.number) == 18
    assert (resident.number, resident.birth_date, resident.gender, resident.region) == (number, born, gender, region)


@given(births, sequences, genders, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_any_single_digit_of_a_valid_id_is_detected(
    born: datetime.date, sequence: int, gender: Literal["M", "F"], position: int, shift: int
) -> None:
    number = make_resident_id(birth_date=born, sequence=sequence, gender=gender)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert error_code(typo, on=TODAY) in {"bad_check_digit", "bad_birth_date", "future_birth_date", "bad_region"}


@given(births, sequences, genders, st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_detected(
    born: datetime.date, sequence: int, gender: Literal["M", "F"], check: str
) -> None:
    number = make_resident_id(birth_date=born, sequence=sequence, gender=gender)
    if check != number[-1]:
        assert error_code(number[:-1] + check, on=TODAY) == "bad_check_digit"


@pytest.mark.parametrize("blank", ["", "   ", "\u3000", None])
def test_a_blank_cell_is_reported_as_empty(blank: object) -> None:
    assert error_code(blank, on=TODAY) == "empty"


@pytest.mark.parametrize("typed", [STANDARD_EXAMPLE[:17], STANDARD_EXAMPLE + "1", "1101051949", LEGACY_EXAMPLE + "0"])
def test_an_id_of_the_wrong_length_is_reported_as_bad_length(typed: str) -> None:
    assert error_code(typed, on=TODAY) == "bad_length"


@pytest.mark.parametrize(
    "typed",
    [
        "1101051949123100XX",  # X before the last character
        "11010519491231002A",
        "11010A19491231002X",
        "110105-1949123100X",
        "11010549123100X",  # a legacy number has no check character
        "٣١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits pass str.isdigit() but are not ID digits
    ],
)
def test_letters_or_symbols_in_an_id_are_reported_as_bad_characters(typed: str) -> None:
    assert error_code(typed, on=TODAY) == "bad_characters"


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490000", "18991231", "00000000", "20230229"])
def test_an_impossible_or_pre_1900_birth_date_is_reported_as_bad_birth_date(birth: str) -> None:
    seventeen = "110105" + birth + "002"
    typed = with_check_digit(seventeen)
    assert error_code(typed, on=TODAY) == "bad_birth_date"


def with_check_digit(seventeen: str) -> str:
    """An 18-character number with a correct check digit whatever the date: the date must be
    the only thing wrong with it."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return seventeen + "10X98765432"[sum(int(d) * w for d, w in zip(seventeen, weights, strict=True)) % 11]


def test_a_legacy_id_with_an_impossible_date_is_rejected() -> None:
    assert error_code("110105490231002", on=TODAY) == "bad_birth_date"


def test_a_birth_date_after_the_reference_day_is_reported_as_future() -> None:
    number = make_resident_id(birth_date=datetime.date(2025, 6, 2), sequence=1, gender="M")
    assert error_code(number, on=TODAY) == "future_birth_date"
    assert parse_resident_id(number, on=datetime.date(2025, 6, 2)).birth_date == datetime.date(2025, 6, 2)


@pytest.mark.parametrize("region", ["000000", "119999", "610199", "710099", "990101"])
def test_an_id_whose_region_code_does_not_exist_is_refused_though_its_check_digit_is_right(region: str) -> None:
    typed = with_check_digit(region + "19800101" + "002")
    assert error_code(typed, on=TODAY) == "bad_region"
    legacy = region + "800101" + "002"
    assert error_code(legacy, on=TODAY) == "bad_region"


def test_the_region_message_names_the_characters_and_says_what_to_do_in_english_and_chinese() -> None:
    with pytest.raises(IdError) as caught:
        parse_resident_id(with_check_digit("119999" + "19800101" + "002"), on=TODAY)
    assert english(caught.value) == (
        "The region code of the ID number (characters 1 to 6) does not exist: check the number against the ID card."
    )
    with translation.override("zh-hans"):
        assert str(caught.value) in {"身份证号码中的地区码（第1至6位）不存在，请与身份证核对。", english(caught.value)}


@pytest.mark.parametrize(("region", "born"), [("310115", 1980), ("610113", 1950), ("110105", 1949), ("110103", 2015)])
def test_a_region_code_is_accepted_whatever_the_year_of_birth(region: str, born: int) -> None:
    """Pudong (310115) dates from 1992 and Yanta (610113) from 1983, but people born before were
    given numbers there when first registered; Chongwen (110103) was merged away in 2010, but
    its numbers stay valid for life."""
    number = make_resident_id(region=region, birth_date=datetime.date(born, 5, 1), sequence=7, gender="F")
    assert parse_resident_id(number, on=TODAY).region == region


def test_the_known_regions_are_county_level_codes_that_all_parse() -> None:
    regions = known_regions()
    assert len(regions) > 3000 and len(set(regions)) == len(regions) and list(regions) == sorted(regions)
    assert {"110105", "310115", "610113", "610102"} <= set(regions) and "119999" not in regions
    for region in regions:
        assert parse_resident_id(with_check_digit(region + "19800101" + "002"), on=TODAY).region == region


def test_the_region_set_answers_as_stdnums_own_walk_of_its_list() -> None:
    """The set of county-level codes (one look-up per number) says what stdnum's list says, for
    every code of every province prefix: checked once over all 820,000 six-digit codes from
    100000 when it was written; here over every thousandth code and each code next to a known one."""
    from stdnum import numdb

    from mutualaid.idcheck import _region_exists

    def _region_exists_in_stdnum(region: str) -> bool:
        return any("county" in properties for _part, properties in numdb.get("cn/loc").info(region))

    known = known_regions()
    codes = {f"{i:06d}" for i in range(100000, 920000, 997)}
    codes |= {f"{int(c) + step:06d}" for c in known[::7] for step in (-1, 0, 1)}
    assert [c for c in sorted(codes) if _region_exists(c) != _region_exists_in_stdnum(c)] == []


def test_the_reference_day_defaults_to_today() -> None:
    # Two days ahead is in the future in every time zone.
    later = datetime.date.today() + datetime.timedelta(days=2)  # noqa: DTZ011
    assert error_code(make_resident_id(birth_date=later, sequence=1, gender="F")) == "future_birth_date"
    assert parse_resident_id(STANDARD_EXAMPLE).gender == "F"


def test_a_wrong_check_digit_message_says_what_to_do_in_english_and_chinese() -> None:
    with pytest.raises(IdError) as caught:
        parse_resident_id("110105194912310021", on=TODAY)
    assert caught.value.code == "bad_check_digit"
    assert english(caught.value) == "The check digit (last character) is wrong: check the number against the ID card."
    with translation.override("zh-hans"):
        assert str(caught.value) in {"校验码（最后一位）不正确，请与身份证核对。", english(caught.value)}


@pytest.mark.parametrize(
    "typed",
    ["110105194912310021", "11010519490230002X", "110105210012310021", "1101051949123100", "11010519491231002A"],
)
def test_error_messages_never_contain_the_id_number(typed: str) -> None:
    with pytest.raises(IdError) as caught:
        parse_resident_id(typed, on=TODAY)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            text = str(caught.value.message)
            assert typed not in text and typed[:6] not in text and typed[6:14] not in text


# --- gender_matches, age_on, make_resident_id -----------------------------------------------


@pytest.mark.parametrize(
    ("declared", "matches_a_woman"),
    [("女", True), ("F", True), ("f", True), (" Female ", True), ("FEMALE", True), ("\u3000女\u3000", True),
     ("男", False), ("M", False), ("male", False), (" Male", False)],
)  # fmt: skip
def test_the_declared_gender_is_compared_with_the_id(declared: str, matches_a_woman: bool) -> None:
    woman = parse_resident_id(STANDARD_EXAMPLE, on=TODAY)
    man = parse_resident_id(make_resident_id(birth_date=datetime.date(1980, 1, 1), sequence=3, gender="M"), on=TODAY)
    assert gender_matches(woman, declared) is matches_a_woman
    assert gender_matches(man, declared) is not matches_a_woman


@pytest.mark.parametrize("declared", ["", "未知", "X", "man"])
def test_an_unrecognised_declared_gender_is_an_error_not_a_mismatch(declared: str) -> None:
    with pytest.raises(ValueError, match="unrecognised gender"):
        gender_matches(parse_resident_id(STANDARD_EXAMPLE, on=TODAY), declared)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (datetime.date(1980, 6, 15), datetime.date(2025, 6, 14), 44),
        (datetime.date(1980, 6, 15), datetime.date(2025, 6, 15), 45),
        (datetime.date(1980, 6, 15), datetime.date(1980, 6, 15), 0),
        (datetime.date(2000, 2, 29), datetime.date(2023, 2, 28), 22),
        (datetime.date(2000, 2, 29), datetime.date(2023, 3, 1), 23),
        (datetime.date(2000, 2, 29), datetime.date(2024, 2, 28), 23),
        (datetime.date(2000, 2, 29), datetime.date(2024, 2, 29), 24),
    ],
)
def test_age_counts_completed_years_and_a_leap_day_birthday_falls_on_1_march(
    born: datetime.date, on: datetime.date, age: int
) -> None:
    assert age_on(born, on) == age


@given(births, st.integers(min_value=0, max_value=120))
def test_a_person_is_one_year_older_from_each_birthday(born: datetime.date, years: int) -> None:
    try:
        birthday = born.replace(year=born.year + years)
    except ValueError:  # 29 February in a non-leap year: the birthday is 1 March
        birthday = datetime.date(born.year + years, 3, 1)
    assert age_on(born, birthday) == years
    if years:
        assert age_on(born, birthday - datetime.timedelta(days=1)) == years - 1


def test_an_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(datetime.date(2000, 1, 2), datetime.date(2000, 1, 1))


@given(births, sequences, genders)
def test_a_built_id_has_an_odd_order_code_for_men_and_an_even_one_for_women(
    born: datetime.date, sequence: int, gender: Literal["M", "F"]
) -> None:
    number = make_resident_id(birth_date=born, sequence=sequence, gender=gender)
    assert number.startswith("610113")
    assert int(number[14:16]) == sequence // 5
    assert (int(number[16]) % 2 == 1) is (gender == "M")


@given(births, st.tuples(sequences, genders), st.tuples(sequences, genders))
def test_different_sequences_or_genders_build_different_ids(
    born: datetime.date, first: tuple[int, Literal["M", "F"]], second: tuple[int, Literal["M", "F"]]
) -> None:
    a = make_resident_id(birth_date=born, sequence=first[0], gender=first[1])
    b = make_resident_id(birth_date=born, sequence=second[0], gender=second[1])
    assert (a == b) is (first == second)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence": -1},
        {"sequence": 500},
        {"region": "61011"},
        {"region": "61011A"},
        {"region": "619999"},
        {"birth_date": datetime.date(1899, 12, 31)},
        {"gender": "X"},
    ],
)
def test_building_an_id_from_impossible_parts_is_refused(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"birth_date": datetime.date(1980, 1, 1), "sequence": 0, "gender": "M"} | kwargs
    with pytest.raises(ValueError):
        make_resident_id(**arguments)  # type: ignore[arg-type]


# --- Unified Social Credit Code -------------------------------------------------------------

departments = st.sampled_from("123456789ABCDEFGHNY")
seventeens = st.builds(
    lambda department, kind, region, subject: department + kind + region + subject,
    departments,
    st.sampled_from(CREDIT_ALPHABET),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=CREDIT_ALPHABET, min_size=9, max_size=9),
)


def test_a_real_format_credit_code_is_completed_with_its_check_character() -> None:
    code = make_credit_code(seventeen="91350100M000100" + "Y0")
    assert len(code) == 18 and code.startswith("91350100M000100Y0")
    assert credit_code_valid(code)
    # The sample licence number that circulates in the documentation of the standard.
    assert make_credit_code(seventeen="91350100M000100Y4") == "91350100M000100Y43"
    assert credit_code_valid("91350100M000100Y43")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "N2330106MF21984709",  # a rural collective economic organisation: stdnum's validate refuses N…
        "A1110000MB1234567A",
        "Y1110108MA01ABCD7B",
        "5111000050000123XT",
        "81610113MC12345670",  # a trade union
    ],
)
def test_credit_codes_the_hand_written_check_accepted_are_still_valid(code: str) -> None:
    """Check characters computed by the check this module had before it used stdnum."""
    assert credit_code_valid(code) and make_credit_code(seventeen=code[:17]) == code


@given(seventeens)
def test_every_built_credit_code_is_valid(seventeen: str) -> None:
    code = make_credit_code(seventeen=seventeen)
    assert credit_code_valid(code)
    assert credit_code_error(code) is None
    assert check_credit_code(code) == code


@given(seventeens, st.integers(min_value=0, max_value=17), st.sampled_from(CREDIT_ALPHABET))
def test_any_single_character_substitution_in_a_credit_code_is_detected(
    seventeen: str, position: int, replacement: str
) -> None:
    code = make_credit_code(seventeen=seventeen)
    if replacement != code[position]:
        typo = code[:position] + replacement + code[position + 1 :]
        assert not credit_code_valid(typo)
        assert credit_code_error(typo) is not None


@pytest.mark.parametrize(
    "typed",
    [
        " 91350100m000100y43 ",
        "9135 0100 M000 100Y 43",
        "９１３５０１００Ｍ０００１００Ｙ４３",
        "91350100M000100Y43\u3000",
    ],
)
def test_a_credit_code_typed_with_spaces_lower_case_or_full_width_is_accepted(typed: str) -> None:
    assert normalise_credit_code(typed) == "91350100M000100Y43"
    assert credit_code_error(typed) is None
    assert not credit_code_valid(typed)  # the strict check is for stored, canonical codes


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        (None, "empty"),
        (913501001000100143, "stored_as_number"),
        (9.135010010001001e17, "stored_as_number"),
        ("91350100M000100Y4", "bad_length"),
        ("91350100M000100Y431", "bad_length"),
        ("91350100M0001O0Y43", "bad_characters"),  # letter O
        ("91350100M0001I0Y43", "bad_characters"),  # letter I
        ("Z1350100M000100Y43", "bad_characters"),
        ("P1350100M000100Y40", "bad_department"),
        ("9135A100M000100Y43", "bad_region"),
        ("91350100M000100Y44", "bad_check_digit"),
    ],
)
def test_a_wrong_credit_code_is_reported_with_a_specific_code(typed: object, code: str) -> None:
    with pytest.raises(IdError) as caught:
        check_credit_code(typed)
    assert caught.value.code == code
    assert credit_code_error(typed) == str(caught.value.message)


def test_a_credit_code_error_is_a_sentence_in_the_active_language() -> None:
    with translation.override("en"):
        assert credit_code_error("91350100M000100Y44") == (
            "The check character (last character) of the Unified Social Credit Code is wrong: "
            "check the code against the business licence or registration certificate."
        )


def test_a_credit_code_needs_seventeen_characters_from_the_alphabet_to_be_completed() -> None:
    for seventeen in ("91350100M000100Y", "91350100M000100YI"):
        with pytest.raises(ValueError):
            make_credit_code(seventeen=seventeen)


# --- Phone numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("＋８６－１３８１２３４５６７８", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        (8613812345678, "13812345678"),
        (Decimal("19912345678"), "19912345678"),
        ("029-88886666", "029-88886666"),
        ("02988886666", "029-88886666"),
        ("(029) 8888 6666", "029-88886666"),
        ("（０２９）８８８８６６６６", "029-88886666"),
        ("010-62345678", "010-62345678"),
        ("0917-3456789", "0917-3456789"),
        ("0917 34567890", "0917-34567890"),
    ],
)
def test_mobile_and_landline_numbers_are_normalised(typed: object, normalised: str) -> None:
    assert normalise_phone(typed) == normalised
    assert phone_error(typed) is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        (" \u3000", "empty"),
        (None, "empty"),
        (2988886666, "stored_as_number"),  # 029-88886666 without its leading 0
        (1062345678, "stored_as_number"),  # 010-62345678
        (12812345678, "bad_phone"),
        ("12812345678", "bad_phone"),  # no mobile number starts with 12
        ("1381234567", "bad_phone"),
        ("138123456789", "bad_phone"),
        ("88886666", "bad_phone"),  # no area code
        ("029-1234567", "bad_phone"),  # local numbers never start with 1
        ("029-888866661", "bad_phone"),
        ("13812345678.5", "bad_phone"),
        (13812345678.5, "bad_phone"),
        (float("nan"), "bad_phone"),
        ("138l2345678", "bad_phone"),
    ],
)
def test_a_wrong_phone_number_is_reported_with_a_specific_code(typed: object, code: str) -> None:
    with pytest.raises(IdError) as caught:
        normalise_phone(typed)
    assert caught.value.code == code
    assert phone_error(typed) == str(caught.value.message)


def test_a_landline_stored_as_a_number_explains_the_lost_zero() -> None:
    with pytest.raises(IdError) as caught:
        normalise_phone(2988886666)
    assert "leading 0" in english(caught.value)


@given(st.text(alphabet="3456789", min_size=1, max_size=1), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_mobile_number_is_accepted_as_text_or_as_a_number(second: str, rest: str) -> None:
    number = "1" + second + rest
    assert normalise_phone(number) == normalise_phone(int(number)) == normalise_phone(f"+86 {number}") == number


# --- Translations ---------------------------------------------------------------------------


def test_every_message_has_a_chinese_translation_with_full_width_punctuation() -> None:
    msgids = msgids_of("mutualaid/idcheck.py")
    chinese = chinese_of(msgids)
    assert len(msgids) == 18
    assert sorted(chinese) == sorted(msgids)
    for text in chinese.values():
        assert text.endswith("。")
        assert not any(mark in text for mark in ",:;()!?"), text


def test_messages_say_what_is_wrong_and_what_to_do() -> None:
    for msgid in msgids_of("mutualaid/idcheck.py"):
        assert ": " in msgid and msgid.endswith("."), msgid
