"""Command line: ``labeler score``, ``labeler train``, ``labeler evaluate``.

The CLI only parses options and calls library functions; heavy imports happen
inside commands so ``labeler --help`` stays instant.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from labeler import config

if TYPE_CHECKING:
    from labeler.learn.registry import Registry

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program a closed pipe ended
INTERRUPTED = ["labeler: interrupted"]  # the one line Ctrl-C prints; a command may say more


def cmd_score(args: argparse.Namespace) -> int:
    """Score documents; write one JSON record per document (or CSV rows, or a report).

    INPUT: .txt/.md/.html files, folders (recursively, in sorted order), .jsonl/.ndjson
    and .csv files (one document per line/row), any of them gzipped (.gz); "-" or no
    INPUT reads stdin. Bad records are reported (file and line), kept in --errors, and
    the rest is still scored. Exit status: 0 all scored, 1 some records failed, 2 usage.

    Example: labeler score archive.jsonl.gz -o scored.jsonl --errors bad.jsonl
    """
    from labeler.batch.run import Job, RunError, Settings, UsageError, run
    from labeler.batch.sources import ReadOptions
    from labeler.outputs import written_in_place

    if not args.inputs and sys.stdin.isatty():
        print(
            "labeler: no INPUT given and nothing piped in; see labeler score --help",
            file=sys.stderr,
        )
        return EXIT_USAGE
    fmt = args.format or ("report" if args.output is None and sys.stdout.isatty() else "jsonl")
    terminal = args.output is None and sys.stdout.isatty()  # colour codes never go to a file
    colour = terminal and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    settings = Settings(
        model_dir=str(config.model_dir(args.model) or "") or None,
        fast=args.fast,
        format=fmt,
        thresholds=dict(args.threshold),
        only_flagged=args.only_flagged,
        only_review=args.only_review,
        min_severity=args.min_severity,
        colour=fmt == "report" and colour,
        width=shutil.get_terminal_size().columns,  # COLUMNS, else the terminal's, else 80
        keep_for_store=args.store is not None,
    )
    read = ReadOptions(args.text_field, args.id_field, args.max_chars, args.input_format)
    store = config.created_store_target(args.store or None) if args.store is not None else None
    job = Job(
        args.inputs,
        settings,
        read,
        args.output,
        args.errors,
        args.jobs,
        args.resume,
        args.quiet,
        store,
        args.backend,
        args.scheduler,
    )
    if args.output is not None and not written_in_place(args.output):  # a file, resumable
        INTERRUPTED[0] = "labeler: interrupted; run again with --resume to continue"
    try:
        stats = run(job, sys.stdout, sys.stderr)
    except UsageError as err:
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_USAGE
    except RunError as err:
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED if stats.errors else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write reviewed passages (current labels) in the training-data schema, JSONL or CSV.

    Columns: id, text, violence, graphic, severity, reviewer, decided_at, note, model,
    the model's scores, and the document's warning as an editor accepted or edited it.
    CSV cells that could start a formula are escaped. Without -o, writes to stdout.
    Example: labeler export --store review.db -o reviewed.jsonl
    """
    from labeler.store.export import export

    return _export(args, export, "reviewed passages")


def cmd_warnings(args: argparse.Namespace) -> int:
    """Write each document's content warning as it stands, one row per document, JSONL or CSV.

    The warning is the editor's (accepted, edited, or no warning needed), else the one
    suggested from the passages' current labels (a reviewer's decision stands for the
    model's flag), with status "suggested". Columns: id, path, level, categories, warning,
    status, decided_by, decided_at, needs_decision, suggested (the suggestion now), and
    passage counts: passages, reviewed, waiting, skipped. Without -o, writes to stdout.
    Example: labeler warnings --store review.db -o warnings.csv
    """
    from labeler.store.export import export_warnings

    return _export(args, export_warnings, "document warnings")


def _export(args: argparse.Namespace, export, what: str) -> int:  # type: ignore[no-untyped-def]
    """Run an export of the store to -o (or stdout) and say how many rows it wrote."""
    output = Path(args.output) if args.output else None
    if output is not None and output.is_dir():
        print(f"labeler: -o {output} is a folder: name a file to write", file=sys.stderr)
        return EXIT_USAGE
    if output is not None and not output.parent.is_dir():
        print(f"labeler: -o {output}: folder {output.parent} does not exist", file=sys.stderr)
        return EXIT_USAGE
    target = existing_store(args.store)
    try:
        count = export(target, output, args.format, sys.stdout)
    except BrokenPipeError:
        raise  # a reader that stopped reading: ends quietly (see main)
    except OSError as err:
        where = output or "stdout"
        print(f"labeler: cannot write {where}: {err.strerror or err}", file=sys.stderr)
        return EXIT_FAILED
    where = args.output or "stdout"
    print(f"labeler: exported {count:,} {what} to {where}", file=sys.stderr)
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace, streamlit_args: list[str]) -> int:
    """Start the review dashboard (labeler/dashboard/app.py) on a review store.

    The store must exist: a path that does not is refused, so a typo never looks like a
    finished review; --create makes a new, empty one. At start it prints the store, what
    it holds, and the address to open. It never asks anything (no first-run e-mail
    prompt, no usage statistics), and opens a browser only with --open.
    It serves reviewers' text, so it listens on 127.0.0.1 only unless --all-interfaces
    is given. Options it does not know are passed on to streamlit run
    (e.g. --server.baseUrlPath /review).
    Streamlit runs as a child process: a SIGTERM or SIGHUP sent to this one (a service
    manager stopping it, a closed terminal) is passed on, and kill -9 ends it too, so no
    server outlives it.
    Example: labeler dashboard --store review.db --port 8501
    """
    import shutil
    import subprocess

    from labeler.store.db import shown
    from labeler.store.store import Store
    from labeler.store.summary import describe, summary

    target = config.created_store_target(args.store) if args.create else existing_store(args.store)
    with Store(target) as store:  # made here with --create; migrated before it is served
        held = describe(summary(store))
    app = Path(__file__).resolve().parent / "dashboard" / "app.py"
    env = {**os.environ, "LABELER_DB": target}
    host = "0.0.0.0" if args.all_interfaces else args.host
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        host,
        "--server.port",
        str(args.port),
        "--server.headless",  # headless: no browser opened, and no e-mail prompt either
        str(not args.open).lower(),
        "--server.showEmailPrompt",
        "false",
        "--browser.gatherUsageStats",
        "false",
        *streamlit_args,
    ]
    print(f"labeler: review store {shown(target)}: {held}", flush=True)
    print(f"labeler: dashboard at {dashboard_url(host, args.port, streamlit_args)}", flush=True)
    # and if this process is killed outright (-9), the kernel sends streamlit SIGTERM
    # (util-linux's setpriv; without it, as on macOS, it stays)
    orphaned = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []
    server = subprocess.Popen([*orphaned, *cmd], env=env)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: server.send_signal(signum))
    return server.wait()  # Ctrl-C: see entry()


def dashboard_url(host: str, port: int, streamlit_args: list[str]) -> str:
    """The address reviewers open: this machine's name when it listens on every
    interface, and the base path if one is passed on to streamlit.

    >>> dashboard_url("127.0.0.1", 8501, ["--server.baseUrlPath", "/desk/"])
    'http://127.0.0.1:8501/desk'
    >>> dashboard_url("127.0.0.1", 8501, ["--server.baseUrlPath=desk", "--theme.base", "dark"])
    'http://127.0.0.1:8501/desk'
    """
    import socket

    base = ""
    for i, arg in enumerate(streamlit_args):
        option, _, value = arg.partition("=")
        if option == "--server.baseUrlPath":
            base = value or (streamlit_args[i + 1] if i + 1 < len(streamlit_args) else "")
    shown_host = socket.gethostname() if host == "0.0.0.0" else host
    path = f"/{base.strip('/')}" if base.strip("/") else ""
    return f"http://{shown_host}:{port}{path}"


def cmd_retrain(args: argparse.Namespace) -> int:
    """Train a new model version on the training data plus reviewed passages; promote it
    only if the gate passes (or --force, which the card records). With --no-promote the
    candidate is stored for an admin to promote (labeler models promote VERSION). With no
    reviewed passage, or the same reviews and data as a stored version, it says there is
    nothing new to learn from and trains nothing. The store's admin log records who ran it.

    Exit status: 0 promoted (with --no-promote: the gate passed), 1 refused by the gate;
    with nothing new, 0 if the version trained on these reviews is in use (or there are
    none), else 1.
    Example: labeler retrain --store review.db
    """
    from labeler.jobs import finish, progress_to
    from labeler.learn.feedback import retrain

    status = Path(args.progress) if args.progress else None
    try:
        outcome = retrain(
            existing_store(args.store),
            config.training_data(args.data),
            args.tolerance,
            args.force,
            promote=not args.no_promote,
            actor=admin_name(args.admin),
            progress=progress_to(status),
        )
    except Exception as err:
        finish(status, None, error=str(err) or repr(err))
        raise
    report = outcome["report"]
    passed = report["passed"] if report else None
    finish(status, {k: outcome[k] for k in ("version", "promoted", "nothing_new", "log")})
    print(outcome["log"])
    if outcome["nothing_new"]:  # 1 when the reviews are in a version that is not in use
        return EXIT_OK if outcome["promoted"] or outcome["version"] is None else EXIT_FAILED
    return EXIT_OK if outcome["promoted"] or (args.no_promote and passed) else EXIT_FAILED


def cmd_rescore(args: argparse.Namespace) -> int:
    """Score every passage in the review store with the current model (or --model), in
    batches, beside its old scores: every review, claim and adjudication is kept, and a
    labelled passage stays labelled. Each batch is one transaction; stopped at any point,
    run it again to continue where it was. The store's admin log records who ran it.

    Example: labeler rescore --store review.db
    """
    from labeler.batch.rescore import rescore
    from labeler.jobs import finish, progress_to
    from labeler.model import load_model
    from labeler.store.store import Store

    status = Path(args.progress) if args.progress else None
    shown = progress_to(status)
    if status is None and not args.quiet and sys.stderr.isatty():

        def shown(step: str, done: float) -> None:
            print(f"\rlabeler: {step}", end="", file=sys.stderr, flush=True)

    try:
        model = load_model(config.model_dir(args.model))
        with Store(existing_store(args.store)) as store:
            store.db.check_writable()
            result = rescore(store, model, args.batch, shown)
            summary = (
                f"re-scored {result.scored:,} passages with model {result.version}"
                f" ({result.already:,} already had its scores)"
            )
            store.admin.log("rescore", admin_name(args.admin), summary)
    except Exception as err:
        finish(status, None, error=str(err) or repr(err))
        raise
    finish(status, {"version": result.version, "scored": result.scored, "log": summary})
    if status is None and not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"labeler: {summary}", file=sys.stderr)
    return EXIT_OK


def admin_name(flag: str | None) -> str:
    """Who the admin log names for an action run here: --admin, else the system user."""
    import getpass

    if flag and flag.strip():
        return flag.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or password database
        return f"uid {os.getuid()}"


def cmd_check(args: argparse.Namespace) -> int:
    """Check the review store's integrity, e.g. after a crash; exit 1 if anything is wrong.

    Example: labeler check --store review.db
    """
    from labeler.store.db import StoreDamaged, shown
    from labeler.store.store import Store

    target = existing_store(args.store)
    try:  # only damage is "damaged": a locked or unreachable store is its own one line
        with Store(target, reading=True) as store:
            problems = store.maintenance.integrity()
            counts = store.maintenance.counts()
            read_only = " (read-only)" if store.db.read_only else ""
    except StoreDamaged as err:  # too damaged to open or to count
        print(f"labeler: {err}", file=sys.stderr)
        print(f"{shown(target)}: integrity FAILED: the store is damaged")
        return EXIT_FAILED
    for problem in problems:
        print(f"labeler: {problem}", file=sys.stderr)
    summary = ", ".join(f"{n:,} {t}" for t, n in counts.items())
    verdict = f"{len(problems)} problems" if problems else "ok"
    print(f"{shown(target)}: {summary}; integrity {verdict}{read_only}")
    return EXIT_FAILED if problems else EXIT_OK


def cmd_quality(args: argparse.Namespace) -> int:
    """List reviews a cross-validated model confidently disagrees with, for a second look.

    Example: labeler quality --store review.db
    """
    import json

    from labeler.learn.quality import find_mistakes, flag_mistakes
    from labeler.model import load_model

    target = existing_store(args.store)
    model = load_model(config.model_dir())
    found = find_mistakes(
        target, config.training_data(args.data), model, folds=args.folds, confidence=args.confidence
    )
    for item in found.suspicious:
        print(json.dumps(item, ensure_ascii=False))
    for group in found.batches:
        print(
            f"labeler: {len(group['passage_ids'])} reviews of passages with "
            f"'{group['phrase']}' go against the model's confident "
            f"{'/'.join(group['labels'])}: a batch to check (retrain holds them back)",
            file=sys.stderr,
        )
    if args.flag:
        flag_mistakes(target, found)
    print(
        f"labeler: {len(found.suspicious)} of {found.reviewed} reviewed passages look mislabelled",
        file=sys.stderr,
    )
    return EXIT_OK


def existing_store(flag: str | None) -> str:
    """The store a command reads: it must exist. Only ``score --store`` and ``dashboard
    --create`` create one, so a mistyped path is an error rather than a new, empty store."""
    from labeler.store.db import StoreError, missing

    target = config.store_target(flag)
    if missing(target):
        raise StoreError(
            f"review store {target} does not exist (labeler score --store, or labeler "
            "dashboard --create, makes one)"
        )
    return target


def cmd_models(args: argparse.Namespace) -> int:
    """List model versions, promote one, or roll back to the previous.

    A version is promoted only if it loads. A promote or rollback is written to the review
    store's admin log with who (--admin, default the system user) and when: to --store
    (which must exist), else to the default store (LABELER_DB, else labeler.db under
    LABELER_HOME) if there is one. With no store at all the model still changes, and the
    command says it is in no admin log; --admin without a store is refused and changes
    nothing. A promote or rollback that fails changes nothing and logs nothing.
    Exit status: 1 if a folder under the registry is not a readable version (the others
    are still listed, the bad one named), or the change could not be logged.
    Example: labeler models promote 2026-12-07-3f2a1c --store review.db --admin ana
    """
    from labeler.learn.registry import Registry

    registry = Registry(config.home())
    if args.action == "promote" and not args.version:
        print("labeler: models promote needs a VERSION (see: labeler models list)", file=sys.stderr)
        return EXIT_USAGE
    if args.action != "list":
        refused = change_model(registry, args)
        if refused is not None:
            return refused
    current = registry.current()
    cards, bad = registry.listing()
    for card in cards:
        mark = "*" if card["version"] == current else " "
        gate_state = card.get("gate", {}).get("passed")
        print(
            f"{mark} {card['version']}  reviewed rows {card.get('reviewed_rows', 0)}  "
            f"gate {'-' if gate_state is None else 'passed' if gate_state else 'refused'}"
        )
    if current is None:
        print("* shipped model (labeler/models/default)")
    for line in bad:
        print(f"labeler: not a model version: {line}", file=sys.stderr)
    return EXIT_FAILED if bad else EXIT_OK


def change_model(registry: Registry, args: argparse.Namespace) -> int | None:
    """Promote or roll back, then log it in the review store (see cmd_models); an exit
    status if that is where the command ends, else None. The store is opened, and found
    writable, before the registry changes, so a bad store changes nothing."""
    from contextlib import nullcontext

    from labeler.learn.registry import SHIPPED
    from labeler.store.db import StoreError, missing, shown
    from labeler.store.store import Store

    target = existing_store(args.store) if args.store else config.store_target()
    unlogged = missing(target)  # only the default store may be absent
    if unlogged and args.admin:
        print(
            "labeler: --admin names who the admin log records, but there is no review "
            f"store at {shown(target)} (name one with --store)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    with nullcontext() if unlogged else Store(target) as store:
        if store is not None:
            store.db.check_writable()
        change = registry.promote(args.version) if args.action == "promote" else registry.rollback()
        if args.action == "rollback":
            print(f"labeler: current model is now {change.after or SHIPPED}")
        if store is None:
            print(
                f"labeler: no review store at {shown(target)}: this {args.action} is in no "
                "admin log (name one with --store)",
                file=sys.stderr,
            )
            return None
        try:
            store.admin.log(change.action, admin_name(args.admin), change.detail)
        except StoreError as err:
            print(
                f"labeler: {change.action} done ({change.detail}), but the admin log of "
                f"{shown(target)} could not record it: {err}",
                file=sys.stderr,
            )
            return EXIT_FAILED
    return None


def cmd_admin_log(args: argparse.Namespace) -> int:
    """Show the review store's admin log, newest first: when (UTC), who, what action
    (retrain, promote, rollback, rescore, adjudicate, setting) and its detail. The log is
    append-only; the dashboard's model page shows the same entries.

    Example: labeler admin-log --store review.db --limit 20
    """
    from labeler.batch.writers import plain
    from labeler.store.store import Store

    with Store(existing_store(args.store), reading=True) as store:
        entries = store.admin.entries(args.limit)
    for e in entries:
        when = e.at[:19].replace("T", " ")
        print(f"{when}  {plain(e.actor)}  {e.action}  {plain(e.detail)}")
    if not entries:
        print("labeler: no admin action yet", file=sys.stderr)
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Rebuild the model from the training data, evaluate it, write it with its card.

    Example: labeler train --data training/data --out labeler/models/default
    """
    from labeler.learn.training import train_and_save

    report = train_and_save(config.training_data(args.data), Path(args.out), Path(args.reports))
    print(report)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a model on the fixed test split, beside a plain TF-IDF baseline.

    Prints AUPRC, ROC-AUC and precision/recall/F1 at the thresholds per label and
    source, and writes PR-curve PNGs and metrics.json to --reports.
    Example: labeler evaluate --data training/data --reports reports
    """
    from labeler.learn.dataset import load_rows
    from labeler.learn.embeddings import read_through
    from labeler.learn.evaluation import evaluate, format_table, plot_pr_curves, write_metrics
    from labeler.model import load_model

    data = config.training_data(args.data)
    model = read_through(load_model(config.model_dir(args.model)), data)
    report = evaluate(model, load_rows(data))
    print(format_table(report))
    reports = Path(args.reports)
    write_metrics(report, reports / "metrics.json")
    for path in plot_pr_curves(report, reports):
        print(f"wrote {path}")
    return EXIT_OK


def cmd_rubric(args: argparse.Namespace) -> int:
    """Print the labelling rubric. Example: labeler rubric"""
    from labeler.labels import rubric

    print(rubric())
    return EXIT_OK


def _positive(value: str) -> int:
    return _at_least(1, value)


def _folds(value: str) -> int:
    return _at_least(2, value)


def _at_least(low: int, value: str) -> int:
    number = int(value)
    if number < low:
        raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
    return number


def _tolerance(value: str) -> float:
    """An AUPRC drop: a finite number from 0 to 1 (nan would switch the gate off)."""
    return _fraction(value, "an AUPRC drop")


def _confidence(value: str) -> float:
    return _fraction(value, "a probability")


def _fraction(value: str, what: str) -> float:
    """A finite number in [0, 1]: nan and inf compare false with everything, so one
    would silently pass or fail every test made with it."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0.0 <= number <= 1.0:  # false for nan
        raise argparse.ArgumentTypeError(f"expected {what}, a number from 0 to 1, got {value!r}")
    return number


def _threshold(value: str) -> tuple[str, float]:
    from labeler.labels import LABELS

    label, _, number = value.partition("=")
    try:
        p = float(number)
    except ValueError:
        p = -1.0
    if label not in LABELS or not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError(
            f"expected LABEL=P with LABEL one of {', '.join(LABELS)} and 0 <= P <= 1, got {value!r}"
        )
    return label, p


def parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    from labeler.batch.sources import FORMATS

    try:
        release = version("labeler")
    except PackageNotFoundError:  # run from a checkout that was never installed
        release = "unknown"
    p = argparse.ArgumentParser(
        prog="labeler",
        description="Flag violent and graphic passages offline, with evidence, and review "
        "the flags. Run 'labeler COMMAND --help' for a command's options and an example.",
        epilog="Example: labeler score examples/news_isis_executions.txt",
    )
    p.add_argument("--version", action="version", version=f"labeler {release}")
    sub = p.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")

    def add(name: str, func, help: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        doc = inspect.cleandoc(func.__doc__ or "")
        description, _, example = doc.partition("Example:")
        sp = sub.add_parser(
            name,
            help=help,
            description=description.strip(),
            epilog=f"Example: {example.strip()}",  # last, after the options
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sp.set_defaults(func=func)
        return sp

    s = add("score", cmd_score, "score documents from files, folders or stdin")
    s.add_argument("inputs", nargs="*", metavar="INPUT", help="files or folders; - for stdin")
    s.add_argument("-o", "--output", type=Path, help="write here (atomically) instead of stdout")
    s.add_argument(
        "--format",
        choices=["jsonl", "csv", "report"],
        help="jsonl (default when piped), csv: one row per passage, or report: the readable "
        "report with each document's warning (default on a terminal)",
    )
    s.add_argument("--text-field", default="text", help="JSONL/CSV field with the text")
    s.add_argument("--id-field", default="id", help="JSONL/CSV field with the document id")
    s.add_argument(
        "--input-format",
        choices=FORMATS,
        default="auto",
        help="override detection by file extension",
    )
    s.add_argument(
        "--jobs",
        type=_positive,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores)",
    )
    s.add_argument(
        "--backend",
        choices=["local", "dask"],
        help="local (default): --jobs processes here; dask: a dask.distributed cluster, "
        "the --scheduler's or a local one of --jobs workers (pip install 'labeler[dask]')",
    )
    s.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="score on the dask cluster of this scheduler, e.g. tcp://host:8786",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    s.add_argument("--errors", type=Path, help="write bad records here as JSONL")
    s.add_argument("--resume", action="store_true", help="continue an interrupted -o run")
    s.add_argument(
        "--threshold",
        type=_threshold,
        action="append",
        default=[],
        metavar="LABEL=P",
        help="flag LABEL at score >= P (e.g. violence=0.7)",
    )
    only = s.add_mutually_exclusive_group()
    only.add_argument("--only-flagged", action="store_true", help="output flagged documents only")
    only.add_argument(
        "--only-review",
        action="store_true",
        help="output documents flagged or to review only (a passage's score at a label's "
        "review point, under its flag: worth a look); CSV: such passages",
    )
    s.add_argument(
        "--min-severity",
        type=int,
        choices=range(4),
        default=0,
        help="output documents (CSV: passages) of at least this severity",
    )
    s.add_argument(
        "--max-chars",
        type=_positive,
        default=10_000_000,
        help="longest document accepted, in characters",
    )
    s.add_argument("--model", help="model directory (default: LABELER_MODEL or the shipped model)")
    s.add_argument(
        "--fast",
        action="store_true",
        help="score with the word model alone: several times faster, less accurate on text "
        "unlike the training data (records name the model VERSION+words)",
    )
    s.add_argument(
        "--store",
        nargs="?",
        const="",
        metavar="DB",
        help="also add the scored documents to the review store "
        "(default DB: LABELER_DB or LABELER_HOME/labeler.db)",
    )
    x = add("export", cmd_export, "export reviewed passages from the review store")
    store_options(x)
    x.add_argument("-o", "--output", help="file to write (atomically); default: stdout")
    x.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file extension")
    w = add("warnings", cmd_warnings, "export each document's content warning and its status")
    store_options(w)
    w.add_argument("-o", "--output", help="file to write (atomically); default: stdout")
    w.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file extension")
    d = add("dashboard", cmd_dashboard, "start the review dashboard")
    store_options(d)
    d.add_argument("--port", type=int, default=8501, help="port to serve on (default: 8501)")
    d.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    d.add_argument(
        "--all-interfaces",
        action="store_true",
        help="listen on every network interface (0.0.0.0): reviewers on other machines",
    )
    d.add_argument(
        "--create",
        action="store_true",
        help="make the store if it does not exist (without it, a missing store is an error)",
    )
    browser = d.add_mutually_exclusive_group()
    browser.add_argument("--open", action="store_true", help="open a browser on the dashboard")
    browser.add_argument(
        "--headless",
        action="store_true",
        help="open no browser: the default (kept for scripts written for earlier versions)",
    )
    r = add("retrain", cmd_retrain, "retrain with reviewed passages, behind a gate")
    store_options(r, admin=True, progress=True)
    r.add_argument("--data", help=DATA_HELP)
    r.add_argument(
        "--tolerance",
        type=_tolerance,
        default=0.02,
        help="largest drop in AUPRC (per label and source) the gate allows (default: 0.02)",
    )
    r.add_argument("--force", action="store_true", help="promote even if the gate refuses")
    r.add_argument(
        "--no-promote",
        action="store_true",
        help="store the candidate and its report, leave promotion to an admin",
    )
    rs = add("rescore", cmd_rescore, "re-score the review store with the current model")
    store_options(rs, admin=True, progress=True)
    rs.add_argument("--model", help="model directory (default: the current model)")
    rs.add_argument(
        "--batch",
        type=_positive,
        default=2000,
        help="passages scored and stored a transaction (default: 2000)",
    )
    rs.add_argument("--quiet", action="store_true", help="no progress line")
    c = add("check", cmd_check, "check the review store's integrity (e.g. after a crash)")
    store_options(c)
    q = add("quality", cmd_quality, "find reviews that are probably mistakes")
    store_options(q)
    q.add_argument("--data", help=DATA_HELP)
    q.add_argument(
        "--folds",
        type=_folds,
        default=3,
        help="cross-validation folds for the out-of-fold scores (default: 3)",
    )
    q.add_argument(
        "--confidence",
        type=_confidence,
        default=0.9,
        help="how sure the model must be against a review to call it suspect (default: 0.9)",
    )
    q.add_argument(
        "--flag",
        action="store_true",
        help="queue the passages for a second look by another reviewer",
    )
    m = add("models", cmd_models, "list, promote or roll back model versions")
    m.add_argument("action", choices=["list", "promote", "rollback"], help="what to do")
    m.add_argument("version", nargs="?", help="the version to promote (see models list)")
    store_options(
        m,
        admin=True,
        help="review store whose admin log records a promote or rollback (default: "
        "LABELER_DB, else labeler.db under LABELER_HOME, if it exists)",
    )
    a = add("admin-log", cmd_admin_log, "show the admin log: who retrained, promoted... and when")
    store_options(a)
    a.add_argument(
        "--limit", type=_positive, default=200, help="latest entries shown (default: 200)"
    )
    t = add("train", cmd_train, "rebuild the model from training data")
    t.add_argument("--data", help=DATA_HELP)
    t.add_argument(
        "--out",
        default="labeler/models/default",
        help="directory to write the model and its card to (default: the shipped model's)",
    )
    t.add_argument("--reports", default="reports", help=REPORTS_HELP)
    e = add("evaluate", cmd_evaluate, "evaluate a model on the test split")
    e.add_argument("--data", help=DATA_HELP)
    e.add_argument("--model", help="model directory (default: the shipped model)")
    e.add_argument("--reports", default="reports", help=REPORTS_HELP)
    add("rubric", cmd_rubric, "print the labelling rubric")
    return p


def store_options(
    sp: argparse.ArgumentParser, *, admin: bool = False, progress: bool = False, help: str = ""
) -> None:
    """The options of a command on the review store, the same everywhere: --store, and for
    an admin action who the admin log names (--admin) and the dashboard's job file
    (--progress). ``score --store`` is not one of them: it creates the store it names."""
    sp.add_argument("--store", metavar="DB", help=help or STORE_HELP)
    if admin:
        sp.add_argument("--admin", metavar="NAME", help=ADMIN_HELP)
    if progress:
        sp.add_argument("--progress", metavar="FILE", help=PROGRESS_HELP)


DATA_HELP = "training data directory (default: LABELER_DATA, else training/data)"
STORE_HELP = "review store (default: LABELER_DB, else labeler.db under LABELER_HOME)"
ADMIN_HELP = "who the store's admin log names for this (default: the system user)"
PROGRESS_HELP = "keep the job's progress and outcome in this JSON file (for the dashboard)"
REPORTS_HELP = "directory for metrics and precision-recall plots (default: reports)"


def main(argv: list[str] | None = None) -> int:
    args, rest = parser().parse_known_args(argv)
    if rest and args.func is not cmd_dashboard:  # only the dashboard passes options on
        parser().parse_args(argv)  # exits 2 naming the unknown options
    closed = closed_streams()
    if closed:
        if sys.stderr is not None:  # else there is nowhere to say it
            print(f"labeler: {closed}", file=sys.stderr)
        return EXIT_USAGE
    from labeler.encoder import EncoderError
    from labeler.learn.dataset import DataError
    from labeler.model import ModelError
    from labeler.outputs import Refused
    from labeler.store.db import StoreError

    try:
        status = cmd_dashboard(args, rest) if args.func is cmd_dashboard else int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not as an error as Python exits
        return status
    except Refused as err:  # an output that would overwrite what it must not
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, ModelError, DataError, EncoderError) as err:  # e.g. an unreachable server
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        print(INTERRUPTED[0], file=sys.stderr)
        return EXIT_INTERRUPTED


def closed_streams() -> str | None:
    """What is wrong when the program was started with standard input, output or error
    closed (``>&-``), else None. Each is a usage error: the next file opened would take
    the closed descriptor, and whatever then writes to "stdout" would write into it."""
    for name, stream in (("input", sys.stdin), ("output", sys.stdout), ("error", sys.stderr)):
        if stream is None:
            return f"standard {name} is closed: give it a file, or /dev/null"
    return None


def entry() -> None:
    """The ``labeler`` program: ``main``, with Ctrl-C handled from the first instant.

    SIGINT is blocked before anything heavy is imported, in this thread and so in every
    thread and worker process started later (they inherit the mask): a worker never sees
    Ctrl-C, even while its interpreter starts. One thread waits for it instead, prints
    one line and ends the process with 130. Ending at once is safe: the output, its state
    file and the store are written so that even kill -9 loses nothing (see --resume).
    The ``labeler`` command (bin/labeler) starts Python with SIGINT blocked already, so a
    Ctrl-C while the interpreter itself starts is pending here and reported the same way.
    The dashboard's streamlit is such a child too: it is stopped the same way.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: KeyboardInterrupt, caught in main
        sys.exit(main())
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    threading.Thread(target=_wait_for_interrupt, daemon=True).start()
    sys.exit(main())


def _wait_for_interrupt() -> None:
    """Print the one line, then make sure nothing else reaches the terminal.

    Standard error is pointed at /dev/null before the workers are listed: what this
    process's threads still print (dask's nanny reporting a killed worker) is lost, and
    a worker forked after that inherits the silence. Every worker forked before it is in
    the list and killed, so none is left to read its start-up data and print EOFError.
    """
    signal.sigwait({signal.SIGINT})
    try:
        sys.stderr.write(INTERRUPTED[0] + "\n")
        sys.stderr.flush()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        for pid in _worker_processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    finally:
        os._exit(EXIT_INTERRUPTED)


def _worker_processes() -> list[int]:
    """This process's children but its resource trackers (Linux; elsewhere none).

    An interrupted run kills them as it ends, so that none prints after its one line.
    The trackers are left to remove what the workers leave, quietly (see
    labeler.batch._prepare_workers).
    """
    pids = []
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            listed = children.read_text().split()
        except OSError:  # a thread that ended
            continue
        for pid in listed:
            try:
                if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(int(pid))
            except OSError:  # a child that ended
                continue
    return pids


if __name__ == "__main__":
    entry()
