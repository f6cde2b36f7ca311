"""Identity resolution for intake: one record per child across every submission.

Pure functions over immutable records: ``normalise`` a submitted ``PersonRecord``, index it under
its ``blocking_keys``, ``score_pair`` it against stored records that share a key, and ``resolve``
the result into a decision. Method and measured accuracy: docs/identity-matching.md.
"""

from .blocking import blocking_keys
from .household import household_key, same_household
from .merges import MergeRecord, UnmergeRecord, active_merges, current_child_id, unmerge
from .normalise import normalise
from .records import NormalisedRecord, PersonRecord
from .resolution import CandidateMatch, Decision, Resolution, resolve
from .scoring import MATCH_THRESHOLD, POSSIBLE_THRESHOLD, MatchOutcome, MatchScore, score_pair

__all__ = [
    "MATCH_THRESHOLD",
    "POSSIBLE_THRESHOLD",
    "CandidateMatch",
    "Decision",
    "MatchOutcome",
    "MatchScore",
    "MergeRecord",
    "NormalisedRecord",
    "PersonRecord",
    "Resolution",
    "UnmergeRecord",
    "active_merges",
    "blocking_keys",
    "current_child_id",
    "household_key",
    "normalise",
    "resolve",
    "same_household",
    "score_pair",
    "unmerge",
]
