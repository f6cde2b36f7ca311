import importlib.util
import re
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import pytest

from services.intake.domain.ctf import (
    DEFAULT_MAX_BYTES,
    CtfFileError,
    CtfParseResult,
    CtfSchoolHistoryEntry,
    parse_ctf,
)
from services.intake.domain.validation import Problem

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "ctf"
MALFORMED_POSITION = 317


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_ctf", FIXTURES / "make_ctf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_ctf = _load_generator()


def _ctf(pupils: str, *, header_extra: str = "", date_time: str = "2025-10-06T09:30:00") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header>
    <DocumentName>Common Transfer File</DocumentName>
    <CTFversion>25.0</CTFversion>
    <DateTime>{date_time}</DateTime>
    <DocumentQualifier>partial</DocumentQualifier>
    <SupplierID>tests</SupplierID>
    <SourceSchool><LEA>885</LEA><Estab>4028</Estab>
      <SchoolName>Silverbirch High School (fictional)</SchoolName><AcademicYear>2025</AcademicYear>
    </SourceSchool>
    {header_extra}
  </Header>
  <CTFpupilData>{pupils}</CTFpupilData>
</CTfile>""".encode()


def _pupil(
    *,
    upn: str | None = "B801200005001",
    surname: str | None = "Applebury",
    dob: str | None = "2012-04-20",
    extra: str = "",
) -> str:
    parts = [
        f"<UPN>{upn}</UPN>" if upn is not None else "",
        f"<Surname>{surname}</Surname>" if surname is not None else "",
        "<Forename>Ada</Forename>",
        f"<DOB>{dob}</DOB>" if dob is not None else "",
        extra,
    ]
    return f"<Pupil>{''.join(parts)}</Pupil>"


def _only_problem(result: CtfParseResult) -> list[Problem]:
    assert result.pupils == []
    assert len(result.problems) == 1
    return result.problems[0].problems


# --- The committed fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def five_hundred() -> CtfParseResult:
    return parse_ctf((FIXTURES / "ctf_500_one_malformed.xml").read_bytes())


def test_the_500_pupil_file_keeps_499_pupils_and_reports_the_malformed_one(
    five_hundred: CtfParseResult,
) -> None:
    assert len(five_hundred.pupils) == 499
    assert len(five_hundred.problems) == 1
    problem = five_hundred.problems[0]
    assert problem.index == MALFORMED_POSITION
    assert problem.upn_present
    assert problem.line is not None
    assert problem.problems == [
        Problem("Surname", "Surname is missing. Add it in the school's MIS and export the file again"),
        Problem(
            "DOB",
            "Date of birth is not a real date. Correct it in the school's MIS and export the file again",
        ),
    ]


def test_the_pupils_around_the_malformed_one_are_kept(five_hundred: CtfParseResult) -> None:
    upns = [pupil.upn for pupil in five_hundred.pupils]

    assert len(set(upns)) == 499
    assert upns[MALFORMED_POSITION - 1].endswith(f"{MALFORMED_POSITION:03d}")
    assert upns[MALFORMED_POSITION].endswith(f"{MALFORMED_POSITION + 2:03d}")


def test_the_500_pupil_file_carries_the_variety_the_generator_makes(five_hundred: CtfParseResult) -> None:
    pupils = five_hundred.pupils

    assert any(pupil.has_ehcp for pupil in pupils)
    assert any(pupil.in_care and pupil.care_authority == "885" for pupil in pupils)
    assert any(pupil.former_upns for pupil in pupils)
    assert any(pupil.address is not None and pupil.address.lines for pupil in pupils)
    assert any(pupil.address is not None and pupil.address.saon for pupil in pupils)
    assert all(pupil.contacts and len(pupil.school_history) == 2 for pupil in pupils)


@pytest.mark.parametrize(
    ("name", "pupils", "malformed_at"),
    [("ctf_500_one_malformed.xml", 500, MALFORMED_POSITION), ("ctf_3_valid.xml", 3, None)],
)
def test_the_committed_fixtures_are_what_the_generator_makes(name: str, pupils: int, malformed_at: int | None) -> None:
    assert (FIXTURES / name).read_bytes() == make_ctf.build_ctf(pupils, malformed_at=malformed_at)


def test_the_generator_is_deterministic_and_seeded() -> None:
    assert make_ctf.build_ctf(5, seed=7) == make_ctf.build_ctf(5, seed=7)
    assert make_ctf.build_ctf(5, seed=7) != make_ctf.build_ctf(5, seed=8)


def test_a_generated_file_of_thousands_of_pupils_gives_each_a_valid_upn_of_its_own() -> None:
    # A UPN's serial has three digits: the first bench file of 10,000 pupils had 9,001 unreadable ones.
    result = parse_ctf(make_ctf.build_ctf(2_500))

    assert (len(result.pupils), result.problems) == (2_500, [])
    assert len({pupil.upn for pupil in result.pupils}) == 2_500


def test_the_small_file_reads_header_and_pupils() -> None:
    result = parse_ctf((FIXTURES / "ctf_3_valid.xml").read_bytes())

    assert result.problems == []
    assert len(result.pupils) == 3
    header = result.header
    assert header.document_name == "Common Transfer File"
    assert header.ctf_version == "25.0"
    assert header.date_time == datetime(2025, 10, 6, 9, 30)
    assert header.document_qualifier == "partial"
    assert (header.source_la, header.source_estab) == ("885", "4028")
    assert header.source_school_name == "Silverbirch High School (fictional)"
    assert header.source_academic_year == "2025"
    assert (header.dest_la, header.dest_estab) == ("885", "4027")
    assert not header.is_lost_pupil_file
    pupil = result.pupils[0]
    assert pupil.upn == "X885402817001"
    assert (pupil.forename, pupil.surname) == ("Caleb", "Yarrowby")
    assert pupil.date_of_birth == date(2012, 4, 20)
    assert pupil.address is not None
    assert (pupil.address.paon, pupil.address.street, pupil.address.town) == ("46", "Owl Close", "Malvern")
    assert (pupil.address.county, pupil.address.postcode) == ("Worcestershire", "WR14 3PA")
    assert [phone.number for phone in pupil.phones] == ["01632 960539", "07700 900745"]
    assert pupil.email == "family1@example.com"
    contact = pupil.contacts[0]
    assert (contact.order, contact.title, contact.relationship) == (1, "Mr", "PAF")
    assert contact.has_parental_responsibility is True
    assert contact.address_as_pupil
    assert pupil.school_history[0] == CtfSchoolHistoryEntry(
        la="885",
        estab="2001",
        school_name="Puddleby Brook Primary School (fictional)",
        entry_date=date(2017, 9, 1),
        leaving_date=date(2023, 7, 20),
        leaving_reason=None,
    )


# --- Reading pupils ----------------------------------------------------------------------------------


def test_a_pupil_is_read_with_every_section() -> None:
    extra = """
      <Sex>F</Sex>
      <BasicDetails>
        <FormerUPN>b801 2000 05001</FormerUPN>
        <PreferredSurname>Apple</PreferredSurname>
        <PreferredForename>Addy</PreferredForename>
        <MiddleNames>Rose Mary</MiddleNames>
      </BasicDetails>
      <LookedAfter><InCare>true</InCare><CareAuthority>884</CareAuthority></LookedAfter>
      <SENhistory>
        <SEN><StartDate>2020-09-01</StartDate><SENprovision>E</SENprovision></SEN>
        <SEN><StartDate>2018-09-01</StartDate><SENprovision>K</SENprovision></SEN>
      </SENhistory>
      <Address>
        <BS7666Address><SAON>Flat 2</SAON><PAON>7</PAON><Street>Lark Rise</Street>
          <Locality>St Johns</Locality><Town>Worcester</Town></BS7666Address>
        <County>Worcestershire</County><PostCode>WR2 6HD</PostCode>
      </Address>
      <Contacts>
        <Contact>
          <Order>2</Order><Title>Ms</Title><Surname>Applebury</Surname><Forename>Nell</Forename>
          <Relationship>CAR</Relationship><Responsibility>false</Responsibility>
          <Phones><Phone><TelephoneType>M</TelephoneType><PhoneNo>07700 900123</PhoneNo></Phone></Phones>
          <Email>nell@example.com</Email>
          <Address><AddressLines><AddressLine1>1 Owl Close</AddressLine1><AddressLine2>Evesham</AddressLine2>
          </AddressLines><PostCode>WR11 4TY</PostCode></Address>
        </Contact>
      </Contacts>
      <SchoolHistory><School><LEA>884</LEA><Estab>2043</Estab><SchoolName>Wyebend Primary School (fictional)
      </SchoolName><EntryDate>2017-09-04</EntryDate><LeavingDate>2019-04-05</LeavingDate>
      <LeavingReason>MOVE</LeavingReason></School></SchoolHistory>
    """
    result = parse_ctf(_ctf(_pupil(upn="L940123424001", extra=extra)))

    assert result.problems == []
    pupil = result.pupils[0]
    assert pupil.upn == "L940123424001"
    assert pupil.former_upns == ("B801200005001",)
    assert (pupil.preferred_forename, pupil.preferred_surname) == ("Addy", "Apple")
    assert pupil.middle_names == "Rose Mary"
    assert pupil.sex == "F"
    assert pupil.in_care
    assert pupil.care_authority == "884"
    assert pupil.sen_provision == "E"
    assert pupil.has_ehcp
    assert pupil.address is not None
    assert (pupil.address.saon, pupil.address.locality, pupil.address.postcode) == (
        "Flat 2",
        "St Johns",
        "WR2 6HD",
    )
    contact = pupil.contacts[0]
    assert (contact.order, contact.forename, contact.surname) == (2, "Nell", "Applebury")
    assert contact.has_parental_responsibility is False
    assert not contact.address_as_pupil
    assert contact.email == "nell@example.com"
    assert contact.phones[0].telephone_type == "M"
    assert contact.address is not None
    assert contact.address.lines == ("1 Owl Close", "Evesham")
    assert pupil.school_history[0].leaving_reason == "MOVE"
    assert pupil.school_history[0].school_name == "Wyebend Primary School (fictional)"


def test_older_files_with_gender_instead_of_sex_are_read() -> None:
    result = parse_ctf(_ctf(_pupil(extra="<Gender>M</Gender>")))

    assert result.pupils[0].sex == "M"


def test_a_pupil_without_optional_sections_has_empty_ones() -> None:
    pupil = parse_ctf(_ctf(_pupil())).pupils[0]

    assert pupil.address is None
    assert pupil.contacts == ()
    assert pupil.school_history == ()
    assert pupil.former_upns == ()
    assert not pupil.in_care
    assert pupil.sen_provision is None
    assert not pupil.has_ehcp


def test_names_and_date_of_birth_inside_basic_details_are_read() -> None:
    pupil_xml = (
        "<Pupil><UPN>B801200005001</UPN><BasicDetails><Surname>Inkwater</Surname><Forename>Otis</Forename>"
        "<DOB>2013-01-31</DOB></BasicDetails></Pupil>"
    )

    pupil = parse_ctf(_ctf(pupil_xml)).pupils[0]

    assert (pupil.forename, pupil.surname, pupil.date_of_birth) == ("Otis", "Inkwater", date(2013, 1, 31))


def test_a_file_in_a_namespace_is_read() -> None:
    data = _ctf(_pupil()).replace(b"<CTfile>", b'<CTfile xmlns="urn:example:ctf">')

    assert len(parse_ctf(data).pupils) == 1


def test_a_file_with_no_pupils_is_read() -> None:
    result = parse_ctf(_ctf(""))

    assert (result.pupils, result.problems) == ([], [])


def test_a_lost_pupil_file_is_recognised() -> None:
    result = parse_ctf(_ctf(_pupil(), header_extra="<DestSchool><LEA>XXX</LEA><Estab>XXXX</Estab></DestSchool>"))

    assert result.header.is_lost_pupil_file


# --- Malformed pupils --------------------------------------------------------------------------------


def test_a_pupil_without_a_upn_is_reported_as_such() -> None:
    result = parse_ctf(_ctf(_pupil(upn=None)))

    assert _only_problem(result) == [
        Problem("UPN", "UPN is missing. Add it in the school's MIS and export the file again")
    ]
    assert not result.problems[0].upn_present


def test_a_pupil_with_an_invalid_upn_is_reported_without_the_upn() -> None:
    result = parse_ctf(_ctf(_pupil(upn="A801200005001")))

    assert _only_problem(result) == [
        Problem("UPN", "Check the UPN, the first letter does not match the rest of the number")
    ]
    assert result.problems[0].upn_present


def test_an_invalid_former_upn_is_reported() -> None:
    result = parse_ctf(_ctf(_pupil(extra="<BasicDetails><FormerUPN>A801200005001</FormerUPN></BasicDetails>")))

    assert [problem.field for problem in _only_problem(result)] == ["BasicDetails/FormerUPN"]


def test_a_pupil_missing_surname_and_date_of_birth_gets_both_problems() -> None:
    problems = _only_problem(parse_ctf(_ctf(_pupil(surname=None, dob=None))))

    assert problems == [
        Problem("Surname", "Surname is missing. Add it in the school's MIS and export the file again"),
        Problem("DOB", "Date of birth is missing. Add it in the school's MIS and export the file again"),
    ]


@pytest.mark.parametrize("dob", ["2012-13-01", "20/04/2012", "2012-04-20T00:00:00", "yesterday"])
def test_a_date_of_birth_that_is_not_a_date_is_reported(dob: str) -> None:
    assert _only_problem(parse_ctf(_ctf(_pupil(dob=dob)))) == [
        Problem(
            "DOB",
            "Date of birth is not a real date. Correct it in the school's MIS and export the file again",
        )
    ]


def test_a_date_of_birth_after_the_file_was_made_is_reported() -> None:
    assert _only_problem(parse_ctf(_ctf(_pupil(dob="2025-10-07")))) == [
        Problem("DOB", "Date of birth must be in the past")
    ]


def test_bad_values_deeper_in_the_pupil_are_reported_by_element() -> None:
    extra = (
        "<LookedAfter><InCare>maybe</InCare></LookedAfter>"
        "<SENhistory><SEN><StartDate>2020-02-30</StartDate><SENprovision>K</SENprovision></SEN></SENhistory>"
        "<Contacts><Contact><Responsibility>Y</Responsibility></Contact></Contacts>"
        "<SchoolHistory><School><EntryDate>2019-09-03</EntryDate></School>"
        "<School><EntryDate>2021-09-31</EntryDate></School></SchoolHistory>"
    )

    problems = _only_problem(parse_ctf(_ctf(_pupil(extra=extra))))

    assert [problem.field for problem in problems] == [
        "LookedAfter/InCare",
        "SENhistory/SEN[1]/StartDate",
        "SchoolHistory/School[2]/EntryDate",
        "Contacts/Contact[1]/Responsibility",
    ]


def test_malformed_pupils_are_reported_by_position_and_the_others_kept() -> None:
    pupils = _pupil() + _pupil(surname=None) + _pupil(upn="B801200005001 ") + _pupil(dob="2012-02-30")

    result = parse_ctf(_ctf(pupils))

    assert len(result.pupils) == 2
    assert [problem.index for problem in result.problems] == [1, 3]


def test_problem_messages_never_carry_the_pupils_data() -> None:
    pupils = _pupil(upn="A801200005001", surname="Nettlebrook", dob="2011-02-29") + _pupil(
        upn="E000200005001", surname="Sallowmere"
    )

    result = parse_ctf(_ctf(pupils))

    messages = " ".join(problem.message for entry in result.problems for problem in entry.problems)
    for value in ("A801200005001", "E000200005001", "Nettlebrook", "Sallowmere", "2011-02-29"):
        assert value not in messages


def test_a_pupils_repr_carries_no_personal_data() -> None:
    pupil = parse_ctf((FIXTURES / "ctf_3_valid.xml").read_bytes()).pupils[0]

    for text in (repr(pupil), repr(pupil.address), repr(pupil.contacts[0]), repr(pupil.phones[0])):
        assert "Yarrowby" not in text
        assert "X885402817001" not in text
        assert "WR14" not in text
        assert "01632" not in text


# --- Files that are refused --------------------------------------------------------------------------


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CTfile><Header><DocumentName>&lol9;</DocumentName></Header></CTfile>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CTfile><Header><DocumentName>Common Transfer File</DocumentName><DateTime>2025-10-06T09:30:00</DateTime>
<SupplierID>&secret;</SupplierID></Header><CTFpupilData/></CTfile>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile SYSTEM "http://127.0.0.1:9/ctf.dtd">
<CTfile><Header><DocumentName>Common Transfer File</DocumentName></Header></CTfile>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<CTfile/>"""

DOCTYPE_REFUSED = "The file contains a document type declaration (DOCTYPE), which a CTF never has"


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        EXTERNAL_DTD,
        PARAMETER_ENTITY,
        EXTERNAL_ENTITY.decode().replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>').encode("utf-16"),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity", "external-entity-utf16"],
)
def test_a_file_with_a_doctype_is_refused(data: bytes) -> None:
    with pytest.raises(CtfFileError, match=re.escape(DOCTYPE_REFUSED)):
        parse_ctf(data)


def test_a_doctype_in_an_encoding_the_byte_scan_misses_is_refused_after_parsing() -> None:
    utf32 = EXTERNAL_ENTITY.decode().replace('version="1.0"?>', 'version="1.0" encoding="UTF-32"?>')

    with pytest.raises(CtfFileError, match=re.escape(DOCTYPE_REFUSED)):
        parse_ctf(utf32.encode("utf-32"))


def test_an_oversized_file_is_refused_before_parsing() -> None:
    data = _ctf(_pupil() * 50)

    with pytest.raises(CtfFileError, match=rf"larger than the limit of {len(data) - 1} bytes"):
        parse_ctf(data, max_bytes=len(data) - 1)
    assert len(parse_ctf(data, max_bytes=len(data)).pupils) == 50


def test_the_default_size_limit_is_20_mib() -> None:
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024
    with pytest.raises(CtfFileError, match=r"larger than the limit of 20 MiB"):
        parse_ctf(b" " * (DEFAULT_MAX_BYTES + 1))


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not xml", b"<CTfile><Header>", b"<CTfile><Surname>Nettlebrook</Forename></CTfile>"],
    ids=["empty", "text", "truncated", "mismatched-tags"],
)
def test_a_file_that_is_not_well_formed_is_refused_without_its_content(data: bytes) -> None:
    with pytest.raises(CtfFileError, match=r"not well-formed XML") as refused:
        parse_ctf(data)

    assert "Nettlebrook" not in str(refused.value)
    assert "Forename" not in str(refused.value)


def test_the_line_of_a_syntax_error_is_kept() -> None:
    with pytest.raises(CtfFileError) as refused:
        parse_ctf(b"<CTfile>\n<Header>\n</CTfile>")

    assert refused.value.line == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><body>CTF</body></html>", r"not a Common Transfer File \(its root element is not CTfile\)"),
        (b"<ATfile><Header/></ATfile>", r"root element is not CTfile"),
        (b"<CTfile><CTFpupilData/></CTfile>", r"no Header"),
        (
            b"<CTfile><Header><DocumentName>Admissions Transfer File</DocumentName></Header></CTfile>",
            r"DocumentName is not 'Common Transfer File'",
        ),
    ],
)
def test_xml_that_is_not_a_ctf_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(CtfFileError, match=message):
        parse_ctf(data)


@pytest.mark.parametrize("date_time", ["", "06/10/2025 09:30", "2025-13-06T09:30:00"])
def test_a_header_without_a_valid_date_time_is_refused(date_time: str) -> None:
    with pytest.raises(CtfFileError, match=r"no valid DateTime"):
        parse_ctf(_ctf(_pupil(), date_time=date_time))
