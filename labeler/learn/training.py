"""Fit the model: the word model and the sentence model, their operating points, the card.

A :class:`~labeler.learn.recipe.Recipe` says what is fitted. Both models are one
calibrated logistic regression per label (Platt scaling on the validation split); the
word model (word n-grams alone) also screens passages for the sentence model and scores
alone under ``labeler score --fast``. Operating points, per label:

- flag thresholds, on the validation split of the training sources: the lowest score
  whose (source-capped) precision reaches the recipe's target, i.e. the most recall there;
- review thresholds, on out-of-source validation scores (leave-one-source-out): the
  highest score whose source-balanced recall reaches the recipe's ``review_recall``;
- the screen: word scores under which the sentence model is not asked (every label below
  its cut), chosen the review way at ``SCREEN_RECALL``, and the sentence model's review
  thresholds chosen on the scores the two give together, so the review point holds for
  what ``labeler score`` does;
- severity: the cut on the ``described`` probability (violence described rather than in
  passing) with the best balanced accuracy on hand-labelled validation rows.

The evidence lexicon (``labeler.learn.lexicon``) is learned from the same training rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labeler.features import TfidfParams, stop_words
from labeler.labels import LABELS
from labeler.learn.card import card_markdown, make_card
from labeler.learn.dataset import REVIEWED, Row, split_of
from labeler.learn.lexicon import learn_lexicon
from labeler.learn.recipe import DESCRIBED, Fitted, Inputs, Recipe
from labeler.learn.thresholds import choose_threshold
from labeler.model import Model
from labeler.sentence import SentenceHead
from labeler.tokens import TOKEN_PATTERN

# Features and source weighting chosen by leave-one-source-out (training/compare_loso.py;
# README and card have the table). Flags at precision 0.75 (graphic 0.5): at 0.6 the
# violence flag sat at 0.13 and flagged "Violence is never the answer", a sports "murdered
# them" and "kill the process"; the review point (recall) catches what a flag misses.
SHIPPED = Recipe(target_precision=0.75)
SCREEN_RECALL = 0.98  # balanced out-of-source recall the word screen keeps
VAL_SOURCE_CAP = 150.0  # per source, when choosing flag thresholds on validation scores


def capped_weights(rows: list[Row], cap: float) -> np.ndarray:
    """Per-row weights so that no source counts for more than ``cap`` rows.

    >>> rows = [Row(str(i), "", "big" if i else "small", "", {}) for i in range(5)]
    >>> capped_weights(rows, cap=2.0).tolist()
    [1.0, 0.5, 0.5, 0.5, 0.5]
    """
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.source] = counts.get(r.source, 0) + 1
    return np.array([min(float(counts[r.source]), cap) / counts[r.source] for r in rows])


def flag_thresholds(
    proba: np.ndarray, val_rows: list[Row], targets: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per label, the threshold reaching its target precision on ``val_rows`` scored
    ``proba`` (each source capped, so the template set alone does not set it)."""
    out = {}
    for j, label in enumerate(LABELS):
        idx = [i for i, r in enumerate(val_rows) if r.labels[label] is not None]
        y = np.array([val_rows[i].labels[label] for i in idx])
        weights = capped_weights([val_rows[i] for i in idx], VAL_SOURCE_CAP)
        out[label] = choose_threshold(y, proba[idx, j], targets[label], weights)
    return out


def choose_described_at(rows: list[Row], score: np.ndarray, floor: float = 0.0) -> float:
    """The cut on ``score`` separating 'described' (2) from 'in passing' (1): the best
    balanced accuracy among hand-labelled severity 1 and 2 rows, never below ``floor``.

    >>> rows = [Row(str(i), "", "s", "", {}, severity=s) for i, s in enumerate([1] * 6 + [2] * 6)]
    >>> choose_described_at(rows, np.array([.1, .2, .3, .4, .5, .6, .5, .6, .7, .8, .9, .95]))
    0.6
    """
    pick = [i for i, r in enumerate(rows) if r.severity in (1, 2)]
    if len(pick) < 10:
        return max(floor, 0.5)
    y = np.array([rows[i].severity == 2 for i in pick])
    p = score[pick]
    best, best_score = floor, -1.0
    for cut in np.unique(p[p >= floor]):
        pred = p >= cut
        balanced = (pred[y].mean() if y.any() else 0) + ((~pred[~y]).mean() if (~y).any() else 0)
        if balanced > best_score:
            best, best_score = float(cut), balanced
    return best


def export(words: Fitted, sentence: Fitted | None, card: dict[str, Any]) -> Model:
    """The fitted recipes as a model: plain arrays, scoring as the fitted objects do."""
    word = words.features.tfidf["word"]
    terms = words.features.inputs.counts.terms("word")[word.columns]
    tfidf = TfidfParams([str(t) for t in terms], word.idf, stop_words(), TOKEN_PATTERN)
    linear = [words.models[label] for label in LABELS]
    model = Model(
        tfidf,
        np.vstack([m.coef for m in linear]),
        np.array([m.intercept for m in linear]),
        np.array([[m.a, m.b] for m in linear]),
        card,
    )
    if sentence is not None:
        char = sentence.features.tfidf.get("char")
        outputs = [sentence.models[name] for name in (*LABELS, DESCRIBED)]
        model.sentence = SentenceHead(
            tuple(sentence.recipe.features),
            [str(t) for t in sentence.features.inputs.counts.terms("char")[char.columns]]
            if char
            else [],
            char.idf if char else np.zeros(0),
            np.vstack([m.coef for m in outputs]),
            np.array([m.intercept for m in outputs]),
            np.array([[m.a, m.b] for m in outputs]),
            sentence.recipe.quantized,
        )
    return model


def train(
    data_dir: Path,
    recipe: Recipe = SHIPPED,
    extra: list[Row] | None = None,
    points_from: Model | None = None,
) -> tuple[Model, list[Row]]:
    """Fit on the train split, calibrate and choose thresholds on validation, and choose
    the review point and screen by leave-one-source-out; returns the model and the rows.

    ``extra`` rows (reviewed passages from the store) join the training data and are
    split by the same grouped rule. ``points_from``: take the review thresholds and the
    screen from this model instead of leave-one-source-out (a retrain from reviews keeps
    the current model's).
    """
    from labeler.learn.dataset import load_rows
    from labeler.learn.embeddings import CachedEncoder, cache_dir

    rows = load_rows(data_dir) + list(extra or [])
    train_rows = [r for r in rows if split_of(r.group) == "train"]
    val_rows = [r for r in rows if split_of(r.group) == "val"]
    inputs = Inputs.of(rows, recipe, cache_dir(data_dir))
    words = recipe.words_only().fit(train_rows, val_rows, inputs)
    sentence = recipe.fit(train_rows, val_rows, inputs) if recipe.features != ("word",) else None
    # thresholds from the training data's own validation rows: reviews move a threshold
    # only through labeler.learn.feedback.retune_thresholds, which may raise it
    val = [r for r in val_rows if r.source != REVIEWED]
    texts = [r.text for r in val]
    targets = recipe.targets()
    word_p = words.predict_proba(texts)
    word_flags = flag_thresholds(word_p, val, targets)
    word_points = {
        "thresholds": {label: round(t["threshold"], 6) for label, t in word_flags.items()},
        "validation_at_threshold": _at(word_flags),
        "described_at": round(
            choose_described_at(val, word_p[:, 0], word_flags["violence"]["threshold"]), 6
        ),
    }
    review, screen, loso = _review_points(rows, recipe, inputs, points_from)
    word_points["review_thresholds"] = _lowest(review["words"], word_flags)
    if sentence is None:
        model = export(words, None, {})
        flags, points = word_flags, word_points
    else:
        model = export(words, sentence, {"screen": screen, "words": word_points})
        assert model.sentence is not None
        model.sentence.encoder = CachedEncoder(cache_dir(data_dir), recipe.quantized)
        proba, described = sentence.scores(texts)
        flags = flag_thresholds(proba, val, targets)
        assert described is not None
        points = {
            "thresholds": {label: round(t["threshold"], 6) for label, t in flags.items()},
            "validation_at_threshold": _at(flags),
            "described_at": round(choose_described_at(val, described), 6),
            "review_thresholds": _lowest(review["sentence"], flags),
        }
    model.evidence = learn_lexicon(train_rows, recipe.weights(train_rows), model.sentence)
    card = make_card(data_dir, rows, recipe)
    model.card = {**card, **model.card, **points}
    if loso:
        model.card["leave_one_source_out"] = loso
    return model, rows


def _at(chosen: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {label: {k: v for k, v in t.items() if k != "threshold"} for label, t in chosen.items()}


def _review_points(
    rows: list[Row], recipe: Recipe, inputs: Inputs, points_from: Model | None
) -> tuple[dict[str, dict[str, float]], dict[str, float], dict[str, Any]]:
    """Review thresholds of each scorer and the screen, from ``points_from`` or by
    leave-one-source-out; and the LOSO report (empty when taken from a model)."""
    from labeler.learn.loso import (
        held_out_review_thresholds,
        loso_report,
        out_of_source_scores,
        review_thresholds,
    )

    if points_from is not None:
        words_card = points_from.card.get("words", points_from.card)
        review = {
            "words": dict(words_card.get("review_thresholds") or points_from.review_thresholds),
            "sentence": points_from.review_thresholds,
        }
        screen = dict(points_from.card.get("screen") or review["words"])
        return review, screen, {}
    words = out_of_source_scores(rows, recipe.words_only(), inputs)
    review = {"words": _rounded(review_thresholds(words, recipe.review_recall))}
    loso: dict[str, Any] = {
        "words": loso_report(words, held_out_review_thresholds(words, recipe.review_recall))
    }
    if recipe.features == ("word",):
        return review, review["words"], loso
    # graphic passages are violent (the rubric), so the violence score alone screens
    screen = {"violence": round(review_thresholds(words, SCREEN_RECALL)["violence"], 6)}
    screen["graphic"] = 1.0
    both = out_of_source_scores(rows, recipe, inputs)
    unscreened = held_out_review_thresholds(both, recipe.review_recall)
    loso["sentence, no screen"] = loso_report(both, unscreened)
    cut = np.array([screen[label] for label in LABELS])
    cleared = np.asarray((words.proba < cut).all(axis=1))
    both.proba[cleared] = 0.0  # cleared by the screen: never flagged nor sent to review
    review["sentence"] = _rounded(review_thresholds(both, recipe.review_recall))
    loso["sentence"] = loso_report(both, held_out_review_thresholds(both, recipe.review_recall))
    loso["screened"] = round(float(cleared[[f is not None for f in both.fold]].mean()), 4)
    return review, screen, loso


def _lowest(review: dict[str, float], flags: dict[str, dict[str, float]]) -> dict[str, float]:
    """The review thresholds where they lie under the flag's; else the flag's (where a
    flag threshold is lower, flags already catch more than the review point would)."""
    return {label: min(t, round(flags[label]["threshold"], 6)) for label, t in review.items()}


def _rounded(thresholds: dict[str, float]) -> dict[str, float]:
    return {label: round(t, 6) for label, t in thresholds.items()}


def train_and_save(
    data_dir: Path, out_dir: Path, reports_dir: Path, recipe: Recipe = SHIPPED
) -> str:
    """Train, evaluate on the test split, write the model and its card; return the table."""
    from labeler.learn.evaluation import (
        evaluate,
        format_table,
        plot_pr_curves,
        pr_points,
        write_metrics,
    )
    from labeler.learn.loso import format_loso
    from labeler.model import save_model

    model, rows = train(data_dir, recipe)
    report = evaluate(model, rows)
    model.card["metrics"] = {
        "test": report["model"],
        "baseline_test": report["baseline"],
        "severity": report["severity"],
    }
    model.card["pr_curve"] = pr_points(report["_rows"], report["_proba"]["model"])
    save_model(model, out_dir)
    table = format_table(report)
    loso = model.card.get("leave_one_source_out", {})
    reports = {name: loso[name] for name in ("words", "sentence") if name in loso}
    tables = "\n\n".join(f"{label}:\n\n{format_loso(reports, label)}" for label in LABELS)
    (out_dir / "card.md").write_text(card_markdown(model.card, table, tables), encoding="utf-8")
    write_metrics(report, reports_dir / "metrics.json")
    plot_pr_curves(report, reports_dir)
    return table
