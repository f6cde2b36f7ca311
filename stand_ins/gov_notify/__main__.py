"""`python -m stand_ins.gov_notify`: serve the GOV.UK Notify stand-in on CME_HTTP_PORT (default 8006).

It reads the same variables as notify, so one environment configures both: CME_GOV_NOTIFY_API_KEY (the key it
accepts), CME_GOV_NOTIFY_CALLBACK_URL and CME_GOV_NOTIFY_CALLBACK_TOKEN (where delivery receipts go, and the
bearer token they carry).
"""

import logging
import os

import uvicorn

from stand_ins.gov_notify.app import DEVELOPMENT_API_KEY, StandInSettings, create_app


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format='{"service": "gov_notify", "level": "%(levelname)s", "message": "%(message)s"}'
    )
    settings = StandInSettings(
        api_key=os.environ.get("CME_GOV_NOTIFY_API_KEY", DEVELOPMENT_API_KEY),
        callback_url=os.environ.get("CME_GOV_NOTIFY_CALLBACK_URL"),
        callback_token=os.environ.get("CME_GOV_NOTIFY_CALLBACK_TOKEN"),
    )
    uvicorn.run(
        create_app(settings),
        host=os.environ.get("CME_HTTP_HOST", "127.0.0.1"),
        port=int(os.environ.get("CME_HTTP_PORT", "8006")),
        log_level="info",
    )


if __name__ == "__main__":
    main()
