"""Reporting's commands: `python -m services.reporting rebuild` and `python -m services.reporting report`.

rebuild  Drop the read model and replay the topics from their start until caught up with their end offsets as
         they were when the rebuild began; then the live consumer group carries on from there. Stop the reporting
         service first (Kafka will not take the group's offsets while it runs). Prints one line of JSON with counts.
report   Write the pack for a week (--week, any day of it; default the last full week) into --out DIR: HTML, PDF
         and one CSV file per table, for the team and counts-only. `cme report` runs this.
"""

import argparse
import asyncio
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.reporting.adapters.replay import ReplayProgress, TopicReplay
from services.reporting.app import build
from services.reporting.domain.dfe_return import to_csv
from services.reporting.domain.pack import Pack
from services.reporting.entrypoints import kafka
from services.reporting.entrypoints.rendering import csv_files, render_html, render_pdf
from services.reporting.service_layer.projection import CONSUMED
from services.reporting.service_layer.rebuild import RebuildResult, rebuild
from services.reporting.service_layer.schools import UnknownCensusDate
from services.reporting.settings import ReportingSettings

COMMANDS = ("rebuild", "report")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
    )


async def run_rebuild(settings: ReportingSettings, *, show_progress: bool = False) -> RebuildResult:
    components = build(settings)
    runtime = components.runtime
    replay = TopicReplay(settings, kafka.TOPICS, CONSUMED, group_id=settings.consumer_group)
    with _progress() as bar:
        task = bar.add_task("Replaying the topics", total=None, visible=show_progress)

        def advance(progress: ReplayProgress) -> None:
            bar.update(task, total=progress.total, completed=progress.read)

        try:
            return await rebuild(
                runtime.session_factory.begin, components.projection, replay,
                batch_size=settings.rebuild_batch_size, on_progress=advance,
            )
        finally:
            await runtime.engine.dispose()


async def load_pack(settings: ReportingSettings, week: date | None) -> Pack:
    components = build(settings)
    try:
        async with components.runtime.session_factory() as session:
            return await components.packs.pack(session, week or components.packs.last_full_week())
    finally:
        await components.runtime.engine.dispose()


async def load_dfe_return(settings: ReportingSettings, census_date: date) -> str:
    """The DfE termly return's CSV text for that census day (UnknownCensusDate when it is not one)."""
    components = build(settings)
    try:
        async with components.runtime.session_factory() as session:
            return to_csv(await components.schools.dfe_return(session, census_date, settings.la_code))
    finally:
        await components.runtime.engine.dispose()


def write_dfe_return(settings: ReportingSettings, census_date: date, out: Path) -> Path:
    """Write dfe-return-<census date>.csv into `out`; returns its path."""
    text = asyncio.run(load_dfe_return(settings, census_date))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"dfe-return-{census_date.isoformat()}.csv"
    # newline="" keeps the CSV's own CRLF line ends (RFC 4180) as they are
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(text)
    return path


def write_report(
    settings: ReportingSettings, week: date | None, out: Path, *, show_progress: bool = False
) -> list[Path]:
    """Write the pack's files; returns their paths."""
    written: list[Path] = []
    with _progress() as bar:
        task = bar.add_task("Writing the pack", total=5, visible=show_progress)
        pack = asyncio.run(load_pack(settings, week))
        bar.advance(task)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"missing-mondays-pack-{pack.week_start.isoformat()}"
        for counts_only in (False, True):
            suffix = "-counts-only" if counts_only else ""
            html = out / f"{stem}{suffix}.html"
            html.write_text(render_html(pack, counts_only=counts_only), encoding="utf-8")
            bar.advance(task)
            pdf = out / f"{stem}{suffix}.pdf"
            pdf.write_bytes(render_pdf(pack, counts_only=counts_only))
            bar.advance(task)
            written += [html, pdf]
            for name, text in csv_files(pack, counts_only=counts_only).items():
                path = out / name
                path.write_text(text, encoding="utf-8")
                written.append(path)
    return written


def main(argv: Sequence[str], settings: ReportingSettings) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.reporting", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rebuild", help="drop the read model and replay the topics from the start")
    report = commands.add_parser("report", help="write the weekly pack (HTML, PDF, CSV)")
    report.add_argument("--week", type=date.fromisoformat, default=None, help="any day of the week (YYYY-MM-DD)")
    report.add_argument("--out", type=Path, required=True)
    report.add_argument("--census-date", type=date.fromisoformat, default=None,
                        help="also write the DfE termly return for this census day (YYYY-MM-DD)")
    arguments = parser.parse_args(argv)
    if arguments.command == "rebuild":
        result = asyncio.run(run_rebuild(settings, show_progress=True))
        print(json.dumps({"read": result.read, "applied": result.applied, "skipped": result.skipped}))
        return 0
    paths = write_report(settings, arguments.week, arguments.out, show_progress=True)
    if arguments.census_date is not None:
        try:
            paths.append(write_dfe_return(settings, arguments.census_date, arguments.out))
        except UnknownCensusDate as error:
            print(json.dumps({"written": [str(path) for path in paths], "error": str(error)}))
            return 2
    print(json.dumps({"written": [str(path) for path in paths]}))
    return 0
