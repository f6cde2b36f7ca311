"""What casework receives from Kafka: triage decisions open and update cases; review outcomes reach them."""

from cme_runtime.messaging import Consumers
from contracts import topics
from contracts.events.identity_v1 import ChildrenMerged, ChildrenMergeUndone
from contracts.events.notify_v1 import MessageStatusChanged
from contracts.events.review_v1 import RecheckDue, ReviewDecided, ReviewProgressed, ReviewSignedOff
from contracts.events.triage_v1 import TriageDecided
from services.casework.service_layer.cases import CaseworkService
from services.casework.service_layer.merges import CaseMerges


def subscribe(consumers: Consumers, service: CaseworkService, merges: CaseMerges) -> None:
    consumers.subscribe(
        topics.TRIAGE_DECIDED,
        [TriageDecided],
        # Through the merges first: a decision about a merged-away child id belongs to the surviving case.
        merges.on_triage_decided,
        description="Triage decisions; a CME decision opens or updates the child's case",
        # One transaction per batch; its children's case locks are held until it commits, so kept small.
        batch=True,
        max_records=50,
    )
    consumers.subscribe(
        topics.REVIEW_DECIDED,
        [ReviewDecided, ReviewSignedOff, ReviewProgressed, RecheckDue],
        service.on_review_event,
        description="Missing Mondays reviews: scores for the case timeline; signed-off decisions applied to the case",
    )
    consumers.subscribe(
        topics.NOTIFY_MESSAGES,
        [MessageStatusChanged],
        service.on_message_status_changed,
        description="Messages notify sends about a case: each status on the timeline; a failure is an officer task",
    )
    consumers.subscribe(
        topics.IDENTITY_MERGES,
        [ChildrenMerged, ChildrenMergeUndone],
        merges.on_identity_event,
        description="Intake's merges of two records of one child: their cases become one, and split again on an undo",
    )
