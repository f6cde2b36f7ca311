"""The `cme` command: run the suite, submit returns, list cases, check health and lag."""

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
import typer

from cme_cli.infra import STATE_DIR, ensure_infrastructure, stop_local_infrastructure
from cme_cli.suite import SERVICES, base_environment, configured_ports, suite_specs
from cme_cli.supervisor import Supervisor, print_sink

app = typer.Typer(help="Children Missing Education suite.", no_args_is_help=True, add_completion=False)
TOKEN_FILE = STATE_DIR / "api-token"


def _url(service: str) -> str:
    return os.environ.get(f"CME_{service.upper()}_URL", f"http://127.0.0.1:{configured_ports()[service]}")


def _api_token() -> str | None:
    if token := os.environ.get("CME_API_TOKEN"):
        return token
    return TOKEN_FILE.read_text().strip() if TOKEN_FILE.exists() else None


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


@app.command()
def up(
    demo: Annotated[bool, typer.Option("--demo", help="Seed demonstration cases and print the demo sign-ins")] = False,
    colour: Annotated[bool, typer.Option(help="Colour each process's log prefix")] = sys.stdout.isatty(),
) -> None:
    """Start Kafka and PostgreSQL (unless configured), migrate, and run every service until Ctrl-C."""
    from cme_cli.bootstrap import create_topics, migrate_all  # noqa: PLC0415 - heavy imports only for `up`

    endpoints = ensure_infrastructure()
    typer.echo(f"Kafka {endpoints.kafka_bootstrap_servers}; PostgreSQL ready. Running migrations...")
    if endpoints.provisioned_locally:  # local throwaway credentials only; never echo a configured URL
        typer.echo(f"DATABASE_URL={endpoints.database_url}  (for `cme run-due` and `cme verify-audit`)")
    migrate_all(endpoints.database_url)
    asyncio.run(create_topics(endpoints.kafka_bootstrap_servers, os.environ.get("CME_TOPIC_PREFIX", "")))
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    TOKEN_FILE.write_text(token)
    TOKEN_FILE.chmod(0o600)
    env = base_environment(
        {
            "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
            "DATABASE_URL": endpoints.database_url,
            "CME_API_TOKENS": json.dumps({token: "cme-cli"}),
            # Local development is plain http on 127.0.0.1; deployments keep the Secure __Host- cookie (default).
            "CME_SESSION_COOKIE_SECURE": os.environ.get("CME_SESSION_COOKIE_SECURE", "false"),
        }
    )
    ports = configured_ports()
    supervisor = Supervisor(suite_specs(env, ports).values(), STATE_DIR / "logs", print_sink(colour))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    # `cme cases` acts through the JSON API as this read-only service user.
    subprocess.run(
        [sys.executable, "-m", "services.casework", "ensure-service-user", "cme-cli", "group_manager"],
        env=env,
        check=True,
        capture_output=True,
    )
    supervisor.start_all()
    try:
        supervisor.wait_ready()
        if demo:
            from cme_cli.demo import seed  # noqa: PLC0415

            seed(env, f"http://127.0.0.1:{ports['casework']}")
        typer.echo("\nThe suite is running:")
        for name, port in ports.items():
            typer.echo(f"  {name:<9} http://127.0.0.1:{port}")
        typer.echo(f"Officers' UI: http://127.0.0.1:{ports['casework']}   (Ctrl-C stops everything)")
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("\nStopping...")
        supervisor.stop_all()


@app.command()
def down() -> None:
    """Stop the locally provisioned Kafka broker and PostgreSQL cluster."""
    stop_local_infrastructure()


@app.command()
def submit(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Submit a leaver return (JSON) to the intake API and print the outcome; exit 1 if it is rejected."""
    body = json.loads(file.read_text())
    kind = body.get("submission_type", "leaver")
    response = httpx.post(f"{_url('intake')}/api/v1/submissions/{kind}", json=body, timeout=30)
    payload = response.json()
    _print_json(payload)
    if response.status_code >= 400 or payload.get("status") != "accepted":
        raise typer.Exit(1)


@app.command()
def cases(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List cases from the casework API."""
    token = _api_token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{_url('casework')}/api/v1/cases", headers=headers, params={"page_size": 500}, timeout=30)
    if response.status_code != 200:
        typer.echo(f"casework answered {response.status_code}: {response.text}", err=True)
        raise typer.Exit(1)
    payload = response.json()
    if as_json:
        _print_json(payload)
        return
    rows = payload["cases"]
    typer.echo(f"{'reference':<14}{'status':<18}{'priority':<10}{'track':<20}{'due':<12}officer")
    for case in rows:
        typer.echo(
            f"{case['reference']:<14}{case['status']:<18}{case['priority']:<10}{case['track']:<20}"
            f"{case.get('due_date') or '':<12}{case.get('officer_id') or '-'}"
        )
    typer.echo(f"{payload['total']} case(s)")


@app.command()
def status() -> None:
    """Each service's health and each consumer group's lag."""
    from cme_cli.lag import consumer_lag  # noqa: PLC0415

    healthy = True
    for name in (*SERVICES, "relay"):
        try:
            response = httpx.get(f"{_url(name)}/health/ready", timeout=3)
            state = "ready" if response.status_code == 200 else f"not ready {response.json().get('checks')}"
        except httpx.HTTPError:
            state = "down"
        healthy &= state == "ready"
        typer.echo(f"{name:<9} {state}")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    prefix = os.environ.get("CME_TOPIC_PREFIX", "")
    try:
        lags = asyncio.run(consumer_lag(bootstrap, [f"{prefix}cme.{name}" for name in SERVICES]))
    except Exception as error:
        typer.echo(f"consumer lag unavailable: {type(error).__name__}")
        raise typer.Exit(1) from error
    typer.echo("\nconsumer group lag:")
    for group, lag in lags.items():
        typer.echo(f"  {group:<20} {lag}")
    if not healthy:
        raise typer.Exit(1)


@app.command("run-due")
def run_due(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The instant to run as of, ISO 8601 (default now); without an offset it is UK local time",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the time-based rules due by an instant, each service its own: joiner watches past their deadline become
    CME decisions (triage); cases kept open after Missing Mondays get their re-checks and further review (review);
    the officers' task diary gets the tasks its rules owe (casework); referrals other authorities have not
    acknowledged are chased once, then marked unacknowledged (notify)."""
    extra: list[str] = []
    if as_of is not None:
        try:
            instant = datetime.fromisoformat(as_of)
        except ValueError as error:
            raise typer.BadParameter(f"not an ISO 8601 date and time: {as_of!r}", param_hint="--as-of") from error
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=ZoneInfo("Europe/London"))
        extra = ["--as-of", instant.isoformat()]
    worst = 0
    # Each service owns its rules and prints one JSON line of counts; they are independent, so the order is free.
    for service in ("review", "triage", "casework", "notify"):
        returncode = subprocess.run([sys.executable, "-m", f"services.{service}", "run-due", *extra], check=False)
        worst = max(worst, returncode.returncode)
    raise typer.Exit(worst)


@app.command("verify-audit")
def verify_audit() -> None:
    """Check casework's audit log hash chain; exit 1 naming the first broken entry."""
    command = [sys.executable, "-m", "services.casework", "verify-audit"]
    raise typer.Exit(subprocess.run(command, check=False).returncode)


@app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the pack into")] = Path("reports"),
    week: Annotated[str | None, typer.Option("--week", help="Any day of the week (YYYY-MM-DD); default last week")]
    = None,
    census_date: Annotated[
        str | None,
        typer.Option("--census-date", help="Also write the DfE termly return for this census day (YYYY-MM-DD) as "
                                           "dfe-return-<date>.csv beside the pack"),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Instead: drop reporting's read model and replay the topics (stop "
                                             "the reporting service first)")
    ] = False,
) -> None:
    """Write the weekly Missing Mondays pack (HTML, PDF, one CSV file per table; the team's and counts-only), with
    a progress bar; or rebuild reporting's read model from the topics. Reads DATABASE_URL like the services."""
    command = [sys.executable, "-m", "services.reporting"]
    command += ["rebuild"] if rebuild else [
        "report", "--out", str(out), *(["--week", week] if week else []),
        *(["--census-date", census_date] if census_date else []),
    ]
    raise typer.Exit(subprocess.run(command, check=False).returncode)


dlq_app = typer.Typer(help="Dead letters: list them, and replay them once the cause is fixed.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


def _dlq_target() -> tuple[str, str, dict[str, Any]]:
    from cme_runtime.kafka_security import aiokafka_options  # noqa: PLC0415 - keeps `cme --help` fast
    from cme_runtime.settings import ServiceSettings  # noqa: PLC0415
    from contracts.topics import DEAD_LETTER  # noqa: PLC0415

    settings = ServiceSettings()
    return settings.kafka_bootstrap_servers, settings.topic(DEAD_LETTER), aiokafka_options(settings)


@dlq_app.command("list")
def dlq_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Every dead letter: id, time, original topic, consumer and reason (never the payload: it is personal data)."""
    from cme_cli.dlq import read_dead_letters  # noqa: PLC0415

    bootstrap, topic, security = _dlq_target()
    letters = [letter.summary() for letter in asyncio.run(read_dead_letters(bootstrap, topic, **security))]
    if as_json:
        _print_json(letters)
        return
    for letter in letters:
        replayed = f"  [replayed {'; '.join(letter['replayed'])}]" if letter["replayed"] else ""
        typer.echo(f"{letter['id']}  {letter['time']}  {letter['topic']}  {letter['reason']}{replayed}")
    typer.echo(f"{len(letters)} dead letter(s) on {topic}")


@dlq_app.command("replay")
def dlq_replay(
    ids: Annotated[list[str] | None, typer.Argument(help="Dead letter ids, as `cme dlq list` shows them")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Every dead letter not replayed yet")] = False,
    again: Annotated[bool, typer.Option("--again", help="With --all: include those already replayed")] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who is replaying (default: $USER), for the audit")] = None,
) -> None:
    """Republish dead letters' original bytes and headers to their original topics, audited. Safe to repeat: the
    consumers' inboxes process each event once."""
    from cme_cli.dlq import NothingToReplay, replay  # noqa: PLC0415
    from cme_runtime.logging import configure_logging  # noqa: PLC0415

    if bool(ids) == replay_all:
        typer.echo("Name dead letter ids or give --all.", err=True)
        raise typer.Exit(2)
    operator = by or os.environ.get("USER")
    if not operator:
        typer.echo("Say who is replaying with --by (or set $USER): replays are audited.", err=True)
        raise typer.Exit(2)
    configure_logging("cme-dlq")
    bootstrap, topic, security = _dlq_target()
    try:
        replayed = asyncio.run(replay(bootstrap, topic, None if replay_all else ids, operator, again=again, **security))
    except NothingToReplay as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    for letter in replayed:
        typer.echo(f"replayed {letter.id} to {letter.topic}")
    typer.echo(f"{len(replayed)} dead letter(s) replayed by {operator}")
