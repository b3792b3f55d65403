"""Content warnings in an editor's words: the vocabulary (labeler.depicted_acts), what a
passage depicts (labeler.depictions) and the line (labeler.warning), on a table of passages
with the warning an editor would write."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from labeler.depicted_acts import CATEGORIES
from labeler.depictions import depicted
from labeler.warning import document_warning

from .conftest import EXAMPLE, ROOT

TABLE = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "editor_warnings.jsonl").read_text().splitlines()
]
FLAGS = {"none": [], "violence": ["violence"], "graphic": ["violence", "graphic"]}


def test_the_table_is_an_editors_table_of_at_least_30_passages():
    assert len(TABLE) >= 30
    named = {key for row in TABLE for key in row["categories"]}
    assert named == {c.key for c in CATEGORIES}  # every category has a passage that names it


@pytest.mark.parametrize("row", TABLE, ids=[f"{r['n']}-{r['kind']}" for r in TABLE])
def test_each_passage_gets_the_warning_an_editor_would_write(row):
    """The passage, with the label a reviewer gave it: the warning an editor would write."""
    warning = document_warning([{"flags": FLAGS[row["labels"]], "text": row["text"]}])
    assert warning == {
        "level": row["labels"],
        "text": row["warning"],
        "categories": row["categories"],
    }


@pytest.mark.parametrize(
    "phrase, key",
    [
        ("buried alive", "killing"),
        ("gouged out", "mutilation"),
        ("set alight", "burning"),
        ("stab wounds", "stabbing"),
        ("37 stab wounds", "blood"),
        ("throat had been cut from ear to ear", "stabbing"),
        ("stomping him", "beating"),
        ("burned alive", "burning"),
        ("cut off", None),  # cut off what? a phrase alone says no body part
        ("shot dead", "shooting"),
        ("firing squad", "execution"),
        ("sexually assaulted", "sexual-violence"),
    ],
)
def test_evidence_phrases_map_to_the_vocabulary(phrase, key):
    """Evidence phrases (issue 18, section 1) name a category by themselves."""
    keys = [d.key for d in depicted(phrase)]
    assert (key in keys) if key else keys == []


def test_a_graphic_document_names_what_made_it_graphic_first_and_war_last():
    passages = [
        {"flags": ["violence"], "text": "Troops shot two men during the battle for the city."},
        {"flags": ["violence", "graphic"], "text": "Their bodies were dumped in a ditch."},
        {"flags": [], "text": "A man was stabbed in an unrelated incident."},  # not flagged
    ]
    warning = document_warning(passages)
    assert (
        warning["text"] == "Contains graphic descriptions of violence: dead bodies, shooting, war"
    )
    assert warning["categories"] == ["bodies", "shooting", "war"]


def test_a_line_names_four_acts_and_the_categories_keep_them_all():
    text = (
        "They raped and tortured the prisoners, cut off their ears, burned them alive, "
        "shot the rest and bombed the village."
    )
    warning = document_warning([{"flags": ["violence", "graphic"], "text": text}])
    assert warning["text"] == (
        "Contains graphic descriptions of violence: sexual violence, torture, mutilation, "
        "people burned alive"
    )
    assert warning["categories"] == [
        "sexual-violence",
        "torture",
        "mutilation",
        "burning",
        "shooting",
        "bombing",
    ]


def test_a_threat_after_a_description_keeps_both():
    text = "He was shot in 2019. Now I will kill you too."
    warning = document_warning([{"flags": ["violence"], "text": text}])
    assert warning["text"] == "Contains descriptions of violence: shooting, threats of violence"


def test_the_example_articles_warning_names_people_buried_alive():
    """`labeler score` on the example article: the line names what is depicted."""
    out = subprocess.run(
        [sys.executable, "-m", "labeler", "score", str(EXAMPLE), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    warning = json.loads(out.stdout)["warning"]
    assert warning["level"] == "graphic"
    assert warning["text"].startswith("Contains graphic descriptions of violence: ")
    named = warning["text"].split(": ", 1)[1].split(", ")
    assert {"people buried alive", "executions"} <= set(named)  # whichever passage is graphic
    assert {"killing", "execution"} <= set(warning["categories"])
