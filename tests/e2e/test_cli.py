"""The `cme` command against the running suite, and every service's health endpoints."""

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.submissions import leaver
from tests.support.suite import RunningSuite

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def cli_environment(suite: RunningSuite) -> dict[str, str]:
    urls = {f"CME_{name.upper()}_URL": spec.base_url for name, spec in suite.specs.items()}
    return {
        **os.environ,
        **urls,
        "KAFKA_BOOTSTRAP_SERVERS": suite.kafka,
        "CME_TOPIC_PREFIX": suite.topic_prefix,
        "CME_API_TOKEN": "test-suite-token",
    }


async def cme(suite: RunningSuite, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cme_cli",
        *args,
        env=cli_environment(suite),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, output.decode()


async def test_submit_prints_the_accepted_outcome(suite: RunningSuite, tmp_path: Path) -> None:
    path = tmp_path / "leaver.json"
    path.write_text(json.dumps(leaver()))

    code, output = await cme(suite, "submit", str(path))

    assert code == 0, output
    outcome = json.loads(output)
    assert outcome["status"] == "accepted"
    assert outcome["referral_id"] and outcome["child_id"]


async def test_submit_exits_non_zero_and_prints_every_reason_on_rejection(suite: RunningSuite, tmp_path: Path) -> None:
    submission = leaver(documents=[])
    submission["child"]["upn"] = "A123"
    path = tmp_path / "leaver.json"
    path.write_text(json.dumps(submission))

    code, output = await cme(suite, "submit", str(path))

    assert code == 1
    outcome = json.loads(output)
    assert outcome["status"] == "rejected"
    fields = {problem["field"] for problem in outcome["problems"]}
    assert {"documents.derolling_checklist", "documents.learner_profile", "child.upn"} <= fields


async def test_status_reports_every_service_ready_and_consumer_lag(suite: RunningSuite) -> None:
    code, output = await cme(suite, "status")

    assert code == 0, output
    for name in ("intake", "triage", "casework", "review", "notify", "relay"):
        assert f"{name:<9} ready" in output
    for service in ("intake", "triage", "casework", "review", "notify"):
        assert f"{suite.topic_prefix}cme.{service}" in output


async def test_every_service_answers_liveness_and_readiness(suite: RunningSuite) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for name in suite.specs:
            live = await client.get(suite.url(name, "/health/live"))
            ready = await client.get(suite.url(name, "/health/ready"))
            assert live.status_code == 200, name
            assert ready.status_code == 200, name
            assert all(ready.json()["checks"].values()), name
