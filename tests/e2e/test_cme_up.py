"""`cme up` starts every process against the configured Kafka and PostgreSQL and stops them all on Ctrl-C."""

import asyncio
import os
import signal
import sys
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from cme_cli.suite import DEFAULT_PORTS
from tests.support.infrastructure import Infrastructure
from tests.support.suite import free_port

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def test_cme_up_runs_the_suite_and_ctrl_c_stops_everything(migrated: Infrastructure, tmp_path: Path) -> None:
    ports = {name: free_port() for name in DEFAULT_PORTS}
    prefix = f"up{uuid4().hex[:6]}."
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": migrated.kafka_bootstrap_servers,
        "DATABASE_URL": migrated.database_url,
        "CME_TOPIC_PREFIX": prefix,
        "CME_CONSUMER_GROUP_PREFIX": prefix + "cme",
        "CME_STATE_DIR": str(tmp_path),
        **{f"CME_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cme_cli",
        "up",
        "--demo",
        "--no-colour",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(180):
            while "Ctrl-C stops everything" not in "".join(seen[-3:]):
                line = (await process.stdout.readline()).decode()
                assert line, "cme up exited early:\n" + "".join(seen[-40:])
                seen.append(line)
        output = "".join(seen)
        assert f"http://127.0.0.1:{ports['casework']}" in output
        assert "demo" in output.lower()
        async with httpx.AsyncClient(timeout=5) as client:
            for name, port in ports.items():
                assert (await client.get(f"http://127.0.0.1:{port}/health/ready")).status_code == 200, name
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(90):
            await process.communicate()
    assert process.returncode == 0
    async with httpx.AsyncClient(timeout=2) as client:
        for port in ports.values():
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/health/live")
