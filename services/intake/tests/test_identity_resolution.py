"""Resolving a referral against several known children, and merge records."""

from dataclasses import replace
from datetime import date

import pytest

from services.intake.domain.identity import (
    Decision,
    MatchOutcome,
    MergeRecord,
    PersonRecord,
    UnmergeRecord,
    active_merges,
    current_child_id,
    resolve,
    unmerge,
)

CHILD = PersonRecord(
    given_name="Isla",
    family_name="Turner",
    date_of_birth=date(2016, 10, 31),
    sex="F",
    postcode="CM15 7SD",
    address_line="42 Princes Way",
)


def elsewhere(record: PersonRecord) -> PersonRecord:
    return replace(record, postcode="CO3 1JX", address_line="84 Westfield Grove")


class TestResolve:
    def test_no_candidates_is_a_new_child(self) -> None:
        resolution = resolve(CHILD, [])

        assert resolution.decision is Decision.NEW_CHILD
        assert resolution.child_id is None
        assert resolution.best is None
        assert resolution.alternatives == ()

    def test_new_child_keeps_the_best_score_for_the_audit_trail(self) -> None:
        sibling = replace(CHILD, given_name="Ruby", date_of_birth=date(2013, 2, 1))

        resolution = resolve(CHILD, [("child-ruby", sibling)])

        assert resolution.decision is Decision.NEW_CHILD
        assert resolution.best is not None
        assert resolution.best.outcome is MatchOutcome.NO_MATCH

    def test_a_child_matches_through_any_one_of_its_records(self) -> None:
        old_address = elsewhere(CHILD)
        nickname_record = elsewhere(replace(CHILD, given_name="Izzy", date_of_birth=None))
        incoming = replace(CHILD, date_of_birth=None)

        resolution = resolve(incoming, [("child-1", nickname_record), ("child-1", old_address), ("child-1", CHILD)])

        assert resolution.decision is Decision.MATCHED_EXISTING
        assert resolution.child_id == "child-1"
        assert resolution.best is not None
        assert "Same address" in resolution.best.reasons

    def test_possible_match_goes_to_review_with_the_candidate(self) -> None:
        middle_name_used = replace(CHILD, given_name="Grace", middle_names="Isla Grace")
        incoming = replace(CHILD, middle_names="Grace")

        resolution = resolve(incoming, [("child-1", middle_name_used)])

        assert resolution.decision is Decision.NEEDS_REVIEW
        assert resolution.child_id is None
        assert [candidate.child_id for candidate in resolution.alternatives] == ["child-1"]

    def test_shared_identifier_picks_between_two_matching_children(self) -> None:
        with_upn = elsewhere(replace(CHILD, upn="Y881234512001"))
        incoming = replace(CHILD, upn="Y881234512001")

        resolution = resolve(incoming, [("child-duplicate", CHILD), ("child-with-upn", with_upn)])

        assert resolution.decision is Decision.MATCHED_EXISTING
        assert resolution.child_id == "child-with-upn"
        assert [candidate.child_id for candidate in resolution.alternatives] == ["child-duplicate"]
        assert resolution.alternatives[0].match.outcome is MatchOutcome.MATCH

    def test_one_child_recorded_twice_is_matched_and_the_duplicate_flagged(self) -> None:
        reformatted = replace(CHILD, given_name="ISLA", address_line="42, Princes Wy")

        resolution = resolve(CHILD, [("child-a", CHILD), ("child-b", reformatted)])

        assert resolution.decision is Decision.MATCHED_EXISTING
        assert resolution.child_id in {"child-a", "child-b"}
        assert len(resolution.alternatives) == 1

    def test_two_matching_children_that_differ_from_each_other_go_to_review(self) -> None:
        first = elsewhere(replace(CHILD, upn="Y881234512001"))
        second = replace(CHILD, upn="K881234513077", postcode="SS7 7JG", address_line="47 Mill Gardens")

        resolution = resolve(CHILD, [("child-first", first), ("child-second", second)])

        assert resolution.decision is Decision.NEEDS_REVIEW
        assert {candidate.child_id for candidate in resolution.alternatives} == {
            "child-first",
            "child-second",
        }

    def test_resolution_does_not_depend_on_candidate_order(self) -> None:
        reformatted = replace(CHILD, given_name="ISLA", address_line="42, Princes Wy")
        candidates = [("child-a", CHILD), ("child-b", reformatted)]

        assert resolve(CHILD, candidates) == resolve(CHILD, list(reversed(candidates)))


class TestMerges:
    def test_merged_child_is_read_as_the_surviving_child(self) -> None:
        merge = MergeRecord("merge-1", "child-a", "child-b", "Same UPN on both", "officer-7")

        assert current_child_id("child-b", [merge]) == "child-a"
        assert current_child_id("child-a", [merge]) == "child-a"

    def test_merges_of_merges_are_followed(self) -> None:
        merges = [
            MergeRecord("merge-1", "child-b", "child-c", "Duplicate", "officer-7"),
            MergeRecord("merge-2", "child-a", "child-b", "Duplicate", "officer-7"),
        ]

        assert current_child_id("child-c", merges) == "child-a"

    def test_unmerge_restores_both_children(self) -> None:
        merge = MergeRecord("merge-1", "child-a", "child-b", "Same UPN on both", "officer-7")
        reversal = unmerge(merge, "unmerge-1", "UPN belonged to a sibling", "officer-9")

        assert reversal == UnmergeRecord("unmerge-1", "merge-1", "UPN belonged to a sibling", "officer-9")
        assert current_child_id("child-b", [merge], [reversal]) == "child-b"
        assert active_merges([merge], [reversal]) == {}

    def test_child_merged_away_twice_is_rejected(self) -> None:
        merges = [
            MergeRecord("merge-1", "child-a", "child-c", "Duplicate", "officer-7"),
            MergeRecord("merge-2", "child-b", "child-c", "Duplicate", "officer-7"),
        ]

        with pytest.raises(ValueError, match="child-c"):
            active_merges(merges, [])

    def test_cycle_of_merges_is_rejected(self) -> None:
        merges = [
            MergeRecord("merge-1", "child-a", "child-b", "Duplicate", "officer-7"),
            MergeRecord("merge-2", "child-b", "child-a", "Duplicate", "officer-7"),
        ]

        with pytest.raises(ValueError, match="cycle"):
            current_child_id("child-a", merges)

    @pytest.mark.parametrize(
        ("surviving", "merged", "reason", "decided_by"),
        [("child-a", "child-a", "Duplicate", "officer-7"), ("child-a", "child-b", " ", "officer-7")],
        ids=["into itself", "without a reason"],
    )
    def test_invalid_merge_is_rejected(self, surviving: str, merged: str, reason: str, decided_by: str) -> None:
        with pytest.raises(ValueError, match="merge-1"):
            MergeRecord("merge-1", surviving, merged, reason, decided_by)
