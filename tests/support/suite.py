"""The whole suite running as processes against real Kafka and PostgreSQL, for end-to-end tests."""

import socket
from dataclasses import dataclass
from pathlib import Path

from cme_cli.suite import ProcessSpec
from cme_cli.supervisor import Supervisor


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningSuite:
    supervisor: Supervisor
    specs: dict[str, ProcessSpec]
    topic_prefix: str
    kafka: str
    database_url: str
    log_dir: Path

    def url(self, service: str, path: str = "") -> str:
        return self.specs[service].base_url + path

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def restart(self, service: str) -> None:
        self.supervisor.start(service)
        self.supervisor.wait_ready([service])
