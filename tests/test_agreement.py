"""Review figures that say how sure they are (issue 19, section 3): pure functions, with
hand-worked values."""

from __future__ import annotations

import pytest

from labeler.store.agreement import (
    MIN_KAPPA,
    MIN_SHARE,
    kappa,
    reviewer_statistics,
    shown,
    statistics,
    wilson,
)
from labeler.store.review import GRAPHIC, NOT_VIOLENT, VIOLENT_NOT_GRAPHIC, Review, Reviewed


def test_wilson_interval_matches_the_published_values():
    # Wilson score intervals at 95% (Newcombe 1998, table I): 8/10 and 0/20
    e = wilson(8, 10)
    assert (e.value, round(e.low, 4), round(e.high, 4), e.n) == (0.8, 0.4902, 0.9433, 10)
    e = wilson(0, 20)
    assert (e.value, e.low, round(e.high, 4)) == (0.0, 0.0, 0.1611)


def test_kappa_interval_is_the_standard_large_sample_one():
    a = [1] * 10 + [0] * 10
    b = [1] * 9 + [0] + [1] + [0] * 9  # 18 of 20 agree, each rater says 1 half the time
    e = kappa(a, b, minimum=20)
    # po = 0.9, pe = 0.5: kappa 0.8, se = sqrt(0.9 * 0.1 / (20 * 0.25)) = 0.1342
    assert e.value == 0.8 and e.n == 20
    assert e.low == pytest.approx(0.8 - 1.959964 * 0.134164, abs=1e-4) and e.high == 1.0


def test_below_the_minimum_there_is_no_figure_only_too_few_to_say():
    assert wilson(5, 5).value is None and not wilson(5, 5).enough  # the "100%" of 5 reviews
    assert kappa([1], [0]).value is None  # the "kappa 0.00" of one passage
    assert shown(wilson(5, 5)) == f"too few to say (n = 5, needs {MIN_SHARE})"
    assert shown(kappa([1], [0]), "coefficient") == f"too few to say (n = 1, needs {MIN_KAPPA})"
    every_one_way = kappa([1] * 30, [1] * 30)  # enough passages, but kappa is undefined
    assert every_one_way.value is None and shown(every_one_way) == "undefined, n = 30"
    assert shown(wilson(30, 40)) == "75% (60–86%), n = 40"
    assert shown(kappa([1] * 10 + [0] * 10, [1] * 9 + [0] + [1] + [0] * 9), "coefficient") == (
        "0.80 (0.54 to 1.00), n = 20"
    )


def item(pid, flags, by, adjudicated=None):
    current = adjudicated or list(by.values())[-1]
    return Reviewed(pid, flags, by, current, "doc", pid, "text", adjudicated)


def test_label_figures_count_what_they_are_measured_on():
    items = [item(i, ("violence",), {"ana": VIOLENT_NOT_GRAPHIC}) for i in range(12)]
    items += [item(100 + i, ("violence",), {"ana": NOT_VIOLENT}) for i in range(4)]
    items += [item(200 + i, (), {"ana": NOT_VIOLENT}) for i in range(4)]
    figures = statistics(items)["labels"]["violence"]
    assert (figures["precision"].n, figures["precision"].value) == (16, 0.75)
    assert (figures["agreement"].n, figures["agreement"].value) == (20, 0.8)
    assert figures["kappa"].n == 0 and figures["kappa"].value is None


def test_disagreements_are_resolved_by_an_adjudication():
    items = [
        item(1, ("violence",), {"ana": GRAPHIC, "ben": NOT_VIOLENT}),
        item(2, ("violence",), {"ana": GRAPHIC, "ben": NOT_VIOLENT}, adjudicated=GRAPHIC),
        item(3, ("violence",), {"ana": GRAPHIC, "ben": GRAPHIC}),
    ]
    stats = statistics(items)
    assert stats["unresolved"] == [1] and stats["resolved"] == [2]


def test_per_reviewer_decisions_pace_and_agreement_with_others():
    stamps = [f"2026-12-07T10:{m:02d}:{s:02d}+00:00" for m in range(2) for s in range(0, 60, 5)]
    reviews = [Review(i, i, "ana", "confirm", None, t) for i, t in enumerate(stamps)]  # every 5 s
    reviews.append(Review(99, 99, "ana", "undo", None, "2026-12-07T10:02:00+00:00"))
    reviews.append(Review(100, 1, "ben", "confirm", None, "2026-12-07T12:00:00+00:00"))
    reviews.append(Review(101, 2, "ben", "confirm", None, "2026-12-07T13:00:00+00:00"))  # a break
    items = [item(i, (), {"ana": NOT_VIOLENT, "ben": NOT_VIOLENT}) for i in range(8)]
    items += [item(10 + i, (), {"ana": NOT_VIOLENT, "ben": GRAPHIC}) for i in range(4)]
    ana, ben = reviewer_statistics(reviews, items)
    assert (ana.reviewer, ana.decisions, ana.labelled) == ("ana", 24, 12)  # the undo is no decision
    assert (ana.seconds_per_decision.value, ana.seconds_per_decision.n) == (5.0, 23)
    assert (ana.agreement.value, ana.agreement.n) == (round(8 / 12, 4), 12)
    assert (ben.decisions, ben.seconds_per_decision.n) == (2, 0)  # an hour apart: no sitting
    assert shown(ben.seconds_per_decision, "seconds").startswith("too few to say")
    assert shown(ana.seconds_per_decision, "seconds") == "5.0 s (5.0–5.0 s), n = 23"
