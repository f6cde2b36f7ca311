"""In-memory stand-ins for notify's ports, for service-layer tests. They subclass the ports they stand in for."""


from cme_runtime.db import Transaction
from services.notify.adapters.delivery_log import DeliveryLog, LoggedMessage


class FakeDeliveryLog(DeliveryLog):
    def __init__(self) -> None:
        self.entries: list[LoggedMessage] = []

    async def record(self, session: Transaction, entry: LoggedMessage) -> None:
        # message_id is the delivery log's primary key.
        if any(each.message_id == entry.message_id for each in self.entries):
            raise ValueError(f"message {entry.message_id} is in the delivery log already")
        self.entries.append(entry)
