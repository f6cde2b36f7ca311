"""Case references (the short form officers quote) stay unique even when two random case ids share one."""

from uuid import UUID, uuid4

import pytest

import services.casework.adapters.repository as repository_module
from cme_runtime.db import create_engine, create_session_factory
from services.casework.adapters.repository import CaseRepository, reference_for
from services.casework.settings import CaseworkSettings
from services.casework.tests.factories import open_case
from tests.support.infrastructure import Infrastructure

pytestmark = pytest.mark.integration


async def test_a_new_case_never_takes_a_reference_already_in_use(
    migrated: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(CaseworkSettings(DATABASE_URL=migrated.database_url))
    existing_id = str(uuid4())
    repository = CaseRepository()
    try:
        async with create_session_factory(engine).begin() as session:
            await repository.add(session, open_case(existing_id, child_id=str(uuid4()), referral_id=str(uuid4())))
            # The first id drawn shares the existing case's reference (same first 32 bits); the second does not.
            clash = UUID(existing_id[:8] + str(uuid4())[8:])
            fresh = uuid4()
            drawn = iter([clash, fresh])
            monkeypatch.setattr(repository_module, "uuid4", lambda: next(drawn))
            case_id = await repository.unused_case_id(session)
            await session.rollback()
    finally:
        await engine.dispose()

    assert reference_for(str(clash)) == reference_for(existing_id)
    assert case_id == str(fresh)
