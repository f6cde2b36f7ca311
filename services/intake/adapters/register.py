"""The register of children: one record per child across every submission.

`resolve` finds the child a submission is about (docs/identity-matching.md), or adds a new one, and keeps the
child's record up to date. Uncertain matches are not merged: the submission goes ahead with a provisional new
child and an officer gets a match review. Merges are append-only records that `current_child_id` follows, so
undoing one restores both children exactly. Personal data stays in this module's tables; logs get ids only.
"""

import abc
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BindParameter, and_, bindparam, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cme_runtime.db import Transaction
from cme_runtime.logging import get_logger
from cme_runtime.outbox import EventOutbox
from contracts.events.identity_v1 import AUTOMATIC, ChildrenMerged, ChildrenMergeUndone, MergeReason
from services.intake.adapters.locks import LockKind, lock_keys
from services.intake.adapters.tables import (
    child_addresses,
    child_keys,
    children,
    households,
    match_reviews,
    merges,
)
from services.intake.domain.identity import (
    CandidateMatch,
    Decision,
    MatchOutcome,
    MergeRecord,
    PersonRecord,
    blocking_keys,
    current_child_id,
    household_key,
    normalise,
    resolve,
)
from services.intake.domain.identity.proven import proven_same_child

log = get_logger(__name__)

UNCERTAIN_MATCH = "uncertain_match"
POSSIBLE_DUPLICATE = "possible_duplicate"
# Merges change what every later resolution reads, so they are made one at a time.
_MERGE_LOCK = "intake.merges"


class RegisterError(Exception):
    """A request the register cannot carry out. The message names ids only and is safe to show and log."""


class NotFound(RegisterError):
    pass


class Conflict(RegisterError):
    pass


@dataclass(frozen=True)
class RegisterResolution:
    child_id: UUID
    decision: str
    score: str | None
    reasons: tuple[str, ...]
    review_id: UUID | None = None
    sibling_child_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class ReviewAlternative:
    child_id: UUID
    score: float
    outcome: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MatchReview:
    review_id: UUID
    kind: str
    submission_id: str
    referral_id: UUID | None
    child_id: UUID
    proposed_child_id: UUID
    alternatives: tuple[ReviewAlternative, ...]
    status: str
    decided_by: str | None
    decided_at: datetime | None
    merge_id: UUID | None
    created_at: datetime


@dataclass(frozen=True)
class Merge:
    merge_id: UUID
    surviving_child_id: UUID
    merged_child_id: UUID
    decided_by: str
    decided_at: datetime
    reverses_merge_id: UUID | None = None


def _record(row: Mapping[Any, Any]) -> PersonRecord:
    return PersonRecord(
        given_name=row["given_name"],
        family_name=row["family_name"],
        middle_names=row["middle_names"],
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        upn=row["upn"],
        former_upns=tuple(row["former_upns"]),
        nhs_number=row["nhs_number"],
        postcode=row["postcode"],
        address_line=row["address_line"],
    )


def _alternative_json(candidate: CandidateMatch) -> dict[str, Any]:
    return {
        "child_id": candidate.child_id,
        "score": round(candidate.match.score, 6),
        "outcome": candidate.match.outcome.value,
        "reasons": list(candidate.match.reasons),
    }


def _review(row: Mapping[Any, Any]) -> MatchReview:
    return MatchReview(
        review_id=row["review_id"],
        kind=row["kind"],
        submission_id=row["submission_id"],
        referral_id=row["referral_id"],
        child_id=row["child_id"],
        proposed_child_id=row["proposed_child_id"],
        alternatives=tuple(
            ReviewAlternative(
                child_id=UUID(item["child_id"]),
                score=float(item["score"]),
                outcome=item["outcome"],
                reasons=tuple(item["reasons"]),
            )
            for item in row["alternatives"]
        ),
        status=row["status"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        merge_id=row["merge_id"],
        created_at=row["created_at"],
    )


def _not_merged_away(child_id: Any) -> Any:
    """True for a child no merge in force has merged into another (as in the `families` view)."""
    merge, reversal = merges.alias("merge"), merges.alias("reversal")
    return ~exists().where(
        merge.c.action == "merge",
        merge.c.merged_child_id == child_id,
        ~exists().where(reversal.c.reverses_merge_id == merge.c.merge_id),
    )


def _siblings_statement() -> Any:
    """The other children at the child's address, neither merged away: the child's pairs in the `families` view,
    read from the child's household key instead of through the view, whose other side is every family in the
    register (a scan of all children: 20 ms at 10,000 children, on every submission). Built once: making its
    aliases cost more than running it."""
    me, other = children.alias("me"), children.alias("other")
    child_id: BindParameter[UUID] = bindparam("child_id")
    return (
        select(other.c.child_id)
        .join(me, me.c.household_key == other.c.household_key)
        .join(households, households.c.household_key == me.c.household_key)
        .where(
            me.c.child_id == child_id,
            other.c.child_id != child_id,
            _not_merged_away(me.c.child_id),
            _not_merged_away(other.c.child_id),
        )
        .order_by(other.c.child_id)
    )


_SIBLINGS = _siblings_statement()


def _merges_in_force_from_statement() -> Any:
    """Merges not undone whose merged child is one of `child_ids` (an expanding parameter). Built once."""
    reversal = merges.alias("reversal")
    return select(merges).where(
        merges.c.action == "merge",
        merges.c.merged_child_id.in_(bindparam("child_ids", expanding=True)),
        ~exists().where(reversal.c.reverses_merge_id == merges.c.merge_id),
    )


_MERGES_IN_FORCE_FROM = _merges_in_force_from_statement()

# Statements resolving a child runs for every submission (and every pupil of a CTF file), built once: building and
# hashing a statement per call cost more than running it.
_CHILDREN_BY_KEYS = select(children).where(
    children.c.child_id.in_(
        select(child_keys.c.child_id).where(child_keys.c.key.in_(bindparam("keys", expanding=True)))
    )
)
_PAST_ADDRESSES = select(
    child_addresses.c.child_id, child_addresses.c.postcode, child_addresses.c.address_line
).where(
    child_addresses.c.child_id.in_(bindparam("child_ids", expanding=True)),
    child_addresses.c.superseded_at.is_not(None),
)
_INSERT_CHILD = children.insert()
_INSERT_ADDRESS = child_addresses.insert()
_INSERT_HOUSEHOLD = insert(households).on_conflict_do_nothing()
_INSERT_KEYS = insert(child_keys).on_conflict_do_nothing()


def _moved(stored: PersonRecord, incoming: PersonRecord) -> bool:
    """True when `incoming` gives an address that differs from the stored one in a part it gives. An address
    line without a postcode is not enough to say the child moved: "10 High Street" is in every town."""
    known, given = normalise(stored), normalise(incoming)
    if given.postcode is None:
        return False
    if given.postcode != known.postcode:
        return True
    return given.address_key is not None and given.address_key != known.address_key


class Register(abc.ABC):
    """The port the service layer resolves children through."""

    @abc.abstractmethod
    async def resolve(
        self, session: Transaction, record: PersonRecord, *, submission_id: str, referral_id: UUID | None
    ) -> RegisterResolution:
        """The child `record` is about: an existing one (brought up to date) or a new one."""

    @abc.abstractmethod
    async def look_up(self, session: Transaction, record: PersonRecord) -> UUID | None:
        """The known child `record` is about, when the match is certain; changes nothing."""

    @abc.abstractmethod
    async def lock(self, session: Transaction, records: Sequence[PersonRecord]) -> None:
        """Take, at once and in one order, the locks `resolve` takes for each of `records`, so that resolving
        them one after another in one transaction never waits in a cycle with another transaction."""


class ChildRegister(Register):
    """The register in PostgreSQL. Every merge and unmerge is published (`ChildrenMerged`, `ChildrenMergeUndone`)
    through `outbox` in the transaction that records it, whichever path made it (a review decision, the merge
    endpoint, or the automatic UPN rule), so casework can never miss one. Without an outbox (tests of the register
    alone) nothing is published."""

    def __init__(self, outbox: EventOutbox | None = None) -> None:
        self._outbox = outbox

    async def resolve(
        self, session: AsyncSession, record: PersonRecord, *, submission_id: str, referral_id: UUID | None
    ) -> RegisterResolution:
        """The child `record` is about: an existing one (whose record is brought up to date) or a new one.

        NEEDS_REVIEW gives a provisional new child and an uncertain-match review proposing the likeliest
        existing child; MATCHED_EXISTING with another child also at MATCH opens a possible-duplicate review.
        """
        keys = sorted(blocking_keys(record))
        # Two submissions about one new child at the same moment must not create two children.
        await lock_keys(session, LockKind.IDENTITY, keys)
        candidates = await self._candidates(session, keys)
        proven = proven_same_child(record, candidates)
        if proven and await self._merge_proven(session, [UUID(child_id) for child_id in proven]):
            # Read again: the merged children are now one child under the survivor's id.
            candidates = await self._candidates(session, keys)
        resolution = resolve(record, candidates)
        best = resolution.best
        review_id: UUID | None = None
        if resolution.decision is Decision.MATCHED_EXISTING and resolution.child_id is not None:
            child_id = UUID(resolution.child_id)
            await self._update_child(session, child_id, record, submission_id)
            review_id = await self._review_duplicates(
                session, child_id, resolution.alternatives, submission_id, referral_id
            )
        else:
            child_id = await self._add_child(session, record, submission_id)
            if resolution.decision is Decision.NEEDS_REVIEW:
                review_id = await self._open_review(
                    session,
                    kind=UNCERTAIN_MATCH,
                    child_id=child_id,
                    proposed_child_id=UUID(resolution.alternatives[0].child_id),
                    alternatives=resolution.alternatives,
                    submission_id=submission_id,
                    referral_id=referral_id,
                )
        await self._index(session, child_id, keys)
        # Candidates for the same child are not siblings, even when they share the address.
        same_child = {UUID(candidate.child_id) for candidate in resolution.alternatives}
        siblings = tuple(sibling for sibling in await self.siblings(session, child_id) if sibling not in same_child)
        log.debug(
            "child resolved",
            child_id=str(child_id),
            decision=resolution.decision.value,
            review_id=str(review_id) if review_id else None,
        )
        return RegisterResolution(
            child_id=child_id,
            decision=resolution.decision.value,
            score=f"{best.score:.3f}" if best else None,
            reasons=tuple(best.reasons) if best else (),
            review_id=review_id,
            sibling_child_ids=siblings,
        )

    async def lock(self, session: AsyncSession, records: Sequence[PersonRecord]) -> None:
        await lock_keys(session, LockKind.IDENTITY, (key for record in records for key in blocking_keys(record)))

    async def look_up(self, session: AsyncSession, record: PersonRecord) -> UUID | None:
        """Only a certain match counts: an uncertain one would tell another authority about the wrong child."""
        candidates = await self._candidates(session, sorted(blocking_keys(record)))
        resolution = resolve(record, candidates)
        if resolution.decision is Decision.MATCHED_EXISTING and resolution.child_id is not None:
            return UUID(resolution.child_id)
        return None

    async def _candidates(self, session: AsyncSession, keys: Sequence[str]) -> list[tuple[str, PersonRecord]]:
        """Every record sharing a key, under the id each child is read as now, with the child's past addresses
        as records of their own: records from different years hold different addresses."""
        rows = (await session.execute(_CHILDREN_BY_KEYS, {"keys": list(keys)})).mappings().all()
        if not rows:
            return []
        ids = [row["child_id"] for row in rows]
        current = await self.current_child_ids(session, ids)
        past = (await session.execute(_PAST_ADDRESSES, {"child_ids": ids})).mappings().all()
        records = {row["child_id"]: _record(row) for row in rows}
        candidates = [(str(current[child_id]), record) for child_id, record in records.items()]
        candidates += [
            (
                str(current[address["child_id"]]),
                dataclasses.replace(
                    records[address["child_id"]], postcode=address["postcode"], address_line=address["address_line"]
                ),
            )
            for address in past
        ]
        return candidates

    async def _merge_proven(self, session: AsyncSession, child_ids: Sequence[UUID]) -> bool:
        """Merge children an exact permanent UPN proves are one (domain/identity/proven.py) into the one recorded
        first, closing the reviews that kept them apart. Nothing happens when an officer said any two of them
        are different children."""
        rejected = (
            await session.execute(
                select(
                    exists().where(
                        match_reviews.c.status == "rejected",
                        match_reviews.c.child_id.in_(child_ids),
                        match_reviews.c.proposed_child_id.in_(child_ids),
                    )
                )
            )
        ).scalar()
        if rejected:
            return False
        ordered = (
            (
                await session.execute(
                    select(children.c.child_id)
                    .where(children.c.child_id.in_(child_ids))
                    .order_by(children.c.created_at, children.c.child_id)
                )
            )
            .scalars()
            .all()
        )
        surviving, *others = ordered
        for merged in others:
            merge = await self.merge(
                session,
                surviving,
                merged,
                reason="The same permanent UPN is the current UPN of both records, and a submission matches both",
                decided_by=AUTOMATIC,
                kind=MergeReason.SAME_PERMANENT_UPN,
            )
            pair = or_(
                and_(match_reviews.c.child_id == surviving, match_reviews.c.proposed_child_id == merged),
                and_(match_reviews.c.child_id == merged, match_reviews.c.proposed_child_id == surviving),
            )
            await session.execute(
                update(match_reviews)
                .where(pair, match_reviews.c.status == "open")
                .values(status="confirmed", decided_by=AUTOMATIC, decided_at=merge.decided_at, merge_id=merge.merge_id)
            )
        return bool(others)

    async def _add_child(self, session: AsyncSession, record: PersonRecord, submission_id: str) -> UUID:
        child_id = uuid4()
        normalised = normalise(record)
        key = household_key(record)
        await session.execute(
            _INSERT_CHILD,
            {
                "child_id": child_id,
                "given_name": record.given_name,
                "family_name": record.family_name,
                "middle_names": record.middle_names,
                "date_of_birth": record.date_of_birth,
                "sex": record.sex,
                "upn": normalised.upn or record.upn,
                "former_upns": list(normalised.former_upns),
                "nhs_number": normalised.nhs_number or record.nhs_number,
                "postcode": normalised.postcode or record.postcode,
                "address_line": record.address_line,
                "household_key": key,
            },
        )
        await self._record_address(session, child_id, record, key, submission_id)
        return child_id

    async def _record_address(
        self, session: AsyncSession, child_id: UUID, record: PersonRecord, key: str | None, submission_id: str
    ) -> None:
        if record.postcode is None and record.address_line is None:
            return
        await session.execute(
            _INSERT_ADDRESS,
            {
                "address_id": uuid4(),
                "child_id": child_id,
                "address_line": record.address_line,
                "postcode": normalise(record).postcode or record.postcode,
                "household_key": key,
                "submission_id": submission_id,
            },
        )
        if key is not None:
            await session.execute(_INSERT_HOUSEHOLD, {"household_id": uuid4(), "household_key": key})

    async def _update_child(
        self, session: AsyncSession, child_id: UUID, record: PersonRecord, submission_id: str
    ) -> None:
        """Bring a matched child's record up to date, keeping what it replaces: a new UPN moves the old one to
        the former UPNs, a new address closes the old one in the address history. Details the register lacks
        are filled in; names stay as first recorded, because a different spelling is more often a nickname
        than a change."""
        row = (
            (await session.execute(select(children).where(children.c.child_id == child_id).with_for_update()))
            .mappings()
            .one()
        )
        stored = _record(row)
        incoming = normalise(record)
        changes: dict[str, Any] = {}
        former = list(dict.fromkeys([*row["former_upns"], *incoming.former_upns]))
        if incoming.upn and incoming.upn != row["upn"] and incoming.upn not in former:
            if row["upn"]:
                former.append(row["upn"])
            changes["upn"] = incoming.upn
        current_upn = changes.get("upn", row["upn"])
        former = [upn for upn in dict.fromkeys(former) if upn != current_upn]
        if former != list(row["former_upns"]):
            changes["former_upns"] = former
        for column, value in (
            ("nhs_number", incoming.nhs_number),
            ("date_of_birth", record.date_of_birth),
            ("sex", record.sex),
            ("middle_names", record.middle_names),
        ):
            if row[column] is None and value is not None:
                changes[column] = value
        if _moved(stored, record):
            key = household_key(record)
            now = datetime.now(UTC)
            await session.execute(
                update(child_addresses)
                .where(child_addresses.c.child_id == child_id, child_addresses.c.superseded_at.is_(None))
                .values(superseded_at=now)
            )
            await self._record_address(session, child_id, record, key, submission_id)
            changes.update(
                postcode=incoming.postcode or record.postcode, address_line=record.address_line, household_key=key
            )
        if changes:
            await session.execute(
                update(children).where(children.c.child_id == child_id).values(**changes, updated_at=func.now())
            )

    async def _index(self, session: AsyncSession, child_id: UUID, keys: list[str]) -> None:
        if keys:
            await session.execute(_INSERT_KEYS, [{"key": key, "child_id": child_id} for key in keys])

    async def _review_duplicates(
        self,
        session: AsyncSession,
        child_id: UUID,
        alternatives: Sequence[CandidateMatch],
        submission_id: str,
        referral_id: UUID | None,
    ) -> UUID | None:
        """A possible-duplicate review for each other child at MATCH, unless the pair was reviewed before."""
        first_review: UUID | None = None
        for candidate in alternatives:
            other = UUID(candidate.child_id)
            if candidate.match.outcome is not MatchOutcome.MATCH or await self._pair_reviewed(session, child_id, other):
                continue
            review_id = await self._open_review(
                session,
                kind=POSSIBLE_DUPLICATE,
                child_id=child_id,
                proposed_child_id=other,
                alternatives=[candidate],
                submission_id=submission_id,
                referral_id=referral_id,
            )
            first_review = first_review or review_id
        return first_review

    async def _pair_reviewed(self, session: AsyncSession, first: UUID, second: UUID) -> bool:
        pair = or_(
            and_(match_reviews.c.child_id == first, match_reviews.c.proposed_child_id == second),
            and_(match_reviews.c.child_id == second, match_reviews.c.proposed_child_id == first),
        )
        return bool((await session.execute(select(exists().where(pair)))).scalar())

    async def _open_review(
        self,
        session: AsyncSession,
        *,
        kind: str,
        child_id: UUID,
        proposed_child_id: UUID,
        alternatives: Iterable[CandidateMatch],
        submission_id: str,
        referral_id: UUID | None,
    ) -> UUID:
        review_id = uuid4()
        await session.execute(
            match_reviews.insert().values(
                review_id=review_id,
                kind=kind,
                submission_id=submission_id,
                referral_id=referral_id,
                child_id=child_id,
                proposed_child_id=proposed_child_id,
                alternatives=[_alternative_json(candidate) for candidate in alternatives],
            )
        )
        log.info("match review opened", review_id=str(review_id), kind=kind, child_id=str(child_id))
        return review_id

    async def siblings(self, session: AsyncSession, child_id: UUID) -> tuple[UUID, ...]:
        """The other children of the child's family (same address, not merged away)."""
        rows = await session.execute(_SIBLINGS, {"child_id": child_id})
        return tuple(rows.scalars())

    # Merges

    async def _active_merges(self, session: AsyncSession, child_ids: Iterable[UUID]) -> list[MergeRecord]:
        """The merges in force from `child_ids` onwards (following merges of merges). Reversed merges are left
        out here, so the domain functions need no reversal records."""
        seen = set(child_ids)
        frontier = set(seen)
        found: list[MergeRecord] = []
        while frontier:
            rows = (await session.execute(_MERGES_IN_FORCE_FROM, {"child_ids": list(frontier)})).mappings().all()
            found += [
                MergeRecord(
                    merge_id=str(row["merge_id"]),
                    surviving_child_id=str(row["surviving_child_id"]),
                    merged_child_id=str(row["merged_child_id"]),
                    reason=row["reason"],
                    decided_by=row["decided_by"],
                )
                for row in rows
            ]
            frontier = {row["surviving_child_id"] for row in rows} - seen
            seen |= frontier
        return found

    async def current_child_ids(self, session: AsyncSession, child_ids: Iterable[UUID]) -> dict[UUID, UUID]:
        """The id each child is read as now: its own, or the child it was merged into."""
        ids = list(child_ids)
        active = await self._active_merges(session, ids)
        return {child_id: UUID(current_child_id(str(child_id), active)) for child_id in ids}

    async def merge(
        self,
        session: AsyncSession,
        surviving_child_id: UUID,
        merged_child_id: UUID,
        *,
        reason: str,
        decided_by: str,
        review_id: UUID | None = None,
        kind: MergeReason = MergeReason.OFFICER_MERGE,
    ) -> Merge:
        """Record that `merged_child_id` is to be read as `surviving_child_id` from now on, and publish it."""
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"), {"lock": _MERGE_LOCK})
        if surviving_child_id == merged_child_id:
            raise Conflict("A child cannot be merged into itself")
        known = set(
            (
                await session.execute(
                    select(children.c.child_id).where(children.c.child_id.in_([surviving_child_id, merged_child_id]))
                )
            ).scalars()
        )
        for child_id in (surviving_child_id, merged_child_id):
            if child_id not in known:
                raise NotFound(f"No child {child_id}")
        active = await self._active_merges(session, [surviving_child_id, merged_child_id])
        if any(record.merged_child_id == str(merged_child_id) for record in active):
            raise Conflict(f"Child {merged_child_id} is already merged into another child; undo that merge first")
        merge_id = uuid4()
        proposed = MergeRecord(
            merge_id=str(merge_id),
            surviving_child_id=str(surviving_child_id),
            merged_child_id=str(merged_child_id),
            reason=reason,
            decided_by=decided_by,
        )
        try:
            current_child_id(str(surviving_child_id), [*active, proposed])
        except ValueError:
            raise Conflict(
                f"Child {surviving_child_id} is already read as child {merged_child_id}: the merge would form a cycle"
            ) from None
        decided_at = datetime.now(UTC)
        await session.execute(
            merges.insert().values(
                merge_id=merge_id,
                action="merge",
                surviving_child_id=surviving_child_id,
                merged_child_id=merged_child_id,
                review_id=review_id,
                reason=reason,
                decided_by=decided_by,
                decided_at=decided_at,
            )
        )
        if self._outbox is not None:
            await self._outbox.add(
                session,
                ChildrenMerged(
                    merge_id=merge_id,
                    surviving_child_id=surviving_child_id,
                    merged_child_id=merged_child_id,
                    decided_by=decided_by,
                    reason=kind,
                    merged_at=decided_at,
                    review_id=review_id,
                ),
                key=surviving_child_id,
                subject=merge_id,
            )
        log.info(
            "children merged",
            merge_id=str(merge_id),
            surviving_child_id=str(surviving_child_id),
            merged_child_id=str(merged_child_id),
        )
        return Merge(merge_id, surviving_child_id, merged_child_id, decided_by, decided_at)

    async def unmerge(self, session: AsyncSession, merge_id: UUID, *, reason: str, decided_by: str) -> Merge:
        """Reverse a merge: both children are read as themselves again. Returns the reversal."""
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"), {"lock": _MERGE_LOCK})
        row = (
            (await session.execute(select(merges).where(merges.c.merge_id == merge_id, merges.c.action == "merge")))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"No merge {merge_id}")
        reversal = (
            await session.execute(select(merges.c.merge_id).where(merges.c.reverses_merge_id == merge_id))
        ).scalar()
        if reversal is not None:
            raise Conflict(f"Merge {merge_id} was already undone by {reversal}")
        unmerge_id = uuid4()
        decided_at = datetime.now(UTC)
        await session.execute(
            merges.insert().values(
                merge_id=unmerge_id,
                action="unmerge",
                surviving_child_id=row["surviving_child_id"],
                merged_child_id=row["merged_child_id"],
                reverses_merge_id=merge_id,
                reason=reason,
                decided_by=decided_by,
                decided_at=decided_at,
            )
        )
        if self._outbox is not None:
            await self._outbox.add(
                session,
                ChildrenMergeUndone(
                    merge_id=merge_id,
                    unmerge_id=unmerge_id,
                    surviving_child_id=row["surviving_child_id"],
                    merged_child_id=row["merged_child_id"],
                    undone_by=decided_by,
                    undone_at=decided_at,
                ),
                key=row["surviving_child_id"],
                subject=merge_id,
            )
        log.info("merge undone", merge_id=str(merge_id), unmerge_id=str(unmerge_id))
        return Merge(unmerge_id, row["surviving_child_id"], row["merged_child_id"], decided_by, decided_at, merge_id)

    # Match reviews

    async def reviews(self, session: AsyncSession, status: str | None = "open", limit: int = 100) -> list[MatchReview]:
        query = select(match_reviews).order_by(match_reviews.c.created_at, match_reviews.c.review_id).limit(limit)
        if status is not None:
            query = query.where(match_reviews.c.status == status)
        return [_review(row) for row in (await session.execute(query)).mappings()]

    async def review(self, session: AsyncSession, review_id: UUID) -> MatchReview:
        row = (
            (await session.execute(select(match_reviews).where(match_reviews.c.review_id == review_id)))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"No match review {review_id}")
        return _review(row)

    async def decide_review(
        self, session: AsyncSession, review_id: UUID, *, confirm: bool, decided_by: str, reason: str | None
    ) -> MatchReview:
        """An officer's answer. Confirming merges the two children: the existing child survives an uncertain
        match; the child the referral matched survives a duplicate. Rejecting keeps them apart for good: the
        pair is not offered for review again."""
        # The merge lock before the review's row lock, in the order the automatic merge takes them (it closes
        # reviews while holding the merge lock), so the two can never wait on each other.
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"), {"lock": _MERGE_LOCK})
        row = (
            (
                await session.execute(
                    select(match_reviews).where(match_reviews.c.review_id == review_id).with_for_update()
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"No match review {review_id}")
        if row["status"] != "open":
            raise Conflict(f"Match review {review_id} was already decided")
        merge_id: UUID | None = None
        if confirm:
            if row["kind"] == UNCERTAIN_MATCH:
                surviving, merged = row["proposed_child_id"], row["child_id"]
            else:
                surviving, merged = row["child_id"], row["proposed_child_id"]
            merge = await self.merge(
                session,
                surviving,
                merged,
                reason=reason or f"Match review {review_id} confirmed",
                decided_by=decided_by,
                review_id=review_id,
                kind=MergeReason.MATCH_REVIEW_CONFIRMED,
            )
            merge_id = merge.merge_id
        status = "confirmed" if confirm else "rejected"
        await session.execute(
            update(match_reviews)
            .where(match_reviews.c.review_id == review_id)
            .values(
                status=status,
                decided_by=decided_by,
                decided_at=datetime.now(UTC),
                decision_reason=reason,
                merge_id=merge_id,
            )
        )
        log.info("match review decided", review_id=str(review_id), status=status)
        return await self.review(session, review_id)
