"""The directory of schools a leaver return may name as the destination.

Schools are identified either by their DfE number, "LLLEEEE" (3-digit LA code and 4-digit establishment
number, often written "885/2001"), or by their URN. The data comes from a CSV in the shape of a Get
Information about Schools (GIAS) extract.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REFERENCE_ESTABLISHMENTS_CSV = Path(__file__).resolve().parent.parent / "reference" / "establishments.csv"

GIAS_COLUMNS = (
    "URN",
    "LA (code)",
    "EstablishmentNumber",
    "EstablishmentName",
    "PhaseOfEducation (name)",
    "EstablishmentStatus (name)",
    "Postcode",
)

# GIAS statuses under which a school is taking pupils now.
_OPEN_STATUSES = frozenset({"Open", "Open, but proposed to close"})
_ESTABLISHMENT_ID_LENGTH = 7


@dataclass(frozen=True)
class School:
    establishment_id: str | None
    urn: str
    name: str
    la_code: str
    phase: str
    status: str
    postcode: str

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN_STATUSES


def _compact_id(school_id: str) -> str:
    return "".join(character for character in school_id if character.isalnum())


class SchoolDirectory:
    """Schools looked up by DfE number or URN, and whether they are in the home local authority."""

    def __init__(self, schools: Iterable[School], home_la_code: str) -> None:
        self._home_la_code = home_la_code
        self._by_urn: dict[str, School] = {}
        self._by_establishment_id: dict[str, School] = {}
        for school in schools:
            if school.urn in self._by_urn:
                raise ValueError(f"URN {school.urn} appears more than once")
            self._by_urn[school.urn] = school
            if school.establishment_id is None:
                continue
            # A DfE number can pass from a closed school to its successor; the open school is the one a
            # pupil can be moving to.
            existing = self._by_establishment_id.get(school.establishment_id)
            if existing is None or (school.is_open and not existing.is_open):
                self._by_establishment_id[school.establishment_id] = school

    @property
    def home_la_code(self) -> str:
        return self._home_la_code

    def lookup(self, school_id: str) -> School | None:
        """The school with this DfE number ("8852001", "885/2001") or URN, or ``None``."""
        compact = _compact_id(school_id)
        if not compact.isdigit():
            return None
        if len(compact) == _ESTABLISHMENT_ID_LENGTH and compact in self._by_establishment_id:
            return self._by_establishment_id[compact]
        return self._by_urn.get(compact)

    def is_in_county(self, school_id: str) -> bool:
        school = self.lookup(school_id)
        return school is not None and school.la_code == self._home_la_code

    def __len__(self) -> int:
        return len(self._by_urn)

    def __iter__(self) -> Iterator[School]:
        return iter(self._by_urn.values())


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # GIAS downloads are Windows-1252, which has accented school names.
        return raw.decode("cp1252")


def _school_from_row(row: dict[str, str], line: int) -> School:
    def cell(column: str) -> str:
        return (row.get(column) or "").strip()

    urn = cell("URN")
    la_code = cell("LA (code)")
    if not urn.isdigit():
        raise ValueError(f"Line {line}: URN must be a number")
    if not (la_code.isdigit() and len(la_code) <= 3):
        raise ValueError(f"Line {line}: LA (code) must be a number of up to 3 digits")
    la_code = la_code.zfill(3)
    establishment_number = cell("EstablishmentNumber")
    if establishment_number and not (establishment_number.isdigit() and len(establishment_number) <= 4):
        raise ValueError(f"Line {line}: EstablishmentNumber must be a number of up to 4 digits")
    return School(
        # Some establishment types (children's centres, for example) have no DfE number, only a URN.
        establishment_id=f"{la_code}{establishment_number.zfill(4)}" if establishment_number else None,
        urn=urn,
        name=cell("EstablishmentName"),
        la_code=la_code,
        phase=cell("PhaseOfEducation (name)"),
        status=cell("EstablishmentStatus (name)"),
        postcode=cell("Postcode"),
    )


def load_establishments_csv(path_or_text: Path | str, home_la_code: str) -> SchoolDirectory:
    """A directory from a GIAS-shaped CSV: a ``Path`` is read (UTF-8, or Windows-1252 as GIAS exports),
    a ``str`` is the CSV text itself. Extra columns are ignored.

    Reading the file is the one piece of I/O in the domain package; call it once when the service starts.
    """
    text = _decode(path_or_text.read_bytes()) if isinstance(path_or_text, Path) else path_or_text
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in GIAS_COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"The establishments CSV has no column: {', '.join(missing)}")
    return SchoolDirectory((_school_from_row(row, reader.line_num) for row in reader), home_la_code=home_la_code)
