"""Command line: ``labeler score``, ``labeler train``, ``labeler evaluate``.

The CLI only parses options and calls library functions; heavy imports happen
inside commands so ``labeler --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from labeler import config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_score(args: argparse.Namespace) -> int:
    """Score text files; write one JSON document record per line to stdout.

    Example: labeler score examples/news_isis_executions.txt
    """
    from labeler.model import ModelError, load_model
    from labeler.scoring import score_text

    try:
        model = load_model(config.model_dir(args.model))
    except ModelError as err:
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_FAILED
    status = EXIT_OK
    for path in args.paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            print(f"labeler: {path}: cannot read: {_reason(err)}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        record = score_text(text, doc_id=path, model=model)
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return status


def cmd_train(args: argparse.Namespace) -> int:
    """Rebuild the model from the training data, evaluate it, write it with its card.

    Example: labeler train --data training/data --out labeler/models/default
    """
    from labeler.training import train_and_save

    report = train_and_save(Path(args.data), Path(args.out), Path(args.reports))
    print(report)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a model on the fixed test split, beside a plain TF-IDF baseline.

    Prints AUPRC, ROC-AUC and precision/recall/F1 at the thresholds per label and
    source, and writes PR-curve PNGs and metrics.json to --reports.
    Example: labeler evaluate --data training/data --reports reports
    """
    from labeler.dataset import load_rows
    from labeler.evaluation import evaluate, format_table, plot_pr_curves, write_metrics
    from labeler.model import load_model

    model = load_model(config.model_dir(args.model))
    report = evaluate(model, load_rows(Path(args.data)))
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


def _reason(err: Exception) -> str:
    if isinstance(err, UnicodeDecodeError):
        return f"not valid UTF-8 (byte {err.start})"
    return getattr(err, "strerror", None) or str(err)


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

    s = add("score", cmd_score, "score text files")
    s.add_argument("paths", nargs="+", metavar="PATH", help=".txt or .md files")
    s.add_argument("--model", help="model directory (default: LABELER_MODEL or the shipped model)")
    t = add("train", cmd_train, "rebuild the model from training data")
    t.add_argument("--data", default="training/data")
    t.add_argument("--out", default="labeler/models/default")
    t.add_argument("--reports", default="reports")
    e = add("evaluate", cmd_evaluate, "evaluate a model on the test split")
    e.add_argument("--data", default="training/data")
    e.add_argument("--model", help="model directory (default: the shipped model)")
    e.add_argument("--reports", default="reports")
    add("rubric", cmd_rubric, "print the labelling rubric")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
