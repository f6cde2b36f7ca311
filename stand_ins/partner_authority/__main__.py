"""`python -m stand_ins.partner_authority`: serve the partner-authority stand-in on CME_HTTP_PORT (default 8008).

CME_PARTNER_LA_CODE (default 886), CME_PARTNER_SIGNING_KEY (hex of its Ed25519 private key),
CME_EXCHANGE_TRUST_REGISTRY (the same registry document notify reads: it holds both authorities' public keys), and
CME_PARTNER_REPLY_URLS (JSON: {"<home LA code>": "http://.../exchange/v1/messages"}).
"""

import json
import logging
import os
from pathlib import Path

import uvicorn

from cme_runtime.exchange_signing import SigningKey, TrustRegistry
from stand_ins.partner_authority.app import PartnerSettings, create_app


def main() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format='{"service": "partner_authority", "level": "%(levelname)s", "message": "%(message)s"}',
    )
    registry_text = os.environ["CME_EXCHANGE_TRUST_REGISTRY"]
    if registry_text.startswith("@"):
        registry_text = Path(registry_text[1:]).read_text(encoding="utf-8")
    settings = PartnerSettings(
        key=SigningKey.from_private_bytes(
            os.environ.get("CME_PARTNER_LA_CODE", "886"), bytes.fromhex(os.environ["CME_PARTNER_SIGNING_KEY"])
        ),
        registry=TrustRegistry.from_json(json.loads(registry_text)),
        reply_urls=json.loads(os.environ.get("CME_PARTNER_REPLY_URLS", "{}")),
    )
    uvicorn.run(
        create_app(settings),
        host=os.environ.get("CME_HTTP_HOST", "127.0.0.1"),
        port=int(os.environ.get("CME_HTTP_PORT", "8008")),
        log_level="info",
    )


if __name__ == "__main__":
    main()
