"""One trace follows a submission through intake, triage and casework; no personal data rides along."""

from uuid import uuid4

import httpx
import pytest

from contracts import topics
from tests.e2e.test_walking_skeleton import submit, wait_for_case
from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.personal_data import personal_data_found
from tests.support.submissions import leaver, valid_upn
from tests.support.suite import RunningSuite
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def test_one_trace_covers_intake_triage_and_casework(suite: RunningSuite, otlp: OtlpReceiver) -> None:
    submission = leaver()
    response = await submit(suite, submission)
    assert response.status_code == 202
    await wait_for_case(suite, response.json()["child_id"])

    def consumed(spans: list[ReceivedSpan]) -> set[tuple[str, str]]:
        return {
            (span.service, span.name.removesuffix(" process").removeprefix(suite.topic_prefix))
            for span in spans
            if span.name.endswith(" process")
        }

    async def whole_trace() -> list[ReceivedSpan] | None:
        # The trace the intake HTTP request started; child spans may arrive before their parents.
        trace_ids = {
            span.trace_id
            for span in otlp.snapshot()
            if span.service == "intake" and span.attributes.get("http.route") == "/api/v1/submissions/leaver"
        }
        for trace_id in trace_ids:
            spans = [span for span in otlp.snapshot() if span.trace_id == trace_id]
            if {("triage", topics.REFERRAL_RECEIVED), ("casework", topics.TRIAGE_DECIDED)} <= consumed(spans):
                return spans
        return None

    spans = await eventually(whole_trace, timeout=30, what="a trace spanning intake, triage and casework")
    assert {"intake", "triage", "casework"} <= {span.service for span in spans}


async def test_no_personal_data_in_spans_or_logs(suite: RunningSuite, otlp: OtlpReceiver) -> None:
    submission = leaver()
    # Upstream systems choose submission ids, and one was seen built from the child's UPN: a canary UPN rides in
    # the id, so any log line carrying the id raw fails this test.
    canary_upn = valid_upn()
    submission["submission_id"] = f"{canary_upn}-{uuid4().hex[:8]}"
    response = await submit(suite, submission)
    assert response.status_code == 202
    await wait_for_case(suite, response.json()["child_id"])
    child = submission["child"]
    secrets = [
        child["given_name"],
        child["family_name"],
        child["upn"],
        child["date_of_birth"],
        child["address"]["line1"],
        canary_upn,
    ]

    async def spans_arrived() -> bool:
        return any(span.service == "casework" for span in otlp.snapshot())

    await eventually(spans_arrived, timeout=30)
    assert personal_data_found(secrets, otlp.snapshot(), [suite.log_dir]) == [], "personal data in spans or logs"
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(suite.url("intake", "/metrics"))).text
    assert not any(secret in metrics for secret in secrets)
