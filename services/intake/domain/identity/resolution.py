"""Resolve an incoming record against the candidates blocking found: one existing child, a new
child, or a question for an officer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .records import PersonRecord
from .scoring import MatchOutcome, MatchScore, score_pair


class Decision(StrEnum):
    MATCHED_EXISTING = "matched_existing"
    NEW_CHILD = "new_child"
    NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True, slots=True)
class CandidateMatch:
    """The best score of one known child against the incoming record."""

    child_id: str
    match: MatchScore


@dataclass(frozen=True, slots=True)
class Resolution:
    """What to do with an incoming record.

    ``child_id`` is set only for MATCHED_EXISTING, and ``best`` is then that child's score. Otherwise
    ``best`` is the highest score against any child (None when there were no candidates), kept for
    the audit trail even for a new child. ``alternatives`` are the other children an officer should
    see, best first: for NEEDS_REVIEW every child scoring MATCH or POSSIBLE (the first is the
    proposed match); for MATCHED_EXISTING every other child scoring MATCH or POSSIBLE (one at MATCH
    is probably a duplicate of the matched child and worth a merge review); for NEW_CHILD nothing.
    """

    decision: Decision
    child_id: str | None
    best: MatchScore | None
    alternatives: tuple[CandidateMatch, ...]


@dataclass(frozen=True, slots=True)
class _ChildBest:
    child_id: str
    match: MatchScore
    record: PersonRecord

    def public(self) -> CandidateMatch:
        return CandidateMatch(self.child_id, self.match)


_OUTCOME_RANK = {MatchOutcome.NO_MATCH: 0, MatchOutcome.POSSIBLE: 1, MatchOutcome.MATCH: 2}


def _rank(match: MatchScore) -> tuple[int, float]:
    return (_OUTCOME_RANK[match.outcome], match.score)


def _best_per_child(incoming: PersonRecord, candidates: Iterable[tuple[str, PersonRecord]]) -> list[_ChildBest]:
    """Score every stored record and keep each child's best: a child's records hold different
    addresses and UPNs over time, and the incoming record only has to agree with one of them."""
    best: dict[str, _ChildBest] = {}
    for child_id, known in candidates:
        scored = score_pair(incoming, known)
        current = best.get(child_id)
        if current is None or _rank(scored) > _rank(current.match):
            best[child_id] = _ChildBest(child_id, scored, known)
    # Sorting by child id too keeps the order, and so the proposal, deterministic on ties.
    return sorted(best.values(), key=lambda child: (_rank(child.match), child.child_id), reverse=True)


def _one_child_twice(matches: list[_ChildBest]) -> bool:
    """True when the matched children's records also match each other: the register holds one
    child under several ids, so any of them is right and a merge review will join them."""
    return all(
        score_pair(first.record, second.record).outcome is MatchOutcome.MATCH
        for position, first in enumerate(matches)
        for second in matches[position + 1 :]
    )


def _choose(matches: list[_ChildBest]) -> _ChildBest | None:
    """The one child among several at MATCH that the referral is about, or None if unclear."""
    if len(matches) == 1:
        return matches[0]
    by_identifier = [child for child in matches if child.match.shared_identifier]
    if len(by_identifier) == 1:
        return by_identifier[0]
    contenders = by_identifier or matches
    return contenders[0] if _one_child_twice(contenders) else None


def resolve(incoming: PersonRecord, candidates: Iterable[tuple[str, PersonRecord]]) -> Resolution:
    """Decide which known child, if any, ``incoming`` is about.

    ``candidates`` are (child_id, stored record) pairs, usually every stored record sharing a
    blocking key; a child may appear with several records.

    * Exactly one child at MATCH: MATCHED_EXISTING.
    * Several children at MATCH: the register already holds duplicates, or children that look
      alike. The match is the one child among them sharing a UPN or NHS number with the incoming
      record (exact identifiers outrank probabilistic agreement). Failing that, if the contenders'
      records all match each other too, they are one child recorded twice and the best-scoring
      is the match. The others come back in ``alternatives`` for a merge review. Anything else is
      NEEDS_REVIEW.
    * No MATCH but some POSSIBLE: NEEDS_REVIEW.
    * Nothing above NO_MATCH: NEW_CHILD.
    """
    ranked = _best_per_child(incoming, candidates)
    if not ranked:
        return Resolution(decision=Decision.NEW_CHILD, child_id=None, best=None, alternatives=())
    matches = [child for child in ranked if child.match.outcome is MatchOutcome.MATCH]
    possibles = [child for child in ranked if child.match.outcome is MatchOutcome.POSSIBLE]
    chosen = _choose(matches) if matches else None
    if chosen is not None:
        return Resolution(
            decision=Decision.MATCHED_EXISTING,
            child_id=chosen.child_id,
            best=chosen.match,
            alternatives=tuple(child.public() for child in matches + possibles if child is not chosen),
        )
    if matches or possibles:
        return Resolution(
            decision=Decision.NEEDS_REVIEW,
            child_id=None,
            best=ranked[0].match,
            alternatives=tuple(child.public() for child in matches + possibles),
        )
    return Resolution(decision=Decision.NEW_CHILD, child_id=None, best=ranked[0].match, alternatives=())
