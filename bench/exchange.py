"""The cross-LA exchange's costs: signing and verifying one message, and receiving one over HTTPS end to end.

    uv run python bench/exchange.py --messages 200      # needs DATABASE_URL (migrated) like the services

1. seal + open_envelope of a referral, in process (Ed25519 through securesystemslib), per message.
2. `POST /exchange/v1/messages` through notify's real app (ASGI, no network) on the real PostgreSQL: accepted
   referrals (verify, replay check, record, forward to intake's outbox, owe a signed receipt) and refused tampered
   ones (verify fails, refusal recorded, refusal receipt owed), one at a time.

Prints medians and 95th percentiles in milliseconds. Every person in it is invented.
"""

import argparse
import asyncio
import base64
import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cme_runtime.exchange_signing import ENVELOPE_CONTENT_TYPE, SigningKey, TrustRegistry, open_envelope, seal
from cme_runtime.settings import ServiceSettings
from contracts.events.common_v1 import Address, Child
from contracts.exchange.messages_v1 import ReferralSentToAuthority, TeamContact
from services.notify.app import create_app
from services.notify.settings import NotifySettings

HOME, PARTNER = "885", "884"


def referral() -> ReferralSentToAuthority:
    return ReferralSentToAuthority(
        message_id=uuid4(),
        from_la=PARTNER,
        to_la=HOME,
        sent_at=datetime.now(UTC),
        sender_case_reference="HER-1",
        child=Child(given_name="Bench", family_name="Child", date_of_birth=date(2014, 5, 6)),
        believed_address=Address(line1="1 Bench Road"),
        reason="Moved, the family says",
        contact=TeamContact(team="Bench team", email="bench@example.invalid"),
    )


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms (n={len(ordered)})"


def tampered(document: dict[str, object]) -> bytes:
    cloud_event = json.loads(base64.b64decode(str(document["payload"])))
    cloud_event["data"]["reason"] = "altered"
    return json.dumps({**document, "payload": base64.b64encode(json.dumps(cloud_event).encode()).decode()}).encode()


async def main(messages: int) -> None:
    partner = SigningKey.generate(PARTNER)
    registry = TrustRegistry([partner.trusted(datetime.now(UTC) - timedelta(days=1))])
    crypto = []
    for _ in range(messages):
        started = time.perf_counter()
        document = seal(referral(), partner)
        open_envelope(document, registry, receiver_la=HOME, now=datetime.now(UTC))
        crypto.append(time.perf_counter() - started)
    print(f"seal + open one referral: {ms(crypto)}")

    home_raw = Ed25519PrivateKey.generate().private_bytes_raw()
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    settings = NotifySettings(
        DATABASE_URL=ServiceSettings().database_url_template,
        start_consumers=False,
        home_la_code=HOME,
        exchange_signing_key=home_raw.hex(),
        exchange_trust_registry=json.dumps(
            {"authorities": {PARTNER: [{"public_key": partner.public_hex(), "valid_from": since}]}}
        ),
        exchange_partners={PARTNER: {"transport": "kafka"}},
    )
    app = create_app(settings)
    headers = {"Content-Type": ENVELOPE_CONTENT_TYPE}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        for label, make, expected in (
            ("accepted referral", lambda: json.dumps(seal(referral(), partner)).encode(), 202),
            ("refused (tampered) referral", lambda: tampered(seal(referral(), partner)), 403),
        ):
            samples = []
            for _ in range(messages):
                body = make()
                started = time.perf_counter()
                response = await client.post("/exchange/v1/messages", content=body, headers=headers)
                samples.append(time.perf_counter() - started)
                assert response.status_code == expected, response.status_code
            print(f"HTTPS receive, {label}: {ms(samples)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    asyncio.run(main(parser.parse_args().messages))
