"""The model cards the dashboard reads, without loading any model's weights: the current
model's (its version, for the landing page) and any version's by name (the thresholds that
scored a passage, for the review screen)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from labeler import config
from labeler.learn.registry import Registry
from labeler.model import CARD_FILE, ModelError, default_model_dir, read_card

# A version's directory is written once and never changed: a card found stays right.
_FOUND: dict[str, dict[str, Any]] = {}


def current_card() -> dict[str, Any]:
    """The card of the model scoring now (``labeler.config.model_dir``'s rule)."""
    return read_card(Path(config.model_dir() or default_model_dir()) / CARD_FILE)


def card_of(version: str) -> dict[str, Any] | None:
    """The card of model ``version``, wherever it is here: shipped, LABELER_MODEL's, or
    in the registry; None when no model of that version is installed."""
    if version not in _FOUND:
        for card in _cards():
            _FOUND.setdefault(card["version"], card)
    return _FOUND.get(version)


def _cards() -> list[dict[str, Any]]:
    """Every card that can be read here; one that cannot is left out (the Model page and
    ``labeler models list`` are where a broken version is reported)."""
    places = [default_model_dir()]
    if os.environ.get("LABELER_MODEL"):
        places.append(Path(os.environ["LABELER_MODEL"]))
    cards = []
    for place in places:
        try:
            cards.append(read_card(place / CARD_FILE))
        except ModelError:
            continue
    try:
        cards += Registry(config.home()).versions()
    except ModelError:
        pass
    return cards
