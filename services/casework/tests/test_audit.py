from dataclasses import replace

import pytest

from services.casework.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditEntryError,
    ChainAnchor,
    HashedEntry,
    digest_details,
    entry_hash,
    seal,
    verify_chain,
)


def entries(count: int = 5) -> list[AuditEntry]:
    return [
        AuditEntry(
            seq=seq,
            at=f"2026-03-02T09:{seq:02d}:00+00:00",
            actor_id=f"officer-{seq % 2}",
            action="case.check_recorded",
            record_type="case",
            record_id="case-1",
            detail_digest=digest_details({"check": "giap", "seq": seq}),
        )
        for seq in range(1, count + 1)
    ]


def chain(count: int = 5) -> list[HashedEntry]:
    return seal(entries(count))


def test_a_sealed_chain_verifies() -> None:
    assert verify_chain(chain()).ok
    assert verify_chain(chain()).first_broken_seq is None
    assert verify_chain([]).ok


def test_each_hash_covers_the_entry_and_the_previous_hash() -> None:
    sealed = chain(2)

    assert sealed[0].hash == entry_hash(GENESIS_HASH, sealed[0].entry)
    assert sealed[1].hash == entry_hash(sealed[0].hash, sealed[1].entry)
    assert entry_hash("f" * 64, sealed[0].entry) != sealed[0].hash


@pytest.mark.parametrize(
    "edit",
    [
        {"actor_id": "officer-9"},
        {"action": "case.closed"},
        {"record_id": "case-2"},
        {"at": "2026-03-02T10:03:00+00:00"},
        {"detail_digest": digest_details({"check": "nafn"})},
    ],
)
def test_an_edited_entry_breaks_the_chain_at_that_entry(edit: dict[str, str]) -> None:
    sealed = chain()
    sealed[2] = HashedEntry(replace(sealed[2].entry, **edit), sealed[2].hash)

    report = verify_chain(sealed)

    assert not report.ok
    assert report.first_broken_seq == 3


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    sealed = chain()
    edited = replace(sealed[2].entry, actor_id="officer-9")
    sealed[2] = HashedEntry(edited, entry_hash(sealed[1].hash, edited))

    assert verify_chain(sealed).first_broken_seq == 4


def test_a_deleted_entry_breaks_the_chain_where_it_was() -> None:
    sealed = chain()
    del sealed[1]

    report = verify_chain(sealed)

    assert not report.ok
    assert report.first_broken_seq == 2


def test_a_deleted_entry_with_renumbering_still_breaks_the_chain() -> None:
    sealed = chain()
    del sealed[1]
    renumbered = [HashedEntry(replace(item.entry, seq=index), item.hash) for index, item in enumerate(sealed, 1)]

    assert verify_chain(renumbered).first_broken_seq == 2


def test_reordered_entries_break_the_chain() -> None:
    sealed = chain()
    sealed[1], sealed[2] = sealed[2], sealed[1]

    report = verify_chain(sealed)

    assert not report.ok
    assert report.first_broken_seq == 2


def test_truncation_is_caught_against_a_checkpoint() -> None:
    sealed = chain()
    head = ChainAnchor(seq=5, hash=sealed[-1].hash)

    assert verify_chain(sealed, expected_head=head).ok
    assert verify_chain(sealed[:3]).ok
    report = verify_chain(sealed[:3], expected_head=head)
    assert not report.ok
    assert report.first_broken_seq == 4


def test_a_rewritten_chain_is_caught_against_a_checkpoint() -> None:
    original = chain()
    head = ChainAnchor(seq=5, hash=original[-1].hash)
    rewritten = seal([replace(entry, actor_id="officer-9") if entry.seq == 2 else entry for entry in entries()])

    assert verify_chain(rewritten).ok
    report = verify_chain(rewritten, expected_head=head)
    assert not report.ok
    assert report.first_broken_seq == 5


def test_a_tail_verifies_from_a_trusted_checkpoint() -> None:
    sealed = chain()
    checkpoint = ChainAnchor(seq=2, hash=sealed[1].hash)

    assert verify_chain(sealed[2:], previous=checkpoint).ok
    assert seal([item.entry for item in sealed[2:]], checkpoint) == sealed[2:]
    assert not verify_chain(sealed[3:], previous=checkpoint).ok


def test_detail_digest_is_independent_of_key_order() -> None:
    assert digest_details({"a": 1, "b": "x"}) == digest_details({"b": "x", "a": 1})
    assert digest_details({"a": 1}) != digest_details({"a": 2})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seq", 0, "seq"),
        ("at", "yesterday", "ISO 8601"),
        ("at", "2026-03-02T09:00:00", "time zone"),
        ("action", "Closed the case of a child", "action"),
        ("record_type", "Case", "record_type"),
        ("actor_id", "Jane Smith", "actor_id"),
        ("record_id", "", "record_id"),
        ("detail_digest", "not-a-digest", "detail_digest"),
    ],
)
def test_entries_hold_ids_and_names_only(field: str, value: object, message: str) -> None:
    with pytest.raises(AuditEntryError, match=message) as refused:
        replace(entries(1)[0], **{field: value})

    if isinstance(value, str) and value:
        assert value not in str(refused.value)
