"""The one merge intake makes without an officer: an exact permanent UPN proving two kept-apart records are one.

A permanent UPN is issued to one pupil for life (DfE), so when a submission's permanent UPN is the current UPN of
two or more children the register holds apart, and the submission scores MATCH against each of them, the records
are one child recorded twice: the earlier scoring kept them apart on details (a mistyped date of birth, a sex
recorded wrongly) that the identifier outranks. A temporary UPN proves nothing (schools reuse the pattern), a
former UPN may have been reissued after a typing error, and a pair an officer has said are different children
stays apart: those stay with the officer's review queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from .identifiers import is_temporary_upn
from .normalise import normalise
from .records import PersonRecord
from .scoring import MatchOutcome, score_pair


def proven_same_child(incoming: PersonRecord, candidates: Iterable[tuple[str, PersonRecord]]) -> tuple[str, ...]:
    """The child ids (two or more, sorted) the incoming record's permanent UPN proves are one child, or ().

    ``candidates`` are (current child id, stored record) pairs, as ``resolve`` takes them; a child qualifies
    when one of its stored records has the incoming UPN as its current UPN and scores MATCH against the incoming
    record.
    """
    upn = normalise(incoming).upn
    if upn is None or is_temporary_upn(upn):
        return ()
    proven = {
        child_id
        for child_id, known in candidates
        if normalise(known).upn == upn and score_pair(incoming, known).outcome is MatchOutcome.MATCH
    }
    return tuple(sorted(proven)) if len(proven) >= 2 else ()
