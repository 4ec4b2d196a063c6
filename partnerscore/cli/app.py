"""The `partnerscore` command line: each command parses options, calls one library function, renders.

Example:
    partnerscore demo
    partnerscore import ./my-data --db partner.duckdb
    partnerscore score --db partner.duckdb --as-of 2026-10-31
    partnerscore explain P1 modern_work --db partner.duckdb
"""

from __future__ import annotations

import functools
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Callable, Iterator

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from partnerscore.cli import render, render_imports
from partnerscore.cli.options import (
    AsOfOption, DbOption, EngineOption, Format, FormatOption, RecordedOnOption, SparkMasterOption, as_of_day,
    default_db, parse_day, setting,
)
from partnerscore.engine.connect import Tables, open_duckdb, resellers_of
from partnerscore.engine.explain import explain as explain_area
from partnerscore.engine.scoring import score as score_tables
from partnerscore.errors import ImportFailed, PartnerscoreError
from partnerscore.ingest.importer import import_dataset
from partnerscore.ingest.quarantine import list_changes, list_imports, quarantined
from partnerscore.ingest.tables import CONTRACT
from partnerscore.ledger.audits import FINDING_COLUMNS, validate as validate_ledger
from partnerscore.limits import (
    ALERT_DAYS, FORECAST_MONTHS, GENERATE_CUSTOMERS, GENERATE_MONTHS, GENERATE_PARTNERS, PAGE_OFFSET, PLAN_CUSTOMERS,
    check_plan_by,
)

#: `--limit` and `--offset` of the commands that list rows an import kept (changes, quarantine).
LimitOption = Annotated[int | None, typer.Option(min=1, help="At most this many rows (default: all).")]
OffsetOption = Annotated[int, typer.Option(min=PAGE_OFFSET.low, max=PAGE_OFFSET.high, help=(
    f"Skip this many rows first ({PAGE_OFFSET.span})."))]

app = typer.Typer(help="Partner associations ledger and Partner Capability Score, open and explainable.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def command(name: str | None = None, on: typer.Typer | None = None):
    """Register a command (on `app`, or on the command group `on`) whose PartnerscoreError prints as
    one red line per problem and exits 1."""
    def register(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except ImportFailed as exc:
                render.error_lines(str(exc).splitlines())
            except PartnerscoreError as exc:
                render.error_lines(f"error: {line}" for line in str(exc).splitlines())
            raise typer.Exit(1)
        return (on or app).command(name)(run)
    return register


@contextmanager
def progress_bar() -> Iterator:
    """A Rich progress bar on stderr; yields the callback the library's long steps accept."""
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=render.err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield update


def _import(dataset: Path, db: Path, skip_bad_rows: bool = False, source: str = "contract"):
    with progress_bar() as update:
        report = import_dataset(dataset, db, skip_bad_rows=skip_bad_rows, progress=update, source=source)
    render.warning_lines(f"warning: {w}" for w in report.warnings)
    return report


def _tables(database: Path, engine: str | None, spark_master: str | None) -> Tables:
    """The canonical tables of a database on the chosen engine."""
    engine = engine or setting("engine", "duckdb")
    if engine == "duckdb":
        return open_duckdb(database)
    if engine == "spark":
        from partnerscore.engine.spark import open_spark, parquet_store

        return open_spark(parquet_store(database), spark_master or setting("spark_master", "local[*]"))
    raise PartnerscoreError(f"unknown engine {engine!r}; choose duckdb or spark")


@contextmanager
def _database(source: Path | None, db: Path) -> Iterator[Path]:
    """The database to read: `source` if it is a data-set folder (imported into a temporary database) or a file."""
    if source is None:
        yield db or default_db()
    elif source.is_dir():
        with tempfile.TemporaryDirectory(prefix="partnerscore-") as tmp:
            temporary = Path(tmp) / "dataset.duckdb"
            _import(source, temporary)
            yield temporary
    else:
        yield source


@command("import")
def import_command(
    dataset: Annotated[Path, typer.Argument(help=(
        "Data-set folder of CSV or Parquet files (data contract). Into a database that already holds an "
        "import, the folder may hold only some tables (e.g. partners.csv alone): an update."))],
    db: DbOption = None,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="Import the good rows, quarantine the bad.")] = False,
    engine: EngineOption = None,
    source: Annotated[str, typer.Option(
        "--from", help="What the folder holds: contract (the data contract's tables) or partner-center "
                       "(Partner Center Insights downloads, see docs/partner-center.md).")] = "contract",
    fmt: Annotated[Format, typer.Option("--format", "-f", help=(
        "table: the report line and the first changed rows of each table; json: the whole report with "
        "every changed row; csv: every changed row."))] = Format.table,
) -> None:
    """Import a data set into the database; bad rows are reported and quarantined.

    A first import needs every table the data contract requires; later ones may bring only some. The
    report says how many rows each table added and how many stored rows it changed, and lists the changes.

    With --engine spark the canonical tables are also written as Parquet (`<db>.parquet/`) for Spark.
    """
    database = db or default_db()
    report = _import(dataset, database, skip_bad_rows, source)
    render.error_lines(str(bad) for bad in report.rejected)
    changes = list_changes(database, report.import_id) if fmt is not Format.table else []
    render_imports.imported(report, changes, fmt)
    if (engine or setting("engine", "duckdb")) == "spark":
        from partnerscore.engine.spark import parquet_store

        render.info(f"canonical Parquet for Spark: {parquet_store(database)}")


@command()
def score(
    source: Annotated[Path | None, typer.Argument(help="A data-set folder or a database file; default --db.")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
    partner: Annotated[list[str] | None, typer.Option("--partner", "-p", help="Only these partners.")] = None,
    recorded_on: RecordedOnOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    roll_up: Annotated[bool, typer.Option("--all", help=(
        "One sortable table of every partner and area (operators). The table reads like `score` "
        "(yes/no, two decimals); -f csv/json keep qualified a boolean and points a plain number."))] = False,
    sort: Annotated[str, typer.Option(help="With --all: sort by points, partner or area.")] = "points",
    parquet: Annotated[Path | None, typer.Option(help=(
        "Also write the flat rows (one per partner, area and metric; qualified a boolean, points numbers) "
        "to this Parquet file."))] = None,
    provider: Annotated[str | None, typer.Option(help="An indirect provider: it and its resellers only.")] = None,
    batch: Annotated[int | None, typer.Option(min=1, help=(
        "Score this many partners at a time: memory stays bounded on ledgers too large for one run "
        "(each batch compiles its own plan once)."))] = None,
) -> None:
    """Score every partner in all six solution areas (the data contract's JSON with --format json)."""
    with _database(source, db) as database:
        tables = _tables(database, engine, spark_master)
        day = as_of_day(as_of, tables)
        render.day_warnings(day)
        if provider:
            partner = [provider, *resellers_of(tables, provider)]
        report = replace(score_tables(tables, day.day, partners=partner, batch=batch, recorded_on=parse_day(
            recorded_on, "--recorded-on") if recorded_on else None), day=day)
        names = _partner_names(tables)
    if parquet is not None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(render.score_rows(report, names)), parquet)
    if roll_up:
        render.roll_up(report, fmt, sort, names)
    else:
        render.scores(report, fmt, names)


def _partner_names(tables: Tables) -> dict[str, str]:
    """Partner ID -> name, so that every score output names the partner beside its ID."""
    listed = tables.partners.select("partner_id", "name").to_pyarrow().to_pylist()
    return {row["partner_id"]: row["name"] for row in listed}


@command()
def explain(
    partner: Annotated[str, typer.Argument(help="Partner ID.")],
    area: Annotated[str, typer.Argument(help="Solution area id, e.g. modern_work.")],
    metric: Annotated[str | None, typer.Argument(help="One metric only, e.g. net_customer_adds.")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
    show_all: Annotated[bool, typer.Option("--all", help="List every customer, pair, service or person.")] = False,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
) -> None:
    """What earned each point of an area, what did not count and why, and what is left to gain."""
    tables = _tables(db or default_db(), engine, spark_master)
    day = as_of_day(as_of, tables)
    render.day_warnings(day)
    explanation = explain_area(tables, partner, area, day.day, metric)
    render.explanation(explanation, fmt, day, limit=None if show_all else 10)


@command()
def validate(
    source: Annotated[Path | None, typer.Argument(help="A data-set folder or a database file; default --db.")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List every association conflict and ineligible association, with its reason."""
    with _database(source, db) as database:
        tables = open_duckdb(database)
        day = as_of_day(as_of, tables)
        render.day_warnings(day)
        findings = validate_ledger(tables, day.day)
    render.write_rows([f.to_json() for f in findings], fmt, f"{len(findings)} findings {render.dated(day)}",
                      FINDING_COLUMNS)


@command()
def quarantine(
    db: DbOption = None,
    import_id: Annotated[str | None, typer.Option("--import", help="Only this import's rows.")] = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    fmt: FormatOption = Format.table,
) -> None:
    """List rejected rows with their import, file, row, column and reason.

    Imports oldest first, each one's rows by file and row; all of them, or the page --limit and --offset
    give (only that page is read from the database).
    """
    database = db or default_db()
    if import_id is not None and import_id not in {r.import_id for r in list_imports(database)}:
        raise PartnerscoreError(f"no import {import_id} in {database}; `partnerscore imports` lists them")
    rows = [{"import_id": i, "file": b.file, "row": b.row, "column": b.column, "reason": b.reason}
            for i, b in quarantined(database, import_id, limit=limit, offset=offset)]
    render.write_rows(rows, fmt, f"{len(rows)} quarantined rows", ["import_id", "file", "row", "column", "reason"])


@command()
def imports(
    db: DbOption = None,
    fmt: FormatOption = Format.table,
    changes: Annotated[str | None, typer.Option(
        "--changes", metavar="IMPORT_ID", help="List the stored rows this import changed, instead of the log.")] = None,
    table: Annotated[str | None, typer.Option(help="With --changes: only this table's changed rows.")] = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
) -> None:
    """The import log: every import with its files, rows added, changed and rejected, and status.

    With --changes IMPORT_ID, the rows that import changed, each with its key and the columns that changed,
    before and after (all of them, or the page --limit and --offset give).
    """
    database = db or default_db()
    records = list_imports(database)
    if changes is None:
        render_imports.imports(records, fmt)
        return
    if changes not in {r.import_id for r in records}:
        raise PartnerscoreError(f"no import {changes} in {database}; `partnerscore imports` lists them")
    if table is not None and table not in CONTRACT:
        raise PartnerscoreError(f"unknown table {table!r}; choose one of {', '.join(CONTRACT)}")
    render_imports.changes_of(changes, list_changes(database, changes, table, limit=limit, offset=offset), fmt)


@command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the generated data set.")] = Path("demo-data"),
    db: Annotated[Path, typer.Option("--db", help="Database to import the demo into.")] = Path("demo.duckdb"),
    as_of: AsOfOption = None,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same data).")] = 42,
    fmt: FormatOption = Format.table,
) -> None:
    """Generate the demo data set, import it and print every partner's six areas."""
    from partnerscore.demo.fixtures import build_demo, write_dataset

    render.info(f"generating the demo data set (seed {seed}) into {out}/")
    folder = write_dataset(build_demo(seed), out)
    if db.exists():
        db.unlink()
    _import(folder, db)
    tables = open_duckdb(db)
    day = as_of_day(as_of, tables)
    render.day_warnings(day)
    report = replace(score_tables(tables, day.day), day=day)
    render.scores(report, fmt, _partner_names(tables))
    again = f" --as-of {day.day}" if as_of else ""
    render.info(f"next: partnerscore explain {report.partners[0].partner_id} modern_work --db {db}{again}")


@command()
def status(
    partner: Annotated[str, typer.Argument(help="Partner ID.")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    anniversary: Annotated[str | None, typer.Option(help="Enrolled: the anniversary date (YYYY-MM-DD).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Designation status: did the partner qualify on at least one day of its qualification window?"""
    from partnerscore.engine.designation import designation_status

    tables = open_duckdb(db or default_db())
    day = as_of_day(as_of, tables)
    render.day_warnings(day)
    areas = designation_status(tables, partner, day.day,
                               parse_day(anniversary, "--anniversary") if anniversary else None)
    render.write_rows([a.to_json() for a in areas], fmt, f"{partner}: qualification window status {render.dated(day)}")


@command()
def whatif(
    partner: Annotated[str, typer.Argument(help="Partner ID.")],
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML: a list of changes (see docs/whatif.md).")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
    why: Annotated[bool, typer.Option("--why/--no-why",
                                      help="List the customers, pairs, services or people behind each move.")] = True,
    show_all: Annotated[bool, typer.Option("--all", help="List every entity that moved.")] = False,
) -> None:
    """Score a partner before and after hypothetical changes; the stored ledger is never written."""
    from partnerscore.engine.scenario import load_scenario
    from partnerscore.engine.scenario_checks import check_scenario
    from partnerscore.engine.whatif import whatif as run_whatif

    tables = open_duckdb(db or default_db())
    day = as_of_day(as_of, tables)
    changes = load_scenario(scenario)
    check_scenario(tables, partner, day.day, changes, str(scenario))
    render.day_warnings(day)
    result = run_whatif(tables, partner, day.day, changes, why=why)
    render.whatif(result, fmt, day, limit=None if show_all else 5)


@command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder for the Parquet data set.")],
    partners: Annotated[int, typer.Option(help=f"Number of partners ({GENERATE_PARTNERS.span}).")] = 50,
    customers: Annotated[int, typer.Option(help=f"Number of customers ({GENERATE_CUSTOMERS.span}).")] = 20_000,
    months: Annotated[int, typer.Option(help=f"Months of usage ({GENERATE_MONTHS.span}).")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Write a large synthetic data set as Parquet, streaming (bounded memory), with the demo's realism."""
    from partnerscore.demo.generate import generate_large

    GENERATE_PARTNERS.check(partners, "--partners")
    GENERATE_CUSTOMERS.check(customers, "--customers")
    GENERATE_MONTHS.check(months, "--months")
    with progress_bar() as update:
        counts = generate_large(out, partners=partners, customers=customers, months=months, seed=seed,
                                progress=lambda done, total: update("generating", done, total))
    render.info(", ".join(f"{table} {n:,}" for table, n in counts.items()) + f" rows written to {out}/")


def _web():
    """The web package, or a one-line error naming the extra it needs."""
    try:
        from partnerscore import web
        from partnerscore.web import security
    except ImportError as exc:
        raise PartnerscoreError(f"the web dashboard needs its extra ({exc.name} is missing): "
                                "pip install 'partnerscore[web]'") from exc
    return web, security


@command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    users: Annotated[Path | None, typer.Option(
        "--users", help="Users file (YAML) [default: env PARTNERSCORE_USERS].")] = None,
    demo_admin: Annotated[bool, typer.Option(
        "--demo-admin", help="Add a one-off admin for this run only and print its token.")] = False,
    as_of: AsOfOption = None,
    access_log: Annotated[bool, typer.Option(help="Log one line per request.")] = True,
    request_seconds: Annotated[float | None, typer.Option(
        help="Stop a request's computation after this many seconds, with a 503 "
             "[default: env PARTNERSCORE_REQUEST_SECONDS, else 120].")] = None,
) -> None:
    """Serve the web dashboard and REST API (described at /api-docs and /openapi.json) over a database.

    Example:
        partnerscore serve --db demo.duckdb --demo-admin --as-of 2026-10-31
    """
    web, _ = _web()
    web.serve(db or default_db(), host=host, port=port, users=users, demo_admin=demo_admin,
              as_of=parse_day(as_of, "--as-of") if as_of else None, access_log=access_log,
              request_seconds=request_seconds, announce=render.info, warn=lambda line: render.warning_lines([line]))


@command()
def users(
    action: Annotated[str, typer.Argument(help="add, list or remove.")],
    name: Annotated[str | None, typer.Argument(help="User name (add, remove).")] = None,
    role: Annotated[str, typer.Option(help="viewer or admin (only an admin imports).")] = "viewer",
    partners: Annotated[str | None, typer.Option(
        help="Partners the user may see: comma-separated IDs of the database's partners, or * for all "
             "(required for a viewer; an admin without it sees all).")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Give an existing user a new token, role and partners.")] = False,
    db: DbOption = None,
    users_file: Annotated[Path | None, typer.Option(
        "--users", help="Users file (YAML) [default: env PARTNERSCORE_USERS, else users.yaml].")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Manage web users: `add` prints the new user's API token once (only its digest is stored).

    The partners of `add` are checked against the database `serve` serves (--db).

    Example:
        partnerscore users add tailspin --role viewer --partners 4650404,4650505 --db demo.duckdb
    """
    _, security = _web()
    path = security.users_path(users_file)
    if action == "add" and name:
        scope = security.parse_partners(partners) if partners is not None else None
        if scope is not None:
            security.check_partners(db or default_db(), scope)
        token = security.add_user(path, name, role, partners, replace=replace)
        shown = "*" if scope is None else ",".join(sorted(scope))
        render.write_rows([{"name": name, "role": role, "partners": shown, "token": token}], fmt,
                          f"user {'replaced in' if replace else 'added to'} {path}; the token is shown only now")
    elif action == "remove" and name:
        security.remove_user(path, name)
        render.info(f"removed {name} from {path}")
    elif action == "list":
        rows = [{**u.to_json(), "partners": ",".join(sorted(u.partners)) if u.partners else "*"}
                for u in security.read_users(path)]
        render.write_rows(rows, fmt, f"users in {path}", ["name", "role", "partners"])
    else:
        raise PartnerscoreError("use `users add NAME`, `users remove NAME` or `users list`")


@command()
def plan(
    partner: Annotated[str, typer.Argument(help="Partner ID.")],
    area: Annotated[str, typer.Argument(help="Solution area id, e.g. infrastructure.")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    by: Annotated[str | None, typer.Option("--by", help=(
        "Qualify on this day (YYYY-MM-DD); default the as-of day. At most one qualification window "
        "after it (the area's rule data: six months from 2024-07-01)."))] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Qualify on every month end from the as-of day to --by.")] = False,
    costs: Annotated[Path | None, typer.Option("--costs", help="Cost file (YAML) overriding the packaged costs.")] = None,
    customers: Annotated[int, typer.Option("--customers", help=(
        f"Customers (largest first) to consider ({PLAN_CUSTOMERS.span})."))] = 10,
    fmt: FormatOption = Format.table,
) -> None:
    """The cheapest set of actions (associations, renewals, certifications) that makes a partner qualify.

    Example:
        partnerscore plan 4650101 data_ai --db demo.duckdb --as-of 2026-10-31
    """
    from partnerscore.decisions.candidates import load_costs
    from partnerscore.decisions.plan import plan as make_plan

    PLAN_CUSTOMERS.check(customers, "--customers")
    target = parse_day(by, "--by") if by else None
    tables = open_duckdb(db or default_db())
    day = as_of_day(as_of, tables)
    check_plan_by(area, day.day, target, "--by")
    render.day_warnings(day)
    result = make_plan(tables, partner, area, day.day, by=target,
                       keep=keep, costs=load_costs(costs), max_customers=customers)
    render.plan(result, fmt, day)


@command()
def alerts(
    partner: Annotated[str | None, typer.Argument(help="Partner ID; default every partner.")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    within: Annotated[int, typer.Option("--within", help=f"Days to look ahead ({ALERT_DAYS.span}).")] = 90,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help="Exit with status 2 when an alert of this severity or worse exists (low, medium, high, critical).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Association-loss and score risks (ending associations, PAL roles, proofs of execution, DPOR
    takeovers, expiring certifications, metrics about to fall to zero), each with its fix.

    Example:
        partnerscore alerts 4650101 --db demo.duckdb --as-of 2026-10-31 --within 60 --fail-on high
    """
    from partnerscore.decisions.alerts import SEVERITIES, alerts as find_alerts, at_least, nothing_found

    if fail_on is not None and fail_on not in SEVERITIES:
        raise PartnerscoreError(f"--fail-on {fail_on!r}: choose one of {', '.join(SEVERITIES)}")
    ALERT_DAYS.check(within, "--within")
    tables = open_duckdb(db or default_db())
    day = as_of_day(as_of, tables)
    render.day_warnings(day)
    found = find_alerts(tables, day.day, partner=partner, within=within)
    render.alerts(found, fmt, f"alerts {render.dated(day)}, {within} days ahead"
                  + (f", partner {partner}" if partner else ""), nothing_found(within))
    if fail_on is not None and any(at_least(a.severity, fail_on) for a in found):
        raise typer.Exit(2)


@command()
def diff(
    partner: Annotated[str, typer.Argument(help="Partner ID.")],
    from_day: Annotated[str, typer.Option("--from", help="The earlier day (YYYY-MM-DD).")],
    to_day: Annotated[str, typer.Option("--to", help="The later day (YYYY-MM-DD).")],
    db: DbOption = None,
    recorded_on: RecordedOnOption = None,
    area: Annotated[list[str] | None, typer.Option("--area", help="Only these areas.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="List every entity that moved.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """What changed between two days, per area and metric, and which customers, pairs, services and
    people entered or left; the rule-version change if one happened between the days.

    Example:
        partnerscore diff 4650404 --from 2026-09-30 --to 2026-10-31 --db demo.duckdb
    """
    from partnerscore.decisions.diff import diff as explain_diff
    from partnerscore.engine.as_of import resolve_day

    tables = open_duckdb(db or default_db())
    first, last = parse_day(from_day, "--from"), parse_day(to_day, "--to")
    render.day_warnings(resolve_day(tables, last))
    result = explain_diff(tables, partner, first, last, areas=area,
                          recorded_on=parse_day(recorded_on, "--recorded-on") if recorded_on else None)
    render.diff(result, fmt, limit=None if show_all else 5)


@command()
def forecast(
    partner: Annotated[str, typer.Argument(help="Partner ID.")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    months: Annotated[int, typer.Option("--months", help=f"Month ends to project ({FORECAST_MONTHS.span}).")] = 6,
    backtest: Annotated[bool, typer.Option(
        "--backtest", help="Also run the model from --months months earlier and report its error.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Projected points per area and metric at the next month ends (association end dates,
    certification expiries, usage carried forward), with the areas and metrics at risk.

    Example:
        partnerscore forecast 4650404 --db demo.duckdb --as-of 2026-10-31 --months 6
    """
    from partnerscore.decisions.forecast import backtest as run_backtest, forecast as make_forecast
    from partnerscore.engine.months import add_months, month_end

    FORECAST_MONTHS.check(months, "--months")
    tables = open_duckdb(db or default_db())
    day = as_of_day(as_of, tables)
    render.day_warnings(day)
    result = make_forecast(tables, partner, day.day, months)
    if backtest:
        earlier = month_end(add_months(day.day.replace(day=1), -months))
        result.backtest = run_backtest(tables, partner, earlier, months)
    render.forecast(result, fmt, day)


from partnerscore.cli import pal  # noqa: E402,F401  registers the pal commands
from partnerscore.cli import letters  # noqa: E402,F401  registers the letters commands
from partnerscore.cli import inventory  # noqa: E402,F401  registers the inventory commands


def main() -> None:
    """Entry point of the `partnerscore` script."""
    app()
