"""The weekly Missing Mondays pack, from the read model: the use case every output (page, PDF, CSV, `cme
report`) goes through."""

from datetime import date

from cme_runtime.clock import Clock
from cme_runtime.db import Transaction
from services.reporting.adapters.read_model import ReadModel
from services.reporting.domain.pack import LONDON, Pack, build_pack, week_of


class PackService:
    def __init__(self, read_model: ReadModel, clock: Clock) -> None:
        self.read_model = read_model
        self.clock = clock

    def last_full_week(self) -> date:
        """The week a Monday meeting looks back on: the one before this week."""
        today = self.clock().astimezone(LONDON).date()
        return date.fromordinal(week_of(today).toordinal() - 7)

    async def pack(self, tx: Transaction, week: date) -> Pack:
        """The pack for the week containing `week` (any day of it)."""
        monday = week_of(week)
        return build_pack(monday, await self.read_model.facts(tx, monday))
