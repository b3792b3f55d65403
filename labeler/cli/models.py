"""Commands on models: ``retrain`` and ``rescore`` on the review store, ``models``
(list, promote, roll back), ``train`` and ``evaluate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from labeler import config
from labeler.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from labeler.cli.review import admin_name, existing_store

if TYPE_CHECKING:
    from labeler.learn.registry import Registry


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
