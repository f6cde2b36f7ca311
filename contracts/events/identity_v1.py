"""Identity decisions from intake's child register: two records of one child merged, or a merge undone.

Keyed by the surviving child id, so a merge and its undo stay in order. Ids only: no names, dates of birth,
addresses or UPNs travel in these events, and the officer's free-text reason stays in intake (it may name the
child), so consumers get the kind of decision instead.
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts import topics
from contracts.base import Event

AUTOMATIC = "automatic"


class MergeReason(StrEnum):
    MATCH_REVIEW_CONFIRMED = "match_review_confirmed"
    OFFICER_MERGE = "officer_merge"
    SAME_PERMANENT_UPN = "same_permanent_upn"


class UndoReason(StrEnum):
    OFFICER_UNDO = "officer_undo"


class ChildrenMerged(Event):
    event_type: ClassVar[str] = "cme.identity.children_merged.v1"
    topic: ClassVar[str] = topics.IDENTITY_MERGES

    merge_id: UUID
    surviving_child_id: UUID = Field(description="The child id intake reads both records as from now on")
    merged_child_id: UUID = Field(description="The child id that is now read as the surviving one")
    decided_by: str = Field(description=f"The officer's user name, or {AUTOMATIC!r} when intake merged by rule")
    reason: MergeReason
    merged_at: datetime
    review_id: UUID | None = Field(default=None, description="The match review whose confirmation made the merge")


class ChildrenMergeUndone(Event):
    event_type: ClassVar[str] = "cme.identity.children_merge_undone.v1"
    topic: ClassVar[str] = topics.IDENTITY_MERGES

    merge_id: UUID = Field(description="The merge undone")
    unmerge_id: UUID = Field(description="The record of the undo in intake's register")
    surviving_child_id: UUID
    merged_child_id: UUID
    undone_by: str
    reason: UndoReason = UndoReason.OFFICER_UNDO
    undone_at: datetime
