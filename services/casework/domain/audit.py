"""A tamper-evident audit chain: each entry's hash covers the entry and the previous entry's hash.

Editing, deleting or reordering any entry changes the hashes from that point on, which `verify_chain` finds.
Removing entries from the end leaves a valid shorter chain, so callers that keep the last sequence number and
hash elsewhere (a checkpoint) pass it as `expected_head` to catch truncation too.

Entries hold ids and action names only. Details that may carry personal data stay in the business tables; an
entry binds them through `detail_digest`, a hash of the details (see `digest_details`).
"""

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Final

GENESIS_HASH: Final = "0" * 64
"""The `previous_hash` of the first entry in a chain."""

JsonScalar = str | int | float | bool | None

_NAME = re.compile(r"[a-z][a-z0-9_.]{0,63}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class AuditEntryError(ValueError):
    """An audit entry is malformed. The message names the field, never its value."""


@dataclass(frozen=True)
class AuditEntry:
    """One audited action: who did what to which record, and when.

    `action` and `record_type` are dotted lower-case names (such as "case.allocated", "case"); ids are opaque
    identifiers. Free text is refused, which keeps personal data out of the log.
    """

    seq: int
    at: str
    actor_id: str
    action: str
    record_type: str
    record_id: str
    detail_digest: str = ""

    def __post_init__(self) -> None:
        if self.seq < 1:
            raise AuditEntryError("seq starts at 1")
        try:
            parsed = datetime.fromisoformat(self.at)
        except ValueError:
            raise AuditEntryError("at must be an ISO 8601 timestamp") from None
        if parsed.tzinfo is None:
            raise AuditEntryError("at must carry a time zone")
        for name in ("action", "record_type"):
            if not _NAME.fullmatch(getattr(self, name)):
                raise AuditEntryError(f"{name} must be a dotted lower-case name")
        for name in ("actor_id", "record_id"):
            if not _IDENTIFIER.fullmatch(getattr(self, name)):
                raise AuditEntryError(f"{name} must be an identifier")
        if self.detail_digest and not _SHA256_HEX.fullmatch(self.detail_digest):
            raise AuditEntryError("detail_digest must be a sha256 hex digest")


@dataclass(frozen=True)
class HashedEntry:
    entry: AuditEntry
    hash: str


@dataclass(frozen=True)
class ChainAnchor:
    """A checkpoint kept outside the chain: the sequence number and hash of an entry."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    first_broken_seq: int | None
    reason: str | None = None


def _canonical(payload: Mapping[str, object]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_details(details: Mapping[str, JsonScalar]) -> str:
    """A sha256 over a canonical JSON of the details, for `AuditEntry.detail_digest`."""
    return hashlib.sha256(_canonical(details)).hexdigest()


def entry_hash(previous_hash: str, entry: AuditEntry) -> str:
    """sha256 over a canonical JSON of the entry's fields and the previous entry's hash."""
    return hashlib.sha256(_canonical({**asdict(entry), "previous_hash": previous_hash})).hexdigest()


def seal(entries: Sequence[AuditEntry], previous: ChainAnchor | None = None) -> list[HashedEntry]:
    """Hash entries in order, continuing from `previous` (or starting a new chain)."""
    previous_hash = previous.hash if previous is not None else GENESIS_HASH
    sealed: list[HashedEntry] = []
    for entry in entries:
        previous_hash = entry_hash(previous_hash, entry)
        sealed.append(HashedEntry(entry, previous_hash))
    return sealed


def verify_chain(
    entries_with_hashes: Sequence[HashedEntry],
    *,
    previous: ChainAnchor | None = None,
    expected_head: ChainAnchor | None = None,
) -> ChainReport:
    """Check that sequence numbers run on without gaps and every hash matches its entry and predecessor.

    `previous` lets a caller verify the tail of a long chain from a trusted checkpoint; `expected_head` is the
    last entry a checkpoint recorded, so a chain cut short is reported at the first missing sequence number.
    """
    previous_hash = previous.hash if previous is not None else GENESIS_HASH
    expected_seq = previous.seq + 1 if previous is not None else 1
    for item in entries_with_hashes:
        if item.entry.seq != expected_seq:
            return ChainReport(False, expected_seq, f"expected seq {expected_seq}, found {item.entry.seq}")
        if entry_hash(previous_hash, item.entry) != item.hash:
            return ChainReport(False, expected_seq, "hash does not match the entry and its predecessor")
        if expected_head is not None and expected_head.seq == expected_seq and expected_head.hash != item.hash:
            return ChainReport(False, expected_seq, "hash differs from the checkpoint")
        previous_hash = item.hash
        expected_seq += 1
    if expected_head is not None and expected_seq <= expected_head.seq:
        return ChainReport(False, expected_seq, f"chain ends before checkpoint seq {expected_head.seq}")
    return ChainReport(True, None)
