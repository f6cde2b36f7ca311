"""What intake accepts as a document sent with a return: the type is read from the file's CONTENT, never its name
or the Content-Type the sender claimed, because both are whatever the sender says they are.

Accepted: PDF, Word (DOCX), PNG and JPEG, the forms a school's de-rolling checklist, letters and certificates
come in. A DOCX is a ZIP archive, so a ZIP is accepted only when it holds `word/document.xml` (and the OOXML
`[Content_Types].xml`): any other archive is refused, since it could carry anything. Only the archive's central
directory is read, nothing is extracted, so a "zip bomb" costs nothing here.

Every refusal names what to do, in a school administrator's words, and never repeats the file's name or content
(a file name can name a child).
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from enum import IntEnum

import filetype

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"

ACCEPTED_TYPES = (PDF, DOCX, PNG, JPEG)
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", PNG: ".png", JPEG: ".jpg"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ACCEPTED_IN_WORDS = "a PDF, a Word document (DOCX), or a PNG or JPEG image"

# What the sniffer may find instead, named so the sender knows what they sent.
_REFUSED_KINDS = {
    "application/x-msdownload": "a Windows program (EXE or DLL)",
    "application/x-executable": "a program (ELF executable)",
    "application/x-mach-binary": "a program",
    "application/msword": "an old-style Word document (DOC)",
    "application/zip": "a ZIP archive",
    "application/x-rar-compressed": "a RAR archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/gzip": "a compressed archive",
    "application/rtf": "a rich text (RTF) file",
}
_DOCX_PARTS = frozenset({"word/document.xml", "[Content_Types].xml"})
_UNSAFE_IN_NAMES = re.compile(r"[^\w.\- ()]+")
MAX_FILENAME_LENGTH = 200


class RefusalStatus(IntEnum):
    """The HTTP status each refusal maps to, kept here so the API and the multipart leaver route agree."""

    TOO_LARGE = 413
    UNSUPPORTED_TYPE = 415
    INVALID = 422


class DocumentRefused(ValueError):
    def __init__(self, status: RefusalStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CheckedContent:
    content_type: str
    size: int


def too_large_message(limit: int) -> str:
    mebibyte, kibibyte = 1024 * 1024, 1024
    if limit % mebibyte == 0:
        size = f"{limit // mebibyte} MB"
    else:
        size = f"{limit // kibibyte} KB" if limit % kibibyte == 0 else f"{limit} bytes"
    return f"The file is larger than the limit of {size}. Send a smaller file, or scan it at a lower resolution"


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return names >= _DOCX_PARTS


def check_content(content: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedContent:
    """The file's real type, or `DocumentRefused` saying why it cannot be accepted."""
    if len(content) > max_bytes:
        raise DocumentRefused(RefusalStatus.TOO_LARGE, too_large_message(max_bytes))
    if not content:
        raise DocumentRefused(RefusalStatus.INVALID, "The file is empty. Send the document itself")
    found = filetype.guess(content)
    mime = str(found.mime) if found is not None else None
    if mime in {PDF, PNG, JPEG}:
        return CheckedContent(mime, len(content))
    if mime in {ZIP, DOCX} or content.startswith(b"PK\x03\x04"):
        if _is_docx(content):
            return CheckedContent(DOCX, len(content))
        raise DocumentRefused(
            RefusalStatus.UNSUPPORTED_TYPE,
            f"The file is a ZIP archive, not a Word document. Send {ACCEPTED_IN_WORDS}",
        )
    what = _REFUSED_KINDS.get(mime or "", "not a type we accept" if mime else "not a type we recognise")
    article = "" if what.startswith(("a ", "an ", "not ")) else "a "
    raise DocumentRefused(
        RefusalStatus.UNSUPPORTED_TYPE,
        f"The file is {article}{what}, whatever its name says. Send {ACCEPTED_IN_WORDS}",
    )


def sanitise_filename(name: str | None, content_type: str) -> str:
    """A name safe to store and to offer back in a download: the last path segment only, letters, digits and a
    little punctuation, no leading dots, at most 200 characters, and the extension of the type actually found."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE_IN_NAMES.sub("_", stem).strip(" ._")
    extension = EXTENSIONS.get(content_type, "")
    stem = stem[: MAX_FILENAME_LENGTH - len(extension)] or "document"
    return stem + extension
