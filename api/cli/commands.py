"""The `heritage` command: ingest, serve, reindex, search, verify, demo.

Exit codes (README.md): 0 all done; 1 done with failed items or damage found; 2 bad usage or
configuration — always one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import errno
import json
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.authorities import authorities_app
from api.cli.duplicates import duplicates_command
from api.cli.governance import keys_app, verify
from api.cli.history import delete_command, history_command
from api.cli.ocr import ocr_command
from api.cli.sharing import export_command, harvest_command
from api.cli.support import HeritageGroup, err, fail, load_settings, open_services, out
from api.cli.users import users_app

if TYPE_CHECKING:  # the pipeline, the web app and the backends load only when a command runs
    from api.services import Services
    from api.settings import Settings
    from ingest.pipeline import IngestOptions
    from ingest.pool import Workers
    from ingest.report import IngestReport

app = typer.Typer(
    cls=HeritageGroup,
    name="heritage",
    help="Intangible-cultural-heritage repository: ingest, store, search and serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_app)
app.add_typer(users_app)
app.add_typer(authorities_app)
app.command()(verify)
app.command("export")(export_command)
app.command("harvest")(harvest_command)
app.command("history")(history_command)
app.command("delete")(delete_command)
app.command("duplicates")(duplicates_command)
app.command("ocr")(ocr_command)

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples"
DEMO_COLLECTION = "samples"
DEMO_DESCRIPTION = {
    "slug": DEMO_COLLECTION,
    "title": {"zh": "示例藏品", "en": "Sample collection"},
    "description": {
        "zh": "项目自制的示例图片与著录，用于演示。",
        "en": "Pictures and descriptions made by the project for the demo.",
    },
}
AGENT = "heritage-cli"
MAX_LISTED_FAILURES = 50


class Status(StrEnum):
    draft = "draft"
    review = "review"
    published = "published"


class Access(StrEnum):
    public = "public"
    institution = "institution"
    restricted = "restricted"


def _write_report(settings: Settings, report: IngestReport) -> Path:
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    path = settings.reports_dir / f"{report.job_id}.json"
    path.write_bytes(report.to_json())
    return path


def _print_changes(report: IngestReport) -> None:
    """A dry run's preview: each existing item the manifest would change, then one line per
    field (old → new, and whether it applies or is kept)."""
    changed = [item for item in report.items if item.changes]
    colours = {"update": "green", "overwrite-edit": "red"}
    for item in changed[:MAX_LISTED_FAILURES]:
        heading = f"[bold]{escape(item.id or item.source)}[/bold] ({escape(item.source)})"
        out.print(heading, highlight=False)
        for change in item.changes:  # one line each, cut to the terminal's width
            colour = colours.get(change.action, "yellow")
            line = f"  [{colour}]{'~' if change.applied else '='}[/{colour}] "
            line += escape(change.describe())
            out.print(line, highlight=False, overflow="ellipsis", no_wrap=True)
    if len(changed) > MAX_LISTED_FAILURES:
        out.print(f"… and {len(changed) - MAX_LISTED_FAILURES} more changed items in the report")


def _print_summary(report: IngestReport, report_path: Path) -> None:
    if report.dry_run:
        _print_changes(report)
    counts = report.counts()
    table = Table(
        title=f"Ingest {report.job_id} into {report.collection}"
        + (" (dry run)" if report.dry_run else "")
    )
    table.add_column("outcome")
    table.add_column("items", justify="right")
    for outcome, count in sorted(counts.items()):
        table.add_row(outcome, str(count))
    if report.errors:
        table.add_row("batch errors", str(len(report.errors)))
    out.print(table)
    failures = [i for i in report.items if i.outcome == "failed"]
    for problem in report.errors:
        out.print(f"[red]error[/red]: {escape(problem)}", highlight=False)
    for item in failures[:MAX_LISTED_FAILURES]:
        reason = item.reason or "?"  # most reasons begin with the file or row already
        said = reason if item.source in reason else f"{item.source}: {reason}"
        out.print(f"[red]failed[/red]: {escape(said)}", highlight=False)
    kept = [] if report.dry_run else [(i, c) for i in report.items for c in i.conflicts]
    for item, conflict in kept[:MAX_LISTED_FAILURES]:
        out.print(
            f"[yellow]kept[/yellow]: {escape(item.source)}: {escape(conflict.describe())}",
            highlight=False,
        )
    if len(kept) > MAX_LISTED_FAILURES:
        out.print(f"… and {len(kept) - MAX_LISTED_FAILURES} more kept values in the report")
    unlinked = [warning for item in report.items for warning in item.warnings]
    for warning in unlinked[:MAX_LISTED_FAILURES]:
        out.print(f"[yellow]not linked[/yellow]: {escape(warning)}", highlight=False)
    if len(unlinked) > MAX_LISTED_FAILURES:
        out.print(f"… and {len(unlinked) - MAX_LISTED_FAILURES} more unlinked names in the report")
    if len(failures) > MAX_LISTED_FAILURES:
        out.print(f"… and {len(failures) - MAX_LISTED_FAILURES} more failures in the report")
    out.print(f"Report: {report_path}", markup=False, highlight=False)


@contextmanager
def _workers_first(settings: Settings, workers: int | None) -> Iterator[Workers | None]:
    """The run's local worker processes, started before the pipeline is imported: their fork
    server spends ~0.4 s importing the worker code while this process imports and plans
    (`ingest.pool`). None when the queue's workers make the items."""
    from ingest.pool import GENERAL_LANE, Workers

    if settings.queue == "celery":
        yield None
        return
    with Workers(stages=True) as started:
        yield started.start(GENERAL_LANE, workers or settings.workers)


def _ingest(
    paths: list[Path],
    options: IngestOptions,
    services: Services,
    started: Workers | None = None,
) -> IngestReport:
    """Run the pipeline with a progress display; unusable input exits 2 before any work. After
    Ctrl-C the report the run stored is written and named too, then exit 130."""
    from api.cli.progress import ingest_progress
    from ingest.pipeline import run_ingest
    from ingest.report import IngestInterrupted

    interrupted: IngestReport | None = None
    fanout, run = None, None
    if services.settings.queue == "celery":  # this command coordinates, queue workers make
        from api.operations.jobs import new_job_id
        from api.operations.queue import ItemFanout, configure, drop_staging

        run = f"cli-{new_job_id()}"
        lease = float(services.settings.queue_lease_seconds)
        fanout = ItemFanout(services.store, run, configure(services.settings), lease)
    with ingest_progress(err) as progress:
        try:
            return run_ingest(
                paths, options, services.store_config, services.index, progress, fanout, started
            )
        except IngestInterrupted as stop:
            interrupted = stop.report
        except KeyboardInterrupt:
            pass
        finally:
            if run is not None:
                drop_staging(services.store, run)
    if interrupted is not None:
        _print_summary(interrupted, _write_report(services.settings, interrupted))
    err.print("interrupted: finished items are kept; run the same command again to go on")
    raise typer.Exit(130)


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files, folders, ZIP/TAR archives or BagIt bags.")
    ],
    collection: Annotated[
        str, typer.Option("--collection", "-c", help="Collection slug, e.g. ordos-folk-songs.")
    ],
    manifest: Annotated[
        Path | None, typer.Option(help="CSV, XLSX or JSON manifest describing the items.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Parallel processes (default: cores).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, store nothing.")
    ] = False,
    status: Annotated[
        Status | None, typer.Option(help="Status for rows that set none (default from settings).")
    ] = None,
    access: Annotated[
        Access | None, typer.Option(help="Access for rows that set none (default from settings).")
    ] = None,
    overwrite_edits: Annotated[
        bool,
        typer.Option(
            "--overwrite-edits",
            help="On a re-run, replace fields people edited since ingest with the manifest's "
            "values (status, access and embargo are never changed by a re-run).",
        ),
    ] = False,
) -> None:
    """Ingest files into a collection; re-running the same command is safe: it never changes a
    curator's decision, and keeps people's edits unless --overwrite-edits (the report lists each
    value it did not apply)."""
    settings = load_settings()
    with _workers_first(settings, workers) as started:
        from api.operations.ingesting import ingest_options  # the pipeline, while workers start

        options = ingest_options(
            settings,
            collection,
            agent=AGENT,
            manifest=manifest,
            workers=workers,
            dry_run=dry_run,
            status=status.value if status else None,
            access=access.value if access else None,
            overwrite_edits=overwrite_edits,
        )
        with open_services(settings) as services:
            report = _ingest(paths, options, services, started)
    report_path = _write_report(settings, report)
    _print_summary(report, report_path)
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the JSON API and the public catalogue."""
    _serve(load_settings(), host, port, "Heritage")


def _serve(settings: Settings, host: str, port: int, banner: str, hint: str = "") -> None:
    """Bind first, then announce: a port in use is a one-line error (exit 2), never an address
    printed as if the server were running."""
    import uvicorn

    from api.http.app import create_app

    try:
        application = create_app(settings)
    except OSError as exc:
        fail(f"cannot open storage or index: {exc}")
    try:
        listener = socket.create_server((host, port), family=_family(host), reuse_port=False)
    except OSError as exc:
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        fail(f"cannot listen on {host}:{port}: {reason} (choose another with --port)")
    shown = f"[{host}]" if ":" in host else host
    out.print(
        f"{banner}: http://{shown}:{port}/{hint}  (API docs: /docs)", markup=False, highlight=False
    )
    server = uvicorn.Server(uvicorn.Config(application, log_level="info"))
    server.run(sockets=[listener])


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Items made at once, one process each (default: cores)."),
    ] = None,
    jobs: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs coordinated at once (threads).")
    ] = 2,
    queues: Annotated[
        str,
        typer.Option(
            help="What this machine takes: ingest (jobs), images (photos, documents), av "
            "(video and audio), comma-separated."
        ),
    ] = "ingest,images,av",
    scratch: Annotated[
        Path | None,
        typer.Option(help="Where job files are copied (default: <data dir>/worker-scratch)."),
    ] = None,
) -> None:
    """Run upload jobs and their items from the queue (HERITAGE_QUEUE=celery,
    HERITAGE_BROKER_URL), on any machine that reaches the store, the index and the broker
    (docs/deployment.md). Jobs run in threads, items in processes of their own, so a job
    waiting for its items never holds the places they need."""
    import os
    import subprocess
    import sys

    from api.operations.queue import ITEM_QUEUES, QUEUE, configure

    settings = load_settings()
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    known = [QUEUE, *ITEM_QUEUES.values()]
    if not wanted or any(q not in known for q in wanted):
        fail(f"--queues {queues!r}: name some of {', '.join(known)}")
    if scratch is not None:
        os.environ["HERITAGE_WORKER_SCRATCH"] = str(scratch.resolve())
    try:
        celery = configure(settings)
    except Exception as exc:  # no broker configured
        fail(str(exc))
    items = [q for q in wanted if q != QUEUE]
    width = concurrency or os.cpu_count() or 1
    common = ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if QUEUE not in wanted:  # an item machine: a pool of processes
        out.print(f"worker: making items from {', '.join(items)} ({width} at a time)", markup=False)
        celery.worker_main(
            [
                "worker",
                "--pool=prefork",
                f"--concurrency={width}",
                f"--queues={','.join(items)}",
                "--disable-prefetch",  # items are acknowledged when started: none held back
                f"--hostname=items.{os.getpid()}@%h",
                *common,
            ]
        )
        return
    helper = None
    if items:  # the items in a process group of our own making: stopped with us
        command = [
            sys.executable,
            "-m",
            "api.cli",
            "worker",
            f"--queues={','.join(items)}",
            f"--concurrency={width}",
        ]
        helper = subprocess.Popen(command)
    out.print(f"worker: coordinating jobs from {QUEUE!r} ({jobs} at a time)", markup=False)
    try:
        celery.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={jobs}",
                f"--queues={QUEUE}",
                f"--hostname=jobs.{os.getpid()}@%h",
                *common,
            ]
        )
    finally:
        if helper is not None:
            helper.terminate()
            try:
                helper.wait(timeout=60)
            except subprocess.TimeoutExpired:
                helper.kill()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


@app.command()
def reindex() -> None:
    """Rebuild the search index from the records in storage.

    The new index is built beside the old one, which answers until the swap. A damaged record
    is left out and named; the others are indexed; exit 1 when any was damaged.
    """
    from repository import DamagedRecord

    damaged: list[DamagedRecord] = []
    with open_services(load_settings()) as services:
        count = services.index.rebuild(services.records.readable(damaged.append))
    for record in damaged:
        err.print(f"damaged: {record} (skipped)", markup=False, highlight=False)
    ids = ": " + ", ".join(r.item_id for r in damaged[:MAX_LISTED_FAILURES]) if damaged else ""
    ids += " …" if len(damaged) > MAX_LISTED_FAILURES else ""
    out.print(f"{count} records indexed, {len(damaged)} damaged{ids}.", highlight=False)
    if damaged:
        err.print("Run `heritage verify`, then restore the damaged records.", markup=False)
        raise typer.Exit(1)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="Words, in Chinese or English.")],
    size: Annotated[int, typer.Option(min=1, max=100, help="Hits to show.")] = 20,
    page: Annotated[int, typer.Option(min=1)] = 1,
    public: Annotated[
        bool, typer.Option("--public", help="Only what the public sees (default: everything).")
    ] = False,
    lang: Annotated[str, typer.Option(help="zh or en labels.")] = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead.")] = False,
) -> None:
    """Search the index as an operator (or as the public with --public)."""
    from api.labels import pick_language
    from api.operations.census import IndexEmpty, check_not_empty
    from api.operations.searching import SearchParams, run_search
    from search.base import Audience

    params = SearchParams(
        q=query,
        filters={},
        year_from=None,
        year_to=None,
        sort="relevance",
        page=page,
        size=size,
        facets=("category",),
    )
    audience = Audience.public() if public else Audience.all()
    language = pick_language(lang, None)
    with open_services(load_settings()) as services:
        result = run_search(services.index, params, audience, language)
        if result["total"] == 0:  # nothing found, or nothing to find in (a lost or new index)?
            try:
                check_not_empty(services.index, services.records)
            except IndexEmpty as exc:
                fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    for found in result["understood"]:  # dates read from the words became a year condition
        years = f"{found['year_from'] if found['year_from'] is not None else '…'}–" + (
            f"{found['year_to'] if found['year_to'] is not None else '…'}"
        )
        out.print(f"read as a date: {found['label']} → {years}", markup=False, highlight=False)
    table = Table(title=f"{result['total']} hits for {query!r}")
    longest_id = max((len(item["id"]) for item in result["items"]), default=2)
    table.add_column("id", no_wrap=True, min_width=longest_id)  # ids are copied: never cut
    for column in ("title", "category", "region", "date"):
        table.add_column(column, overflow="fold")
    for item in result["items"]:
        table.add_row(
            item["id"],
            item["title"],
            item["category_label"] or "",
            item.get("region") or "",
            item["date_label"] or "",
        )
    out.print(table)


@app.command()
def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Where to keep the demo (default: HERITAGE_DATA_DIR, else a temp dir)."),
    ] = None,
    samples: Annotated[
        Path | None,
        typer.Option(
            help="Folder with manifest.csv and the files (in collection/ or beside it); "
            "default: the repository's samples/."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Ingest the samples and stop.")
    ] = False,
) -> None:
    """Ingest the sample collection and serve it: the whole path on the embedded default."""
    from api.operations.ingesting import ingest_options

    settings = load_settings()
    if data_dir is None and "data_dir" not in settings.model_fields_set:
        data_dir = Path(tempfile.mkdtemp(prefix="heritage-demo-"))
    if data_dir is not None:
        settings = load_settings(data_dir=data_dir)
    samples = samples or SAMPLES_DIR
    manifest = samples / "manifest.csv"
    if not manifest.is_file():
        fail(f"no sample collection at {samples} (expected {manifest})")
    files = samples / "collection" if (samples / "collection").is_dir() else samples
    options = ingest_options(
        settings,
        DEMO_COLLECTION,
        agent=AGENT,
        manifest=manifest,
        status="published",
        access="public",
    )
    out.print(f"Data: {settings.data_dir}", markup=False, highlight=False)
    with open_services(settings) as services:
        if services.records.load_collection(DEMO_COLLECTION) is None:
            services.records.save_collection(DEMO_DESCRIPTION)
        report = _ingest([files], options, services)
    report_path = _write_report(settings, report)
    _print_summary(report, report_path)
    if report.failed:
        raise typer.Exit(1)
    if not no_serve:
        _serve(settings, host, port, "Heritage demo", " (try 剪纸)")


@app.command("manifest-template")
def manifest_template(
    output: Annotated[
        Path, typer.Argument(help="Where to write the template, e.g. 清单.xlsx.")
    ] = Path("manifest-template.xlsx"),
) -> None:
    """Write an XLSX manifest template: Chinese and English headers, drop-down lists for category,
    access and status. Fill it in and pass it to `heritage ingest --manifest`."""
    from ingest.manifest_template import write_manifest_template

    if output.suffix.lower() != ".xlsx":
        fail(f"{output}: the template is an Excel workbook; give a name ending in .xlsx")
    try:
        write_manifest_template(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    out.print(f"Wrote {output}", markup=False, highlight=False)


@app.command()
def transfer(
    source_data_dir: Annotated[
        Path, typer.Argument(help="The embedded repository to copy (its HERITAGE_DATA_DIR).")
    ],
) -> None:
    """Copy an embedded repository into the configured storage and build the configured index.

    Every blob is re-hashed on arrival; records are copied only once all their files are there.
    Safe to re-run after an interruption: what already arrived is skipped.
    """
    from repository import LocalStore, StorageError
    from repository.transfer import transfer as copy_repository

    source_root = source_data_dir / "store"
    if not source_root.is_dir():
        fail(f"{source_data_dir} holds no embedded repository (no {source_root})")
    settings = load_settings()
    if settings.storage == "local" and settings.local_store_path.resolve() == source_root.resolve():
        fail("source and target are the same repository; set HERITAGE_STORAGE/HERITAGE_DATA_DIR")
    with open_services(settings) as services:
        out.print(f"Copying {source_root} → {services.store.describe()}", highlight=False)
        try:
            report = copy_repository(LocalStore(source_root), services.store)
        except StorageError as exc:
            err.print(f"heritage: transfer stopped: {exc} (re-run to resume)", markup=False)
            raise typer.Exit(1) from None
        count = services.index.rebuild(iter(services.records))
    out.print(
        f"Copied {report.copied} objects ({report.bytes / 2**20:.1f} MiB), skipped "
        f"{report.skipped} already present, {report.records} records; indexed {count}.",
        highlight=False,
    )
    for problem in report.problems:
        err.print(f"  {problem}", markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)
