from collections import Counter
from pathlib import Path

import pytest

from services.intake.domain.schools import (
    GIAS_COLUMNS,
    REFERENCE_ESTABLISHMENTS_CSV,
    School,
    SchoolDirectory,
    load_establishments_csv,
)
from services.intake.domain.validation import normalise_postcode

HEADER = ",".join(GIAS_COLUMNS)


def _csv(*rows: str) -> str:
    return "\n".join((HEADER, *rows)) + "\n"


@pytest.fixture(scope="module")
def directory() -> SchoolDirectory:
    return load_establishments_csv(REFERENCE_ESTABLISHMENTS_CSV, home_la_code="885")


def test_the_reference_file_has_fictional_schools_in_county_and_next_door(directory: SchoolDirectory) -> None:
    by_la = Counter(school.la_code for school in directory)

    assert by_la["885"] == 42
    assert sum(count for la, count in by_la.items() if la != "885") == 10
    assert set(by_la) == {"885", "884", "330", "937", "916", "893", "332"}
    assert all(school.name.endswith("(fictional)") for school in directory)


def test_the_reference_file_has_well_formed_postcodes(directory: SchoolDirectory) -> None:
    assert all(normalise_postcode(school.postcode, allow_bfpo=False) == school.postcode for school in directory)


def test_a_school_is_read_with_all_its_fields(directory: SchoolDirectory) -> None:
    assert directory.lookup("8852001") == School(
        establishment_id="8852001",
        urn="990001",
        name="Puddleby Brook Primary School (fictional)",
        la_code="885",
        phase="Primary",
        status="Open",
        postcode="WR5 2NP",
    )


@pytest.mark.parametrize("school_id", ["8854028", "885/4028", " 885 4028 ", "990028"])
def test_lookup_by_dfe_number_in_any_usual_form_or_urn(directory: SchoolDirectory, school_id: str) -> None:
    school = directory.lookup(school_id)

    assert school is not None
    assert school.name == "Silverbirch High School (fictional)"


@pytest.mark.parametrize("school_id", ["", "8859999", "999999", "Silverbirch", "885/40A8"])
def test_lookup_of_an_unknown_school_finds_nothing(directory: SchoolDirectory, school_id: str) -> None:
    assert directory.lookup(school_id) is None


def test_in_county_means_the_home_local_authority(directory: SchoolDirectory) -> None:
    assert directory.home_la_code == "885"
    assert directory.is_in_county("8852001")
    assert directory.is_in_county("990001")
    assert not directory.is_in_county("8842043")
    assert not directory.is_in_county("3302045")
    assert not directory.is_in_county("8859999")


def test_the_same_file_read_for_another_authority_puts_other_schools_in_county() -> None:
    herefordshire = load_establishments_csv(REFERENCE_ESTABLISHMENTS_CSV, home_la_code="884")

    assert herefordshire.is_in_county("8842043")
    assert not herefordshire.is_in_county("8852001")


def test_open_status_follows_gias(directory: SchoolDirectory) -> None:
    closed = directory.lookup("8852016")
    closing = directory.lookup("8852015")

    assert closed is not None
    assert closing is not None
    assert not closed.is_open
    assert closing.is_open


def test_an_establishment_without_a_dfe_number_is_found_by_urn(directory: SchoolDirectory) -> None:
    centre = directory.lookup("990052")

    assert centre is not None
    assert centre.establishment_id is None


def test_a_reused_dfe_number_finds_the_open_school() -> None:
    directory = load_establishments_csv(
        _csv(
            "990100,885,4034,Old High School (fictional),Secondary,Open,WR9 0AX",
            "990101,885,4034,New Academy (fictional),Secondary,Open,WR9 0AX",
            "990102,885,4035,Older High School (fictional),Secondary,Closed,WR9 0AX",
            "990103,885,4035,Newer Academy (fictional),Secondary,Open,WR9 0AX",
        ),
        home_la_code="885",
    )

    first_open = directory.lookup("8854034")
    successor = directory.lookup("8854035")

    assert first_open is not None
    assert successor is not None
    assert first_open.urn == "990100"
    assert successor.urn == "990103"


def test_short_codes_are_zero_padded() -> None:
    directory = load_establishments_csv(_csv("990200,85,7,Tiny School (fictional),Primary,Open,WR5 2NP"), "085")

    school = directory.lookup("0850007")
    assert school is not None
    assert directory.is_in_county("0850007")


def test_extra_columns_are_ignored_and_column_order_does_not_matter() -> None:
    text = (
        "Postcode,Notes,EstablishmentName,URN,LA (code),EstablishmentNumber,"
        "EstablishmentStatus (name),PhaseOfEducation (name)\n"
        "WR5 2NP,anything,Some School (fictional),990300,885,2999,Open,Primary\n"
    )

    school = load_establishments_csv(text, "885").lookup("8852999")

    assert school is not None
    assert school.name == "Some School (fictional)"


def test_a_windows_1252_file_from_gias_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edubasealldata.csv"
    path.write_bytes(_csv("990400,885,2400,École Élan Primary (fictional),Primary,Open,WR5 2NP").encode("cp1252"))

    school = load_establishments_csv(path, "885").lookup("990400")

    assert school is not None
    assert school.name == "École Élan Primary (fictional)"


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "establishments.csv"
    path.write_bytes(_csv("990500,885,2500,Ysgol Ŵy Primary (fictional),Primary,Open,WR5 2NP").encode("utf-8-sig"))

    assert len(load_establishments_csv(path, "885")) == 1


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match=r"no column: EstablishmentNumber, Postcode"):
        load_establishments_csv(
            "URN,LA (code),EstablishmentName,PhaseOfEducation (name),EstablishmentStatus (name)\n", "885"
        )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",885,2001,No URN (fictional),Primary,Open,WR5 2NP", r"Line 2: URN must be a number"),
        ("990600,WOR,2001,Bad LA (fictional),Primary,Open,WR5 2NP", r"Line 2: LA \(code\) must be"),
        (
            "990600,885,20011,Long number (fictional),Primary,Open,WR5 2NP",
            r"Line 2: EstablishmentNumber must",
        ),
    ],
)
def test_a_bad_row_is_reported_by_line(row: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_establishments_csv(_csv(row), "885")


def test_a_duplicate_urn_is_refused() -> None:
    with pytest.raises(ValueError, match="URN 990700 appears more than once"):
        load_establishments_csv(
            _csv(
                "990700,885,2700,One (fictional),Primary,Open,WR5 2NP",
                "990700,885,2701,Two (fictional),Primary,Open,WR5 2NP",
            ),
            "885",
        )
