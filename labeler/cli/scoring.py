"""Commands that write documents out: ``score`` (documents in, records out) and the
store's exports, ``export`` and ``warnings``."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from labeler import config
from labeler.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, INTERRUPTED
from labeler.cli.review import existing_store


def cmd_score(args: argparse.Namespace) -> int:
    """Score documents; write one JSON record per document (or CSV rows, or a report).

    INPUT: .txt/.md/.html files, folders (recursively, in sorted order), .jsonl/.ndjson
    and .csv files (one document per line/row), any of them gzipped (.gz); "-" or no
    INPUT reads stdin. Bad records are reported (file and line), kept in --errors, and
    the rest is still scored. Exit status: 0 all scored, 1 some records failed, 2 usage.

    Example: labeler score archive.jsonl.gz -o scored.jsonl --errors bad.jsonl
    """
    from labeler.batch.documents import ReadOptions
    from labeler.batch.run import Job, RunError, Settings, UsageError, run
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
