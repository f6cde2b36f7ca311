"""The pack as people read it: an HTML fragment (embedded by casework's officers' UI), a standalone HTML page and
its PDF (WeasyPrint; the same template), CSV files (one per table, zipped), and charts drawn here as SVG.

Every chart sits beside the table of its numbers and has a text alternative, so the page needs no JavaScript and
reads the same to a screen reader. The counts-only version leaves out the agenda and suppresses small numbers.
"""

import base64
import csv
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: draw to files only; set before pyplot is imported
import matplotlib.pyplot as plt
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.reporting.domain.pack import Pack, PackTable, pack_tables, suppress_table

TEMPLATES = Path(__file__).parent / "templates"
_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), auto_reload=False)

# Matplotlib writes a random id salt and the date into each SVG unless told not to: fix both so a pack renders
# the same bytes every time.
matplotlib.rcParams["svg.hashsalt"] = "cme-reporting"
matplotlib.rcParams["svg.fonttype"] = "none"


@dataclass(frozen=True)
class Chart:
    title: str
    alt: str
    svg: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def charts(pack: Pack) -> dict[str, Chart]:
    """Charts keyed by the table they illustrate."""
    weeks = list(range(len(pack.trend)))
    figure, axes = plt.subplots(figsize=(8, 3))
    axes.plot(weeks, [each.open_at_end for each in pack.trend], label="Open at end of week", color="#1d70b8")
    axes.plot(
        weeks, [each.whereabouts_unknown_at_end for each in pack.trend], label="Whereabouts unknown", color="#d4351c"
    )
    axes.bar(weeks, [each.new_referrals for each in pack.trend], width=0.7, label="New referrals", color="#b1b4b6")
    axes.legend(loc="upper left", fontsize=8)
    axes.set_ylabel("Cases")
    ticks = weeks[::4]
    axes.set_xticks(ticks, [pack.trend[index].week_start.strftime("%d %b %y") for index in ticks], fontsize=7)
    figure.autofmt_xdate()
    first, last = pack.trend[0], pack.trend[-1]
    trend = Chart(
        f"Open cases, whereabouts unknown and new referrals, {len(pack.trend)} weeks",
        f"Line chart: open cases went from {first.open_at_end} in the week beginning {first.week_start:%d %B %Y} "
        f"to {last.open_at_end} in the week beginning {last.week_start:%d %B %Y}; whereabouts unknown from "
        f"{first.whereabouts_unknown_at_end} to {last.whereabouts_unknown_at_end}. The table beside it gives every "
        "week's figures.",
        _svg(figure),
    )
    figure, axes = plt.subplots(figsize=(4, 2.5))
    labels = list(pack.open_by_priority) or ["none"]
    values = list(pack.open_by_priority.values()) or [0]
    axes.bar(labels, values, color="#1d70b8")
    axes.set_ylabel("Open cases")
    priority = Chart(
        "Open cases by priority",
        "Bar chart of open cases by priority: "
        + ("; ".join(f"{name} {count}" for name, count in pack.open_by_priority.items()) or "no open cases")
        + ".",
        _svg(figure),
    )
    return {"trend": trend, "open_by_priority": priority}


def tables(pack: Pack, *, counts_only: bool) -> tuple[PackTable, ...]:
    made = pack_tables(pack, counts_only=counts_only)
    return tuple(suppress_table(table) for table in made) if counts_only else made


def render_html(pack: Pack, *, counts_only: bool = False, standalone: bool = True, with_charts: bool = True) -> str:
    """The pack as HTML: `standalone` a whole document (for the PDF and files), otherwise the fragment casework
    embeds in its layout (no styles of its own: GOV.UK Frontend classes only)."""
    template = _environment.get_template("pack.html")
    # Charts from suppressed figures would give the small numbers away: the counts-only version has tables only.
    drawn = charts(pack) if with_charts and not counts_only else {}
    return template.render(
        pack=pack, tables=tables(pack, counts_only=counts_only), charts=drawn, counts_only=counts_only,
        standalone=standalone,
    )


def render_pdf(pack: Pack, *, counts_only: bool = False) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415  (slow to import; only the PDF needs it)

    # WeasyPrint reports each layout step at INFO: noise in the services' logs and the command's output.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    pdf: bytes = HTML(string=render_html(pack, counts_only=counts_only, standalone=True)).write_pdf()
    return pdf


def table_csv(table: PackTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buffer.getvalue()


def csv_files(pack: Pack, *, counts_only: bool = False) -> dict[str, str]:
    """One CSV file per table, named by week and table."""
    prefix = f"pack-{pack.week_start.isoformat()}{'-counts-only' if counts_only else ''}"
    return {f"{prefix}-{table.name}.csv": table_csv(table) for table in tables(pack, counts_only=counts_only)}


def render_csv_zip(pack: Pack, *, counts_only: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in csv_files(pack, counts_only=counts_only).items():
            # A fixed timestamp: the same pack zips to the same bytes.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()
