"""Command line: ``labeler score``, ``labeler train``, ``labeler evaluate``.

The CLI only parses options and calls library functions; heavy imports happen
inside commands so ``labeler --help`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from labeler import config
from labeler.db import StoreError
from labeler.model import ModelError
from labeler.sources import FORMATS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_score(args: argparse.Namespace) -> int:
    """Score documents; write one JSON record per document (or CSV rows, or a report).

    INPUT: .txt/.md/.html files, folders (recursively, in sorted order), .jsonl/.ndjson
    and .csv files (one document per line/row), any of them gzipped (.gz); "-" or no
    INPUT reads stdin. Bad records are reported (file and line), kept in --errors, and
    the rest is still scored. Exit status: 0 all scored, 1 some records failed, 2 usage.

    Example: labeler score archive.jsonl.gz -o scored.jsonl --errors bad.jsonl
    """
    from labeler.batch import Job, Settings, UsageError, run
    from labeler.sources import ReadOptions

    if not args.inputs and sys.stdin.isatty():
        print(
            "labeler: no INPUT given and nothing piped in; see labeler score --help",
            file=sys.stderr,
        )
        return EXIT_USAGE
    fmt = args.format or ("report" if args.output is None and sys.stdout.isatty() else "jsonl")
    colour = fmt == "report" and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    settings = Settings(
        model_dir=str(config.model_dir(args.model) or "") or None,
        format=fmt,
        thresholds=dict(args.threshold),
        only_flagged=args.only_flagged,
        min_severity=args.min_severity,
        colour=colour,
        keep_for_store=args.store is not None,
    )
    read = ReadOptions(args.text_field, args.id_field, args.max_chars, args.input_format)
    store = config.store_target(args.store or None) if args.store is not None else None
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
    try:
        stats = run(job, sys.stdout, sys.stderr)
    except UsageError as err:
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("labeler: interrupted; run again with --resume to continue", file=sys.stderr)
        return 130
    return EXIT_FAILED if stats.errors else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write reviewed passages (current labels) in the training-data schema, JSONL or CSV.

    Columns: id, text, violence, graphic, severity, reviewer, decided_at, model and
    the model's scores. CSV cells that could start a formula are escaped.
    Example: labeler export --store review.db -o reviewed.jsonl
    """
    from labeler.export import export

    count = export(config.store_target(args.store), Path(args.output), args.format)
    print(f"labeler: exported {count:,} reviewed passages to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Start the review dashboard (streamlit run app.py) on the configured store.

    Example: labeler dashboard --store review.db --port 8501
    """
    import subprocess

    app = Path(__file__).resolve().parent.parent / "app.py"
    if not app.is_file():
        print(f"labeler: {app} not found: run from a checkout of the project", file=sys.stderr)
        return EXIT_FAILED
    env = {**os.environ, "LABELER_DB": config.store_target(args.store)}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
    ]
    return subprocess.call(cmd, env=env)


def cmd_retrain(args: argparse.Namespace) -> int:
    """Train a new model version on the training data plus reviewed passages; promote it
    only if the gate passes (or --force, which the card records).

    Exit status: 0 promoted, 1 refused by the gate.
    Example: labeler retrain --store review.db
    """
    from labeler.feedback import retrain

    outcome = retrain(config.store_target(args.store), Path(args.data), args.tolerance, args.force)
    print(outcome["log"])
    return EXIT_OK if outcome["promoted"] else EXIT_FAILED


def cmd_check(args: argparse.Namespace) -> int:
    """Check the review store's integrity, e.g. after a crash; exit 1 if anything is wrong.

    Example: labeler check --store review.db
    """
    from labeler.db import shown
    from labeler.store import Store

    target = config.store_target(args.store)
    store = Store(target)
    problems = store.integrity()
    counts = store.counts()
    store.close()
    for problem in problems:
        print(f"labeler: {problem}", file=sys.stderr)
    summary = ", ".join(f"{n:,} {t}" for t, n in counts.items())
    verdict = f"{len(problems)} problems" if problems else "ok"
    print(f"{shown(target)}: {summary}; integrity {verdict}")
    return EXIT_FAILED if problems else EXIT_OK


def cmd_quality(args: argparse.Namespace) -> int:
    """List reviews a cross-validated model confidently disagrees with, for a second look.

    Example: labeler quality --store review.db
    """
    import json

    from labeler.feedback import reviewed_rows, suspicious_reviews
    from labeler.store import Store

    store = Store(config.store_target(args.store))
    rows, _ = reviewed_rows(store)
    store.close()
    found = suspicious_reviews(Path(args.data), rows, args.folds, args.confidence)
    for item in found:
        print(json.dumps(item, ensure_ascii=False))
    if args.flag:
        store = Store(config.store_target(args.store))
        for item in found:
            doc_key, _, idx = item["id"].removeprefix("review:").rpartition("#")
            reason = (
                f"model gives {item['label']} {item['model']:.2f}, review said {item['reviewed']}"
            )
            store.flag_for_second_look(store.passage_id(doc_key, int(idx)), reason)
        store.close()
    print(
        f"labeler: {len(found)} of {len(rows)} reviewed passages look mislabelled", file=sys.stderr
    )
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    """List model versions, promote one, or roll back to the previous.

    Example: labeler models list
    """
    from labeler.registry import Registry

    registry = Registry(config.home())
    if args.action == "promote":
        if not args.version:
            print(
                "labeler: models promote needs a VERSION (see: labeler models list)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        registry.promote(args.version)
    elif args.action == "rollback":
        print(f"labeler: current model is now {registry.rollback() or 'the shipped model'}")
    current = registry.current()
    for card in registry.versions():
        mark = "*" if card["version"] == current else " "
        gate_state = card.get("gate", {}).get("passed")
        print(
            f"{mark} {card['version']}  reviewed rows {card.get('reviewed_rows', 0)}  "
            f"gate {'-' if gate_state is None else 'passed' if gate_state else 'refused'}"
        )
    if current is None:
        print("* shipped model (labeler/models/default)")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Rebuild the model from the training data, evaluate it, write it with its card.

    Example: labeler train --data training/data --out labeler/models/default
    """
    from labeler.training import train_and_save

    report = train_and_save(
        Path(args.data), Path(args.out), Path(args.reports), embeddings=args.embeddings
    )
    print(report)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a model on the fixed test split, beside a plain TF-IDF baseline.

    Prints the leave-one-source-out table recorded in the model card (AUPRC and recall
    at the flag and review operating points, per held-out source), then AUPRC, ROC-AUC
    and precision/recall/F1 at the thresholds per label and source on the in-domain test
    split, and writes PR-curve PNGs and metrics.json to --reports.
    Example: labeler evaluate --data training/data --reports reports
    """
    from labeler.dataset import load_rows
    from labeler.evaluation import (
        evaluate,
        format_loso,
        format_table,
        plot_pr_curves,
        write_metrics,
    )
    from labeler.model import load_model

    model = load_model(config.model_dir(args.model))
    loso = model.card.get("leave_one_source_out")
    if loso:
        print("Leave one source out (from the model card: trained without each source)")
        print(format_loso(loso) + "\n")
    report = evaluate(model, load_rows(Path(args.data)))
    print("In-domain test split")
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
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def _threshold(value: str) -> tuple[str, float | str]:
    from labeler.labels import LABELS

    label, _, number = value.partition("=")
    if label in LABELS and number in ("flag", "review"):
        return label, number  # an operating point of the model's card
    try:
        p = float(number)
    except ValueError:
        p = -1.0
    if label not in LABELS or not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError(
            f"expected LABEL=P or LABEL=flag|review with LABEL one of {', '.join(LABELS)} "
            f"and 0 <= P <= 1, got {value!r}"
        )
    return label, p


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="labeler", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, func, help: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        sp = sub.add_parser(
            name,
            help=help,
            description=func.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sp.set_defaults(func=func)
        return sp

    s = add("score", cmd_score, "score documents from files, folders or stdin")
    s.add_argument("inputs", nargs="*", metavar="INPUT", help="files or folders; - for stdin")
    s.add_argument("-o", "--output", type=Path, help="write here (atomically) instead of stdout")
    s.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        help="jsonl (default when piped), or csv: one row per passage",
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
        help="flag LABEL at score >= P, or at an operating point (violence=0.7, violence=review)",
    )
    s.add_argument("--only-flagged", action="store_true", help="output flagged documents only")
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
        "--store",
        nargs="?",
        const="",
        metavar="DB",
        help="also add the scored documents to the review store "
        "(default DB: LABELER_DB or LABELER_HOME/labeler.db)",
    )
    x = add("export", cmd_export, "export reviewed passages from the review store")
    x.add_argument("--store", metavar="DB", help="review store (default: LABELER_DB)")
    x.add_argument("-o", "--output", required=True, help="file to write (atomically)")
    x.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file extension")
    d = add("dashboard", cmd_dashboard, "start the review dashboard")
    d.add_argument("--store", metavar="DB", help="review store (default: LABELER_DB)")
    d.add_argument("--port", type=int, default=8501)
    r = add("retrain", cmd_retrain, "retrain with reviewed passages, behind a gate")
    r.add_argument("--store", metavar="DB", help="review store (default: LABELER_DB)")
    r.add_argument("--data", default="training/data")
    r.add_argument("--tolerance", type=float, default=0.02, help="largest AUPRC drop allowed")
    r.add_argument("--force", action="store_true", help="promote even if the gate refuses")
    c = add("check", cmd_check, "check the review store's integrity (e.g. after a crash)")
    c.add_argument("--store", metavar="DB", help="review store (default: LABELER_DB)")
    q = add("quality", cmd_quality, "find reviews that are probably mistakes")
    q.add_argument("--store", metavar="DB", help="review store (default: LABELER_DB)")
    q.add_argument("--data", default="training/data")
    q.add_argument("--folds", type=int, default=3)
    q.add_argument("--confidence", type=float, default=0.9)
    q.add_argument(
        "--flag",
        action="store_true",
        help="queue the passages for a second look by another reviewer",
    )
    m = add("models", cmd_models, "list, promote or roll back model versions")
    m.add_argument("action", choices=["list", "promote", "rollback"])
    m.add_argument("version", nargs="?")
    t = add("train", cmd_train, "rebuild the model from training data")
    t.add_argument("--data", default="training/data")
    t.add_argument("--out", default="labeler/models/default")
    t.add_argument("--reports", default="reports")
    t.add_argument(
        "--embeddings",
        action="store_true",
        help="add WordLlama static embeddings (better on unseen sources, slower to score)",
    )
    e = add("evaluate", cmd_evaluate, "evaluate a model on the test split")
    e.add_argument("--data", default="training/data")
    e.add_argument("--model", help="model directory (default: the shipped model)")
    e.add_argument("--reports", default="reports")
    add("rubric", cmd_rubric, "print the labelling rubric")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (StoreError, ModelError) as err:  # e.g. an unreachable server, an unknown version
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
