"""Issue 4 acceptance: viewing a case as an officer writes an audit entry; editing the log breaks the hash chain and
`python -m services.casework verify-audit` reports it. The log is append-only, and checkpoints catch entries cut
off its end."""

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from services.casework.adapters.audit import AuditedAction, AuditLog
from services.casework.domain.access import Role
from services.casework.entrypoints.web.audit_pages import PAGE_SIZE
from tests.integration.casework_security_support import (
    add_case,
    add_user,
    assert_well_formed,
    casework_settings,
    client_for,
    running_app,
    session_factory,
    sign_in,
)
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

CHAIN_LOCK = 7_346_201


@pytest.fixture(scope="module")
async def app(migrated: Infrastructure) -> AsyncIterator[FastAPI]:
    async with running_app(casework_settings(migrated)) as running:
        yield running


@pytest.fixture
async def casework_db(migrated: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    """As the casework role, which owns the audit log (and so may switch its trigger off, as an attacker with the
    service's credentials could)."""
    dsn = migrated.service_database_url("casework").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, server_settings={"search_path": "casework"})
    try:
        yield connection
    finally:
        await connection.close()


async def verify_audit(infra: Infrastructure) -> tuple[int | None, dict[str, Any]]:
    env = {**os.environ, "DATABASE_URL": infra.database_url, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.casework", "verify-audit", env=env, stdout=asyncio.subprocess.PIPE)
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, json.loads(stdout)


async def view_case_as_officer(app: FastAPI) -> tuple[str, str, int]:
    """An officer opens their case's page: returns the officer's id, the case id and the entry's sequence number."""
    officer = await add_user(app, Role.CME_OFFICER, team_id="audit-team")
    case_id = await add_case(app, officer.user_id)
    async with client_for(app) as client:
        assert (await sign_in(client, officer.email)).status_code == 303
        assert (await client.get(f"/cases/{case_id}")).status_code == 200
    async with session_factory(app)() as session:
        [entry] = [row for row in await AuditLog().entries(session, record_id=case_id)
                   if row["action"] == "case.viewed"]
    return officer.user_id, case_id, int(str(entry["seq"]))


async def test_viewing_a_case_as_an_officer_writes_an_entry(app: FastAPI, casework_db: asyncpg.Connection) -> None:
    officer_id, case_id, seq = await view_case_as_officer(app)
    row = await casework_db.fetchrow("SELECT * FROM audit_log WHERE seq = $1", seq)
    assert (row["actor_id"], row["action"], row["record_type"], row["record_id"]) == (
        officer_id, "case.viewed", "case", case_id)
    # Ids only: nothing about the child goes into the log.
    assert "Quillfeather" not in json.dumps({key: str(value) for key, value in row.items()})


async def test_signing_in_and_failing_to_are_audited_without_the_email_address(
    app: FastAPI, casework_db: asyncpg.Connection
) -> None:
    officer = await add_user(app, Role.CME_OFFICER)
    async with client_for(app) as client:
        await sign_in(client, officer.email, "wrong password")
        await sign_in(client, officer.email)
    signed_in = await casework_db.fetchrow(
        "SELECT * FROM audit_log WHERE action = 'auth.signed_in' AND record_id = $1", officer.user_id)
    assert signed_in["actor_id"] == officer.user_id
    failures = await casework_db.fetch(
        "SELECT * FROM audit_log WHERE action = 'auth.sign_in_failed' ORDER BY seq DESC LIMIT 20")
    assert failures
    for row in [signed_in, *failures]:
        assert officer.email not in json.dumps({key: str(value) for key, value in row.items()})


async def test_an_untouched_chain_verifies(app: FastAPI, migrated: Infrastructure,
                                           casework_db: asyncpg.Connection) -> None:
    _, _, seq = await view_case_as_officer(app)
    code, report = await verify_audit(migrated)
    assert code == 0, report
    assert report["ok"] is True
    assert report["first_broken_seq"] is None
    assert report["head"]["seq"] >= seq
    assert report["entries_checked"] >= seq
    # The verified head is kept apart from the chain, so cutting entries off later shows.
    assert await casework_db.fetchval(
        "SELECT count(*) FROM audit_checkpoints WHERE seq = $1 AND entry_hash = $2",
        report["head"]["seq"], report["head"]["hash"]) >= 1


async def test_editing_an_entry_breaks_the_chain_and_verify_audit_names_it(
    app: FastAPI, migrated: Infrastructure, casework_db: asyncpg.Connection
) -> None:
    _, case_id, seq = await view_case_as_officer(app)
    original = await casework_db.fetchval("SELECT actor_id FROM audit_log WHERE seq = $1", seq)

    async def set_actor(actor_id: str) -> None:
        async with casework_db.transaction():
            await casework_db.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
            await casework_db.execute("UPDATE audit_log SET actor_id = $1 WHERE seq = $2", actor_id, seq)
            await casework_db.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete")

    await set_actor("someone-else")
    try:
        code, report = await verify_audit(migrated)
        lead = await add_user(app, Role.LEAD_OFFICER)
        async with client_for(app) as client:
            assert (await sign_in(client, lead.email)).status_code == 303
            page = await client.get("/audit", params={"record_id": case_id})
    finally:
        await set_actor(original)
    assert code == 1
    assert report["ok"] is False
    assert report["first_broken_seq"] == seq
    assert page.status_code == 200
    assert f"The audit log has been tampered with at entry {seq}" in page.text
    assert (await verify_audit(migrated))[0] == 0


async def test_the_log_cannot_be_changed_or_emptied_while_its_trigger_is_on(casework_db: asyncpg.Connection) -> None:
    for statement in ("UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 1",
                      "DELETE FROM audit_log WHERE seq = 1",
                      "TRUNCATE audit_log",
                      "UPDATE audit_checkpoints SET entry_hash = 'x'",
                      "DELETE FROM audit_checkpoints",
                      "TRUNCATE audit_checkpoints"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await casework_db.execute(statement)


async def test_entries_cut_off_the_end_are_caught_by_the_checkpoint(app: FastAPI) -> None:
    await view_case_as_officer(app)
    audit = AuditLog()
    async with session_factory(app)() as session:
        transaction = await session.begin()
        try:
            # Nobody appends meanwhile, and everything here is rolled back.
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
            verified = await audit.verify_all(session, write_checkpoint=True)
            assert verified.report.ok and verified.head is not None
            await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete"))
            await session.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": verified.head.seq})
            cut = await audit.verify_all(session)
        finally:
            await transaction.rollback()
    assert not cut.report.ok
    assert cut.report.first_broken_seq == verified.head.seq
    assert cut.report.reason == f"chain ends before checkpoint seq {verified.head.seq}"


async def test_entries_recorded_together_extend_the_chain_in_order(app: FastAPI) -> None:
    audit = AuditLog()
    async with session_factory(app)() as session:
        transaction = await session.begin()
        try:
            entries = await audit.record_many(session, [
                AuditedAction("sec-officer", "case.list_viewed", "case", f"case-{number}", {"view": "test"})
                for number in range(3)
            ])
            verified = await audit.verify_all(session)
        finally:
            await transaction.rollback()
    assert [entry.seq for entry in entries] == list(range(entries[0].seq, entries[0].seq + 3))
    assert verified.report.ok
    assert verified.head is not None and verified.head.seq == entries[-1].seq


ENTRY_ROW = re.compile(r'<th scope="row" class="govuk-table__header">(\d+)</th>')


async def test_the_audit_log_page_lists_entries_newest_first_with_a_filter_and_the_chain_status(app: FastAPI) -> None:
    _, case_id, seq = await view_case_as_officer(app)
    lead = await add_user(app, Role.LEAD_OFFICER)
    # Two full pages of entries of its own, so there are older entries whatever ran before this test.
    async with app.state.runtime.session_factory.begin() as session:
        await AuditLog().record_many(session, [
            AuditedAction("sec-officer", "case.list_viewed", "case", f"page-filler-{number}", {"view": "test"})
            for number in range(2 * PAGE_SIZE + 1)
        ])
    async with client_for(app) as client:
        assert (await sign_in(client, lead.email)).status_code == 303
        newest = await client.get("/audit")
        older_link = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next">',
                               newest.text)
        assert older_link, "the newest page links to older entries"
        older = await client.get(older_link.group(1).replace("&amp;", "&"))
        filtered = await client.get("/audit", params={"record_id": case_id})
        invalid = await client.get("/audit", params={"record_id": "<script>"})
    for page in (newest, older, filtered, invalid):
        assert_well_formed(page.text)
    assert newest.status_code == 200
    shown = [int(number) for number in ENTRY_ROW.findall(newest.text)]
    assert len(shown) == 50
    assert shown == sorted(shown, reverse=True)
    assert 'id="chain-status-tag">Intact' in newest.text
    older_shown = [int(number) for number in ENTRY_ROW.findall(older.text)]
    assert older_shown == list(range(min(shown) - 1, min(shown) - 51, -1))
    assert str(seq) in ENTRY_ROW.findall(filtered.text)
    assert f'href="/cases/{case_id}"' in filtered.text
    assert "case.viewed" in filtered.text
    assert invalid.status_code == 400
    assert "Enter a record ID using only letters, numbers, dashes, dots and colons" in invalid.text
