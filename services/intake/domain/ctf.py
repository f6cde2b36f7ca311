"""Reading DfE Common Transfer Files (CTF), the XML a school's MIS exports when a pupil moves.

Structure per domain-anchors §3.2: ``CTfile/Header`` and ``CTfile/CTFpupilData/Pupil``. Element names are
matched in any namespace, and a few elements are read from either of the places MIS suppliers put them
(``Sex`` or the older ``Gender``; names and date of birth directly under ``Pupil`` or in
``BasicDetails``; an address as BS7666 parts or as ``AddressLines``).

A file arrives from outside the LA, so it is parsed defensively:

* its size is checked before any parsing;
* a document type declaration is refused outright, which rules out entity expansion ("billion laughs")
  and external entities. The bytes are scanned for one before parsing (in UTF-8 and UTF-16) and the
  parsed document is checked again, for encodings the scan cannot see. Meanwhile the parser never
  resolves entities, loads a DTD, touches the network or lifts libxml2's limits on huge documents, so a
  payload that reaches it still cannot do harm.

A problem with the file as a whole raises ``CtfFileError``. A problem with one pupil is reported against
that pupil's position and the element concerned, and the other pupils are kept. Neither ever carries a
value from the file, because the values are children's personal data. For the same reason the records
holding personal data have no field-by-field ``repr``.
"""

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from services.intake.domain.validation import Problem, check_date_of_birth, check_upn, normalise_upn

_MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * _MIB
CTF_DOCUMENT_NAME = "Common Transfer File"
# A lost pupil's CTF goes to LA "XXX", school "XXXX", the Lost Pupil Database (domain-anchors §3.3).
LOST_PUPIL_LA = "XXX"
SEN_PROVISION_EHCP = "E"

# Checked in the encodings a CTF may come in, before parsing; see the module docstring.
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be"))
_XS_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?$")
_XS_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_FIX_IN_MIS = "Correct it in the school's MIS and export the file again"

Element = Any  # lxml ships no type information


class CtfFileError(ValueError):
    """The file cannot be read as a CTF at all. The message is safe to show and to log."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class CtfHeader:
    document_name: str
    ctf_version: str | None
    date_time: datetime
    document_qualifier: str | None
    supplier_id: str | None
    source_la: str | None
    source_estab: str | None
    source_school_name: str | None
    source_academic_year: str | None
    dest_la: str | None
    dest_estab: str | None

    @property
    def is_lost_pupil_file(self) -> bool:
        return self.dest_la == LOST_PUPIL_LA


@dataclass(frozen=True, repr=False)
class CtfAddress:
    saon: str | None
    paon: str | None
    street: str | None
    locality: str | None
    town: str | None
    county: str | None
    postcode: str | None
    lines: tuple[str, ...]
    country: str | None


@dataclass(frozen=True, repr=False)
class CtfPhone:
    telephone_type: str | None
    number: str


@dataclass(frozen=True, repr=False)
class CtfContact:
    order: int | None
    title: str | None
    forename: str | None
    surname: str | None
    relationship: str | None
    has_parental_responsibility: bool | None
    phones: tuple[CtfPhone, ...]
    email: str | None
    address: CtfAddress | None
    address_as_pupil: bool


@dataclass(frozen=True)
class CtfSchoolHistoryEntry:
    la: str | None
    estab: str | None
    school_name: str | None
    entry_date: date | None
    leaving_date: date | None
    leaving_reason: str | None


@dataclass(frozen=True, repr=False)
class CtfPupil:
    upn: str
    former_upns: tuple[str, ...]
    forename: str | None
    surname: str
    middle_names: str | None
    preferred_forename: str | None
    preferred_surname: str | None
    date_of_birth: date
    sex: str | None
    address: CtfAddress | None
    phones: tuple[CtfPhone, ...]
    email: str | None
    contacts: tuple[CtfContact, ...]
    in_care: bool
    care_authority: str | None
    sen_provision: str | None
    school_history: tuple[CtfSchoolHistoryEntry, ...]

    @property
    def has_ehcp(self) -> bool:
        return self.sen_provision == SEN_PROVISION_EHCP


@dataclass(frozen=True)
class PupilProblem:
    """Why one pupil was left out. ``index`` is the 0-based position of its ``Pupil`` element in the file;
    ``line`` is that element's line, to help whoever fixes the export find it."""

    index: int
    upn_present: bool
    problems: list[Problem]
    line: int | None = None


@dataclass(frozen=True)
class CtfParseResult:
    header: CtfHeader
    pupils: list[CtfPupil]
    problems: list[PupilProblem]


def _any_namespace(path: str) -> str:
    return "/".join(f"{{*}}{step}" for step in path.split("/"))


def _find(element: Element, path: str) -> Element | None:
    return element.find(_any_namespace(path))


def _find_all(element: Element, path: str) -> list[Element]:
    return list(element.iterfind(_any_namespace(path)))


def _text(element: Element | None, *paths: str) -> str | None:
    """The trimmed text of the first of ``paths`` that has any, or ``None``."""
    if element is None:
        return None
    for path in paths:
        found = _find(element, path)
        if found is not None and found.text is not None and found.text.strip():
            return str(found.text).strip()
    return None


class _PupilReader:
    """Reads one ``Pupil`` element, collecting every problem instead of stopping at the first."""

    def __init__(self, pupil: Element, file_date: date) -> None:
        self._pupil = pupil
        self._file_date = file_date
        self.problems: list[Problem] = []

    def _date(self, element: Element, path: str, field: str, label: str) -> date | None:
        raw = _text(element, path)
        if raw is None:
            return None
        match = _XS_DATE.match(raw)
        if match is not None:
            with suppress(ValueError):  # shaped like a date but not one, such as 30 February
                return date.fromisoformat(match.group(1))
        self.problems.append(Problem(field, f"{label} is not a real date. {_FIX_IN_MIS}"))
        return None

    def _boolean(self, element: Element, path: str, field: str) -> bool | None:
        raw = _text(element, path)
        if raw is None:
            return None
        value = _XS_BOOLEANS.get(raw.lower())
        if value is None:
            self.problems.append(Problem(field, f"{field} must be true or false. {_FIX_IN_MIS}"))
        return value

    def _missing(self, field: str, label: str) -> None:
        self.problems.append(
            Problem(field, f"{label} is missing. Add it in the school's MIS and export the file again")
        )

    def _upn(self) -> str | None:
        raw = _text(self._pupil, "UPN")
        if raw is None:
            self._missing("UPN", "UPN")
            return None
        problems = check_upn(raw, "UPN")
        self.problems.extend(problems)
        return None if problems else normalise_upn(raw)

    def _former_upns(self) -> tuple[str, ...]:
        former: list[str] = []
        for path in ("FormerUPN", "BasicDetails/FormerUPN"):
            for element in _find_all(self._pupil, path):
                raw = (element.text or "").strip()
                if not raw:
                    continue
                problems = check_upn(raw, path)
                self.problems.extend(problems)
                if not problems:
                    former.append(normalise_upn(raw))
        return tuple(dict.fromkeys(former))

    def _date_of_birth(self) -> date | None:
        path = next((path for path in ("DOB", "BasicDetails/DOB") if _text(self._pupil, path)), None)
        if path is None:
            self._missing("DOB", "Date of birth")
            return None
        dob = self._date(self._pupil, path, "DOB", "Date of birth")
        if dob is None:
            return None
        problems = check_date_of_birth(dob, self._file_date, "DOB")
        self.problems.extend(problems)
        return None if problems else dob

    def _looked_after(self) -> tuple[bool, str | None]:
        looked_after = _find(self._pupil, "LookedAfter")
        in_care = self._boolean(looked_after, "InCare", "LookedAfter/InCare") if looked_after is not None else None
        return bool(in_care), _text(looked_after, "CareAuthority")

    def _sen_provision(self) -> str | None:
        # The latest provision by start date is the current one; an entry without a date counts as oldest.
        latest: tuple[date, int, str | None] | None = None
        for position, sen in enumerate(_find_all(self._pupil, "SENhistory/SEN"), start=1):
            started = self._date(sen, "StartDate", f"SENhistory/SEN[{position}]/StartDate", "SEN start date")
            candidate = (started or date.min, position, _text(sen, "SENprovision"))
            if latest is None or candidate[:2] > latest[:2]:
                latest = candidate
        return None if latest is None else latest[2]

    def _school_history(self) -> tuple[CtfSchoolHistoryEntry, ...]:
        entries = []
        for position, school in enumerate(_find_all(self._pupil, "SchoolHistory/School"), start=1):
            field = f"SchoolHistory/School[{position}]"
            entries.append(
                CtfSchoolHistoryEntry(
                    la=_text(school, "LEA"),
                    estab=_text(school, "Estab"),
                    school_name=_text(school, "SchoolName"),
                    entry_date=self._date(school, "EntryDate", f"{field}/EntryDate", "School entry date"),
                    leaving_date=self._date(school, "LeavingDate", f"{field}/LeavingDate", "School leaving date"),
                    leaving_reason=_text(school, "LeavingReason"),
                )
            )
        return tuple(entries)

    def _contacts(self) -> tuple[CtfContact, ...]:
        contacts = []
        for position, contact in enumerate(_find_all(self._pupil, "Contacts/Contact"), start=1):
            order = _text(contact, "Order")
            address = _find(contact, "Address")
            contacts.append(
                CtfContact(
                    order=int(order) if order is not None and order.isdigit() else None,
                    title=_text(contact, "Title"),
                    forename=_text(contact, "Forename"),
                    surname=_text(contact, "Surname"),
                    relationship=_text(contact, "Relationship"),
                    has_parental_responsibility=self._boolean(
                        contact, "Responsibility", f"Contacts/Contact[{position}]/Responsibility"
                    ),
                    phones=_phones(contact),
                    email=_email(contact),
                    address=_address(address) if address is not None else None,
                    address_as_pupil=bool(
                        self._boolean(contact, "AddressAsPupil", f"Contacts/Contact[{position}]/AddressAsPupil")
                    ),
                )
            )
        return tuple(contacts)

    def read(self) -> CtfPupil | None:
        """The pupil, or ``None`` when ``problems`` says why it cannot be used."""
        upn = self._upn()
        former_upns = self._former_upns()
        surname = _text(self._pupil, "Surname", "BasicDetails/Surname")
        if surname is None:
            self._missing("Surname", "Surname")
        date_of_birth = self._date_of_birth()
        in_care, care_authority = self._looked_after()
        sen_provision = self._sen_provision()
        school_history = self._school_history()
        contacts = self._contacts()
        if self.problems or upn is None or surname is None or date_of_birth is None:
            return None
        address = _find(self._pupil, "Address")
        return CtfPupil(
            upn=upn,
            former_upns=former_upns,
            forename=_text(self._pupil, "Forename", "BasicDetails/Forename"),
            surname=surname,
            middle_names=_text(self._pupil, "BasicDetails/MiddleNames", "MiddleNames"),
            preferred_forename=_text(self._pupil, "BasicDetails/PreferredForename", "PreferredForename"),
            preferred_surname=_text(self._pupil, "BasicDetails/PreferredSurname", "PreferredSurname"),
            date_of_birth=date_of_birth,
            sex=_text(self._pupil, "Sex", "Gender", "BasicDetails/Sex", "BasicDetails/Gender"),
            address=_address(address) if address is not None else None,
            phones=_phones(self._pupil),
            email=_email(self._pupil),
            contacts=contacts,
            in_care=in_care,
            care_authority=care_authority,
            sen_provision=sen_provision,
            school_history=school_history,
        )


def _phones(owner: Element) -> tuple[CtfPhone, ...]:
    phones = []
    for phone in _find_all(owner, "Phones/Phone"):
        number = _text(phone, "PhoneNo")
        if number is not None:
            phones.append(CtfPhone(telephone_type=_text(phone, "TelephoneType"), number=number))
    return tuple(phones)


def _email(owner: Element) -> str | None:
    return _text(owner, "Email/EmailAddress", "Email")


def _address(address: Element) -> CtfAddress:
    lines = tuple(
        str(line.text).strip()
        for line in _find_all(address, "AddressLines/*")
        if line.text is not None and line.text.strip()
    )
    return CtfAddress(
        saon=_text(address, "BS7666Address/SAON", "SAON"),
        paon=_text(address, "BS7666Address/PAON", "PAON"),
        street=_text(address, "BS7666Address/Street", "Street"),
        locality=_text(address, "BS7666Address/Locality", "Locality"),
        town=_text(address, "BS7666Address/Town", "Town", "BS7666Address/PostTown"),
        county=_text(address, "County", "BS7666Address/AdministrativeArea", "BS7666Address/County"),
        postcode=_text(address, "PostCode", "Postcode", "BS7666Address/PostCode", "BS7666Address/Postcode"),
        lines=lines,
        country=_text(address, "Country"),
    )


def _header_date_time(raw: str | None) -> datetime:
    if raw is not None:
        with suppress(ValueError):
            return datetime.fromisoformat(raw)
    raise CtfFileError("The file header has no valid DateTime. Export the file again from the school's MIS")


def _header(root: Element) -> CtfHeader:
    header = _find(root, "Header")
    if header is None:
        raise CtfFileError("The file has no Header, so it is not a Common Transfer File")
    document_name = _text(header, "DocumentName")
    if document_name is None or document_name.casefold() != CTF_DOCUMENT_NAME.casefold():
        raise CtfFileError(f"The file's DocumentName is not '{CTF_DOCUMENT_NAME}', so it is not a CTF")
    date_time = _header_date_time(_text(header, "DateTime"))
    return CtfHeader(
        document_name=document_name,
        ctf_version=_text(header, "CTFversion"),
        date_time=date_time,
        document_qualifier=_text(header, "DocumentQualifier"),
        supplier_id=_text(header, "SupplierID"),
        source_la=_text(header, "SourceSchool/LEA"),
        source_estab=_text(header, "SourceSchool/Estab"),
        source_school_name=_text(header, "SourceSchool/SchoolName"),
        source_academic_year=_text(header, "SourceSchool/AcademicYear"),
        dest_la=_text(header, "DestSchool/LEA"),
        dest_estab=_text(header, "DestSchool/Estab"),
    )


def _size(length: int) -> str:
    return f"{length // _MIB} MiB" if length % _MIB == 0 else f"{length} bytes"


def _parse_xml(data: bytes, max_bytes: int) -> Element:
    if len(data) > max_bytes:
        raise CtfFileError(f"The file is larger than the limit of {_size(max_bytes)} for a CTF")
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise CtfFileError("The file contains a document type declaration (DOCTYPE), which a CTF never has")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        # libxml2's own message can quote element names from the file, so it is not passed on.
        raise CtfFileError(
            "The file is not well-formed XML. Export the file again from the school's MIS",
            line=error.lineno,
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CtfFileError("The file contains a document type declaration (DOCTYPE), which a CTF never has")
    if etree.QName(root).localname != "CTfile":
        raise CtfFileError("The file is XML but not a Common Transfer File (its root element is not CTfile)")
    return root


def parse_ctf(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CtfParseResult:
    """The header and pupils of a CTF, with the pupils that could not be read listed in ``problems``.

    Raises ``CtfFileError`` when the file is too large, is not well-formed XML, has a DOCTYPE, or is
    not a CTF.
    """
    root = _parse_xml(data, max_bytes)
    header = _header(root)
    pupils: list[CtfPupil] = []
    problems: list[PupilProblem] = []
    for index, element in enumerate(_find_all(root, "CTFpupilData/Pupil")):
        reader = _PupilReader(element, header.date_time.date())
        pupil = reader.read()
        if pupil is None:
            problems.append(
                PupilProblem(
                    index=index,
                    upn_present=_text(element, "UPN") is not None,
                    problems=reader.problems,
                    line=element.sourceline,
                )
            )
        else:
            pupils.append(pupil)
    return CtfParseResult(header=header, pupils=pupils, problems=problems)
