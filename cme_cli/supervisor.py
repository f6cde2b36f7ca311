"""Starts, watches and stops the suite's processes, with each process's log lines prefixed by its name."""

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import httpx

from cme_cli.suite import ProcessSpec

COLOURS = ("\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[31m")
RESET = "\033[0m"

LineSink = Callable[[str, str], None]


def print_sink(colour: bool) -> LineSink:
    lock = threading.Lock()
    palette: dict[str, str] = {}

    def sink(name: str, line: str) -> None:
        if colour:
            shade = palette.setdefault(name, COLOURS[len(palette) % len(COLOURS)])
            prefix = f"{shade}{name:>8} |{RESET}"
        else:
            prefix = f"{name:>8} |"
        with lock:
            sys.stdout.write(f"{prefix} {line}")
            sys.stdout.flush()

    return sink


class Supervisor:
    def __init__(self, specs: Iterable[ProcessSpec], log_dir: Path, sink: LineSink | None = None) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.log_dir = log_dir
        self.sink = sink
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        spec = self.specs[name]
        process = subprocess.Popen(
            spec.argv,
            env=dict(spec.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes[name] = process
        assert process.stdout is not None
        threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True).start()
        return process

    def start_all(self) -> None:
        for name in self.specs:
            self.start(name)

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        with (self.log_dir / f"{name}.log").open("ab") as log_file:
            for raw in iter(stream.readline, b""):
                log_file.write(raw)
                log_file.flush()
                if self.sink is not None:
                    self.sink(name, raw.decode(errors="replace"))

    def is_running(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def signal(self, name: str, signum: int) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signum)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hooks, no offset commits: the crash the delivery guarantees must survive."""
        self.signal(name, signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def stop(self, name: str, timeout: float = 25) -> None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)

    def wait_ready(self, names: Iterable[str] | None = None, timeout: float = 90) -> None:
        pending = set(names or self.specs)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as client:
            while pending:
                for name in list(pending):
                    if not self.is_running(name):
                        raise RuntimeError(
                            f"{name} exited with code {self.processes[name].returncode}; "
                            f"see {self.log_dir / (name + '.log')}"
                        )
                    try:
                        if client.get(self.specs[name].base_url + "/health/ready").status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)}")
                if pending:
                    time.sleep(0.3)
