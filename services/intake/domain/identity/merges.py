"""Merges of two child records into one, recorded so they can be reversed.

Semantics (the adapter stores the records; this module only models them):

* A merge rewrites nothing. Both child ids keep existing and every stored record keeps the child id
  it was stored under. A ``MergeRecord`` only says "read ``merged_child_id`` as
  ``surviving_child_id`` from now on"; ``current_child_id`` follows those redirections.
* An unmerge appends an ``UnmergeRecord`` naming the merge. The merge stops applying, so both
  children are exactly as they were before it: nothing needs to be split apart again.
* Records that arrived after the merge were stored against the surviving child. Unmerging leaves
  them there; the officer reviewing the unmerge re-assigns any that belong to the other child.
* Merge and unmerge are both decisions by a named officer with a reason, kept for the audit trail.
  The reason is free text from an officer and may name the child: show it, never log it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MergeRecord:
    merge_id: str
    surviving_child_id: str
    merged_child_id: str
    reason: str
    decided_by: str

    def __post_init__(self) -> None:
        if self.surviving_child_id == self.merged_child_id:
            raise ValueError(f"merge {self.merge_id} would merge a child into itself")
        if not self.reason.strip() or not self.decided_by.strip():
            raise ValueError(f"merge {self.merge_id} needs a reason and the deciding officer")


@dataclass(frozen=True, slots=True)
class UnmergeRecord:
    unmerge_id: str
    merge_id: str
    reason: str
    decided_by: str

    def __post_init__(self) -> None:
        if not self.reason.strip() or not self.decided_by.strip():
            raise ValueError(f"unmerge {self.unmerge_id} needs a reason and the deciding officer")


def unmerge(merge: MergeRecord, unmerge_id: str, reason: str, decided_by: str) -> UnmergeRecord:
    """Reverse ``merge``; the adapter appends the returned record next to it."""
    return UnmergeRecord(unmerge_id=unmerge_id, merge_id=merge.merge_id, reason=reason, decided_by=decided_by)


def active_merges(merges: Iterable[MergeRecord], unmerges: Iterable[UnmergeRecord]) -> dict[str, MergeRecord]:
    """Merges still in force, by merged child id. A child can be merged away only once at a time."""
    reversed_ids = {record.merge_id for record in unmerges}
    active: dict[str, MergeRecord] = {}
    for merge in merges:
        if merge.merge_id in reversed_ids:
            continue
        existing = active.get(merge.merged_child_id)
        if existing is not None:
            raise ValueError(
                f"child {merge.merged_child_id} is merged by both {existing.merge_id} and {merge.merge_id}"
            )
        active[merge.merged_child_id] = merge
    return active


def current_child_id(child_id: str, merges: Iterable[MergeRecord], unmerges: Iterable[UnmergeRecord] = ()) -> str:
    """The child id that ``child_id`` is read as now, following merges of merges."""
    active = active_merges(merges, unmerges)
    seen = {child_id}
    while (merge := active.get(child_id)) is not None:
        child_id = merge.surviving_child_id
        if child_id in seen:
            raise ValueError(f"merges form a cycle through child {child_id}")
        seen.add(child_id)
    return child_id
