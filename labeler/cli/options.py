"""The ``labeler`` parser: every command's options, the option blocks commands share, and
the argument types that refuse a bad value before a command runs."""

from __future__ import annotations

import argparse
import inspect
import math
import os
from pathlib import Path

from labeler.cli.models import cmd_evaluate, cmd_models, cmd_rescore, cmd_retrain, cmd_train
from labeler.cli.review import cmd_admin_log, cmd_check, cmd_dashboard, cmd_quality, cmd_rubric
from labeler.cli.scoring import cmd_export, cmd_score, cmd_warnings


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
    export_options(add("export", cmd_export, "export reviewed passages from the review store"))
    export_options(
        add("warnings", cmd_warnings, "export each document's content warning and its status")
    )
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


def export_options(sp: argparse.ArgumentParser) -> None:
    """The options of an export of the review store, the same for every export: the store,
    the file written (-o) and its format."""
    store_options(sp)
    sp.add_argument("-o", "--output", help="file to write (atomically); default: stdout")
    sp.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file extension")


DATA_HELP = "training data directory (default: LABELER_DATA, else training/data)"
STORE_HELP = "review store (default: LABELER_DB, else labeler.db under LABELER_HOME)"
ADMIN_HELP = "who the store's admin log names for this (default: the system user)"
PROGRESS_HELP = "keep the job's progress and outcome in this JSON file (for the dashboard)"
REPORTS_HELP = "directory for metrics and precision-recall plots (default: reports)"


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
