"""Normalisation, blocking keys and household keys."""

from dataclasses import replace
from datetime import date

import pytest

from services.intake.domain.identity import (
    PersonRecord,
    blocking_keys,
    household_key,
    normalise,
    same_household,
)

CHILD = PersonRecord(
    given_name="William",
    family_name="Smith-Jones",
    date_of_birth=date(2015, 3, 4),
    sex="M",
    postcode="CM1 2AB",
    address_line="Flat 2, 10 High Street",
)


class TestNames:
    def test_case_punctuation_and_accents_are_removed(self) -> None:
        normalised = normalise(PersonRecord(given_name="  ZOË ", family_name="O'Brien"))

        assert normalised.given == "zoe"
        assert normalised.family == "obrien"

    def test_hyphenated_spaced_and_joined_family_names_agree(self) -> None:
        forms = ["Smith-Jones", "SMITH JONES", "smithjones"]

        assert {normalise(replace(CHILD, family_name=form)).family for form in forms} == {"smithjones"}
        assert normalise(CHILD).family_parts == ("smith", "jones")

    def test_letters_outside_ascii_are_reduced_to_their_base_letter(self) -> None:
        assert normalise(replace(CHILD, family_name="Wiśniewski")).family == "wisniewski"

    def test_nickname_resolves_to_its_canonical_name(self) -> None:
        assert "william" in normalise(replace(CHILD, given_name="Bill")).given_canonicals

    def test_nickname_of_several_names_keeps_all_of_them(self) -> None:
        assert {"alexander", "alexandra"} <= normalise(replace(CHILD, given_name="Alex")).given_canonicals

    def test_unknown_name_is_its_own_canonical(self) -> None:
        assert normalise(replace(CHILD, given_name="Chiamaka")).given_canonicals == {"chiamaka"}

    def test_middle_names_are_split(self) -> None:
        assert normalise(replace(CHILD, middle_names="James  Arthur")).middle_names == ("james", "arthur")


class TestIdentifiers:
    def test_upn_is_compacted_and_upper_cased(self) -> None:
        assert normalise(replace(CHILD, upn=" y8812 3451 2001")).upn == "Y881234512001"

    def test_upn_with_a_wrong_check_letter_is_dropped(self) -> None:
        assert normalise(replace(CHILD, upn="A881234512001")).upn is None

    def test_upn_from_an_la_created_after_2011_is_accepted(self) -> None:
        assert normalise(replace(CHILD, upn="J940123420123")).upn == "J940123420123"

    def test_temporary_upn_is_accepted(self) -> None:
        assert normalise(replace(CHILD, upn="J88123451200A")).upn == "J88123451200A"

    def test_former_upns_drop_invalid_ones_and_the_current_one(self) -> None:
        record = replace(
            CHILD,
            upn="Y881234512001",
            former_upns=("J88123451200A", "Y881234512001", "not-a-upn", "J88123451200A"),
        )

        normalised = normalise(record)

        assert normalised.former_upns == ("J88123451200A",)
        assert normalised.all_upns == {"Y881234512001", "J88123451200A"}

    @pytest.mark.parametrize(("raw", "expected"), [("943 476 5919", "9434765919"), ("9434765918", None)])
    def test_nhs_number_is_compacted_or_dropped_when_invalid(self, raw: str, expected: str | None) -> None:
        assert normalise(replace(CHILD, nhs_number=raw)).nhs_number == expected


class TestSexAndPostcode:
    @pytest.mark.parametrize(("raw", "expected"), [("Male", "M"), ("f", "F"), ("Girl", "F"), ("X", None)])
    def test_sex_is_reduced_to_m_or_f(self, raw: str, expected: str | None) -> None:
        assert normalise(replace(CHILD, sex=raw)).sex == expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("cm12ab", "CM1 2AB"), (" sw1a 1aa ", "SW1A 1AA"), ("B33-8TH", "B33 8TH"), ("not a postcode", None)],
    )
    def test_postcode_is_formatted_or_dropped(self, raw: str, expected: str | None) -> None:
        assert normalise(replace(CHILD, postcode=raw)).postcode == expected

    def test_postcode_parts(self) -> None:
        normalised = normalise(replace(CHILD, postcode="SW1A 1AA"))

        assert normalised.postcode_outward == "SW1A"
        assert normalised.postcode_sector == "SW1A 1"


class TestAddresses:
    @pytest.mark.parametrize(
        "line",
        [
            "Flat 2, 10 High Street",
            "10 High Street Flat 2",
            "10, HIGH ST., FLAT 2",
            "2/10 High St",
            "Apt 2 10 High St",
        ],
    )
    def test_formatting_of_one_address_does_not_matter(self, line: str) -> None:
        assert normalise(replace(CHILD, address_line=line)).address_key == "10|high street|2"

    def test_st_before_a_name_is_saint(self) -> None:
        assert normalise(replace(CHILD, address_line="12 St Mary's Rd")).address_key == "12|saint marys road|"

    def test_house_number_letter_is_kept(self) -> None:
        assert normalise(replace(CHILD, address_line="10 A High St")).address_key == "10a|high street|"

    def test_different_flats_in_one_building_differ(self) -> None:
        first = normalise(replace(CHILD, address_line="Flat 1, 10 High Street")).address_key
        second = normalise(replace(CHILD, address_line="Flat 2, 10 High Street")).address_key

        assert first != second


class TestHousehold:
    def test_siblings_at_one_address_share_a_household_however_it_is_written(self) -> None:
        sister = replace(CHILD, given_name="Amelia", address_line="10 high st, flat 2", postcode="cm12ab")

        assert same_household(CHILD, sister)
        assert household_key(CHILD) == "CM1 2AB|10|high street|2"

    def test_neighbours_in_the_next_flat_are_another_household(self) -> None:
        assert not same_household(CHILD, replace(CHILD, address_line="Flat 3, 10 High Street"))

    def test_no_household_without_a_postcode(self) -> None:
        no_postcode = replace(CHILD, postcode=None)

        assert household_key(no_postcode) is None
        assert not same_household(no_postcode, no_postcode)


class TestBlockingKeys:
    def test_keys_are_few_plain_strings(self) -> None:
        keys = blocking_keys(replace(CHILD, upn="Y881234512001", nhs_number="9434765919"))

        assert 4 <= len(keys) <= 10
        assert all(isinstance(key, str) and ":" in key for key in keys)
        assert {"upn:Y881234512001", "nhs:9434765919"} <= keys

    def test_current_and_former_upns_are_both_keys(self) -> None:
        keys = blocking_keys(replace(CHILD, upn="M881234512002", former_upns=("Y881234512001",)))

        assert {"upn:M881234512002", "upn:Y881234512001"} <= keys

    def test_invalid_identifiers_give_no_keys(self) -> None:
        keys = blocking_keys(replace(CHILD, upn="A881234512001", nhs_number="1234567890"))

        assert not [key for key in keys if key.startswith(("upn:", "nhs:"))]

    @pytest.mark.parametrize(
        "variant",
        [
            replace(CHILD, given_name="Bill"),
            replace(CHILD, date_of_birth=date(2015, 4, 3)),
            replace(CHILD, family_name="Jones"),
            replace(CHILD, family_name="SmithJones", postcode="ZZ9 9ZZ"),
            replace(CHILD, given_name="Smith-Jones", family_name="William", postcode=None),
            replace(CHILD, date_of_birth=date(2015, 3, 14)),
            replace(CHILD, date_of_birth=None),
            replace(CHILD, family_name="Smith-Jnoes", postcode="ZZ9 9ZZ"),
        ],
        ids=[
            "nickname",
            "day and month swapped",
            "one part of the family name",
            "hyphen dropped after a move",
            "names swapped without a postcode",
            "wrong day",
            "no date of birth",
            "family typo after a move",
        ],
    )
    def test_noisy_record_of_the_same_child_shares_a_key(self, variant: PersonRecord) -> None:
        assert blocking_keys(variant) & blocking_keys(CHILD)

    def test_unrelated_child_shares_no_key(self) -> None:
        other = PersonRecord(
            given_name="Amira",
            family_name="Okafor",
            date_of_birth=date(2011, 11, 30),
            sex="F",
            postcode="CO4 9ZZ",
            address_line="7 Mill Lane",
        )

        assert not blocking_keys(other) & blocking_keys(CHILD)
