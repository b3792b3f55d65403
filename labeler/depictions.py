"""What a passage depicts, named in the words of content-warning practice.

:func:`depicted` reads a text — a passage, or an evidence phrase such as "buried alive" or
"set alight" — and returns the categories of the vocabulary (:mod:`labeler.depicted_acts`)
it depicts. Deterministic and explainable: every category comes from a phrase of the text
itself, and nothing is generated.

Two rules beyond the phrase lists:

- **Threats**: from the point a sentence threatens or calls for violence ("I will find you
  and cut your throat", "they should all be shot"), the acts it names are threatened, not
  depicted: the sentence depicts a threat.
- **Victims**: an act in a sentence that names a child ("a 12-year-old girl", "four
  children") is also violence against children; one that names an animal, animal
  cruelty. A child named as family or witness ("a father of three children", "in front of
  their children") is not a victim.

Each phrase is tried only where its stem (the literal word it starts with) starts a word
of the text; one regular expression, a trie of the stems, finds them all in one pass.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from labeler.depicted_acts import (
    ANIMAL,
    ANIMAL_STEMS,
    ANIMALS,
    BY_KEY,
    CATEGORIES,
    CHILD,
    CHILD_STEMS,
    CHILDREN,
    NOT_VICTIM,
    NUMBER_WORDS,
    THREAT_PHRASES,
    THREATS,
    WAR,
)

_NOT_ACTS = {THREATS, WAR, CHILDREN, ANIMALS}  # war words say nothing about who was harmed
_NEGATED = re.compile(r"\b(?:not|never|no)\b|n't\b")
_SENTENCE = re.compile(r"[.!?;]+")


class Depiction(NamedTuple):
    """A category a text depicts, and the words it names it with (a phrase's narrower
    wording, such as "people buried alive", when one was found; else the category's)."""

    key: str
    wording: str


class _Phrase(NamedTuple):
    order: int  # its place in the vocabulary: phrases are tried in this order
    stem: str  # the literal start every match has: tried only where it occurs
    pattern: re.Pattern[str]
    key: str
    wording: str | None  # a narrower wording than the category's, if any


def depicted(text: str) -> list[Depiction]:
    """The categories ``text`` depicts, in vocabulary order, each once.

    >>> [d.wording for d in depicted("ISIS buried 45 of its members alive.")]
    ['people buried alive']
    >>> [d.key for d in depicted("I will find you and cut your throat.")]
    ['threats']
    >>> [d.key for d in depicted("Gunmen shot dead four children.")]
    ['violence-against-children', 'shooting', 'killing']
    >>> depicted("They were shooting a film about the war of words.")
    []
    """
    text = " ".join(text.split()).replace("\u2019", "'").lower()  # one space, one apostrophe
    stems = set(_STEMS.findall(text))
    threats, acts = [], []
    for match, phrase in _matches(text, stems):
        if phrase.key != THREATS:
            acts.append((match, phrase))
        elif not _NEGATED.search(match[0]):
            threats.append(match.start())
    if not threats and not acts:
        return []
    child, animal = not stems.isdisjoint(CHILD_STEMS), not stems.isdisjoint(ANIMAL_STEMS)
    # sentence i ends at ends[i]; needed only by the threats and victims rules
    ends = [m.end() for m in _SENTENCE.finditer(text)] if threats or child or animal else []
    threatened: dict[int, int] = {}  # sentence -> where its first threat starts
    for start in threats:
        threatened.setdefault(bisect_right(ends, start), start)
    found: dict[str, str] = {THREATS: BY_KEY[THREATS].wording} if threatened else {}
    acting: set[int] = set()  # sentences that depict an act
    for match, phrase in acts:
        sentence = bisect_right(ends, match.start())
        if match.start() >= threatened.get(sentence, len(text)):
            continue  # threatened, not depicted
        if phrase.wording and found.get(phrase.key) in (None, BY_KEY[phrase.key].wording):
            found[phrase.key] = phrase.wording
        found.setdefault(phrase.key, BY_KEY[phrase.key].wording)
        if phrase.key not in _NOT_ACTS:
            acting.add(sentence)
    for sentence in acting:
        end = ends[sentence] if sentence < len(ends) else len(text)
        words = text[ends[sentence - 1] if sentence else 0 : threatened.get(sentence, end)]
        if child and CHILDREN not in found and _names_a_child(words):
            found[CHILDREN] = BY_KEY[CHILDREN].wording
        if animal and ANIMALS not in found and ANIMAL.search(words):
            found[ANIMALS] = BY_KEY[ANIMALS].wording
    return [Depiction(c.key, found[c.key]) for c in CATEGORIES if c.key in found]


def _matches(text: str, stems: set[str]) -> list[tuple[re.Match[str], _Phrase]]:
    """Every match in ``text`` of the phrases whose stems start its words (``stems``: the
    longest stem at each word start, which holds the shorter ones), in vocabulary order."""
    out = []
    for order in sorted({n for stem in stems for n in _BY_STEM.get(stem, ())}):
        phrase = _PHRASES[order]
        for m in phrase.pattern.finditer(text):
            if m.start() == 0 or not _WORD_CHAR.match(text, m.start() - 1):
                out.append((m, phrase))
    return out


def _stem_trie(stems: set[str]) -> str:
    """One regular expression matching any of ``stems``, as a trie: the regex engine
    tries one character at a time, not every stem, at each word start."""
    trie: dict = {}
    for stem in stems:
        node = trie
        for char in stem:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(char) + emit(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _by_stem(phrases: list[_Phrase], stems: set[str]) -> dict[str, tuple[int, ...]]:
    """For each stem, the phrases (by order) to try where it starts a word: those whose
    stems it begins with ("warfare" starts with "war": both phrases are tried)."""
    return {s: tuple(p.order for p in phrases if s.startswith(p.stem)) for s in stems}


def _names_a_child(sentence: str) -> bool:
    """A child is named as a person in the sentence, not as someone's family or a
    witness, and not by an age of 18 or more."""
    for m in CHILD.finditer(sentence):
        if NOT_VICTIM.search(sentence[: m.start()]):
            continue
        age = m.group(1)
        if age is not None and "month" not in m.group():
            years = int(age) if age.isdigit() else NUMBER_WORDS.index(age) + 1
            if years >= 18:
                continue
        return True
    return False


_WORD_CHAR = re.compile(r"\w")


def _expand(regex: str) -> list[str]:
    """``regex`` as alternatives that each start with a literal: a leading group
    "(?:a|b)c" becomes "ac" and "bc" ("(?:a)?b": "ab" and "b")."""
    if not regex.startswith("(?:"):
        return [regex]
    depth, i = 0, 0
    branches, start = [], 3
    for i, char in enumerate(regex):
        if regex[i - 1 : i] == "\\":
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        elif char == "|" and depth == 1:
            branches.append(regex[start:i])
            start = i + 1
    branches.append(regex[start:i])
    rest = regex[i + 1 :]
    if rest.startswith("?"):
        return [x for b in branches for x in _expand(b + rest[1:])] + _expand(rest[1:])
    return [x for b in branches for x in _expand(b + rest)]


def _stem(regex: str) -> str:
    """The literal text every match of ``regex`` starts with."""
    out, i = [], 0
    while i < len(regex):
        char = regex[i]
        if char == "\\" and regex[i + 1 : i + 2] == " ":
            out.append(" ")
            i += 2
            continue
        if not (char.isalnum() or char in "-'"):
            break
        out.append(char)
        i += 1
    if regex[i : i + 1] in ("?", "*", "{"):
        out.pop()  # the last character is optional
    stem = "".join(out)
    if len(stem) < 2:
        raise ValueError(f"phrase {regex!r} must start with a literal of two characters or more")
    return stem


def _compile(phrases: list[tuple[str, str, str | None]]) -> list[_Phrase]:
    """(regex, key, wording) triples as phrases, in order, each alternative its own."""
    alternatives = [(x, key, wording) for regex, key, wording in phrases for x in _expand(regex)]
    return [
        _Phrase(order, _stem(x), re.compile(x + r"\b"), key, wording)
        for order, (x, key, wording) in enumerate(alternatives)
    ]


_PHRASES = _compile(
    [(regex, THREATS, None) for regex in THREAT_PHRASES]
    + [
        (regex, c.key, wording)
        for c in CATEGORIES
        for regex, wording in [*((p, None) for p in c.phrases), *c.named]
    ]
)
_ALL_STEMS = {p.stem for p in _PHRASES} | CHILD_STEMS | ANIMAL_STEMS
_STEMS = re.compile(r"\b(" + _stem_trie(_ALL_STEMS) + ")")
_BY_STEM = _by_stem(_PHRASES, _ALL_STEMS)
