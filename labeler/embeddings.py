"""WordLlama static token embeddings, read offline from the installed package, and
folded into one score per token so that scoring never builds an embedding vector.

WordLlama (MIT) ships a 32,000-token Llama-2 tokenizer and 256-dimensional token
embeddings (``wordllama/weights/l2_supercat_256.safetensors``, float16) inside its
wheel. Nothing is ever downloaded: the files are read from the installed package (the
safetensors header is parsed here; the tokenizer is read by the ``tokenizers``
library), and their sha256 are recorded in the model card; the tokenizer's is checked
before it is used.

**The passage embedding.** A passage's words are the word tokens the TF-IDF vectorizer
sees (``\\b\\w\\w+\\b`` on the lower-cased text, stop words included), so one
tokenization serves both feature sets. Each word is encoded by the Llama tokenizer on
its own; the passage's embedding ``e`` is the mean of the vectors of all its words'
tokens (not normalised, so that it stays linear):

    e = (sum over words w of sum over tokens t of w of E[t]) / (number of tokens)

**Folding.** A linear model on ``e`` with weights ``u`` (per label) computes
``u . e = (sum over words of s(w)) / n`` with ``s(w) = sum over t of w of (u . E[t])``.
So after training, ``u`` is folded into one scalar per WordLlama token,
``token_scores = E @ u`` (32,000 x labels), shipped as plain arrays in the model file.
At run time the embedding part of a passage's log-odds is a table lookup per word
(``WordTable``: a precomputed table of the training data's words with their score sums
and token counts, and a bounded table of words met since, encoded by the tokenizer in
one batch), two sums and a division. Each word's contribution is exactly ``s(w) / n``,
which is what the evidence shows.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
VOCAB = 32_000


class EmbeddingsMissing(Exception):
    """The wordllama package (or its files) is not installed, or is not the recorded one."""


def package_dir() -> Path:
    """Where the installed wordllama package lives, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingsMissing(
            "the model uses wordllama's tokenizer and static embeddings: pip install wordllama"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(relative: str, expected_sha256: str | None) -> Path:
    path = package_dir() / relative
    if not path.is_file():
        raise EmbeddingsMissing(f"{path}: missing from the installed wordllama package")
    if expected_sha256 is not None:
        actual = file_sha256(path)
        if actual != expected_sha256:
            raise EmbeddingsMissing(
                f"{path}: sha256 {actual} is not the {expected_sha256} the model was trained "
                "with; install the wordllama version named in the model card"
            )
    return path


def read_safetensors(path: Path, name: str = TENSOR) -> np.ndarray:
    """One tensor of a safetensors file as a numpy array (a JSON header, then raw
    little-endian data: nothing is executed)."""
    dtypes = {"F16": np.float16, "F32": np.float32}
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        info = header[name]
        if info["dtype"] not in dtypes:
            raise EmbeddingsMissing(f"{path}: unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        f.seek(8 + size + start)
        data = np.frombuffer(
            f.read(end - start), dtype=np.dtype(dtypes[info["dtype"]]).newbyteorder("<")
        )
    return data.reshape(info["shape"])


def token_vectors(expected_sha256: str | None = None) -> np.ndarray:
    """The (32000, 256) token embedding table, float32 (training only)."""
    return read_safetensors(_checked(WEIGHTS, expected_sha256)).astype(np.float32)


def weights_sha256() -> str:
    return file_sha256(_checked(WEIGHTS, None))


def tokenizer_sha256() -> str:
    return file_sha256(_checked(TOKENIZER, None))


def load_tokenizer(expected_sha256: str | None = None, lazy: bool = False) -> Any:
    """WordLlama's Llama-2 tokenizer, from the installed package, hash-checked (now, even
    when ``lazy``: then the file is parsed on first use)."""
    path = _checked(TOKENIZER, expected_sha256)
    return _LazyTokenizer(path) if lazy else _parse(path)


def _parse(path: Path) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


class _LazyTokenizer:
    """A tokenizer file whose hash was checked, parsed when first asked to encode."""

    def __init__(self, path: Path) -> None:
        self._path, self._tokenizer = path, None
        self._digest = file_sha256(path)

    def encode_batch(self, words: list[str], **options: Any) -> Any:
        if self._tokenizer is None:
            if file_sha256(self._path) != self._digest:  # replaced since the check
                raise EmbeddingsMissing(f"{self._path}: changed since the model was loaded")
            self._tokenizer = _parse(self._path)
        return self._tokenizer.encode_batch(words, **options)


def encode_words(tokenizer: Any, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of each word encoded on its own: ``(flat ids, tokens per word)``."""
    if not words:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    encoded = tokenizer.encode_batch(words, add_special_tokens=False)
    ids = [e.ids for e in encoded]
    lengths = np.fromiter(map(len, ids), np.int64, len(ids))
    flat = np.fromiter((i for row in ids for i in row), np.int64, int(lengths.sum()))
    return flat, lengths


def word_sums(values: np.ndarray, flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per word, the sum of ``values`` (tokens x k) over its tokens: (words x k)."""
    out = np.zeros((len(lengths), values.shape[1]), dtype=np.float64)
    nonempty = lengths > 0
    if nonempty.any():
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
        out[nonempty] = np.add.reduceat(values[flat].astype(np.float64), starts, axis=0)
    return out


def mean_embeddings(
    word_ids: np.ndarray,
    doc: np.ndarray,
    n_docs: int,
    sums: np.ndarray,
    counts: np.ndarray,
    negated: np.ndarray | None = None,
) -> np.ndarray:
    """(n_docs, dim) mean token vectors from per-word vector ``sums`` and token ``counts``,
    for a batch's word ids and the document each belongs to (training: the full vectors
    whose folded form the model scores with). With ``negated`` (per word: in a negated
    clause), (n_docs, 2 * dim): the sum over plain words' tokens, then over negated
    words' tokens, both divided by the passage's token count."""
    from scipy import sparse

    def matrix(pick: np.ndarray) -> Any:
        return sparse.csr_matrix(
            (np.ones(int(pick.sum())), (doc[pick], word_ids[pick])), shape=(n_docs, len(counts))
        )

    every = np.ones(len(word_ids), dtype=bool)
    n = np.asarray(matrix(every) @ counts, dtype=np.float64).ravel()
    n[n == 0] = 1.0
    if negated is None:
        blocks = [np.asarray(matrix(every) @ sums)]
    else:
        blocks = [np.asarray(matrix(~negated) @ sums), np.asarray(matrix(negated) @ sums)]
    out: np.ndarray = np.hstack(blocks).astype(np.float64) / n[:, None]
    return out


DYNAMIC_WORDS = 131_072  # words met at run time that the base table lacks, kept at once


class WordScores:
    """The folded embedding scores of every word in a vocabulary, by word id.

    ``vocabulary`` (word -> id, shared with the TF-IDF tokenizer) holds ``base_size``
    words whose tokens are known (``base_tokens``, ``base_lengths``: the model file's
    word table). Words met at run time that it lacks get ids from ``base_size`` on: they
    are encoded in one tokenizer batch and added to the vocabulary, up to
    ``capacity`` at once; when a batch's new words do not fit, every run-time word is
    forgotten and the batch's take their places (so memory stays bounded).

    ``scores[id]`` is the word's score sum per column (labels, then severity; then the
    same columns again for the word in a negated clause, when ``negation``) and
    ``counts[id]`` its token count; ``quiet[id]`` whether it may never be evidence.
    """

    def __init__(
        self,
        vocabulary: dict[str, int],
        base_size: int,
        token_scores: np.ndarray,
        base_tokens: np.ndarray,
        base_lengths: np.ndarray,
        tokenizer: Any,
        is_quiet: Any,
        base_quiet: np.ndarray,
        capacity: int = DYNAMIC_WORDS,
        negation: bool = False,
    ) -> None:
        self.vocabulary, self.base_size = vocabulary, base_size
        self.negation = negation
        self.token_scores = np.asarray(token_scores, dtype=np.float64)
        self._tokenizer, self._is_quiet = tokenizer, is_quiet
        self.capacity = capacity
        k = self.token_scores.shape[1]
        self.columns = k // 2 if negation else k  # per block
        self.scores = np.zeros((base_size + capacity, k), dtype=np.float64)
        self.counts = np.zeros(base_size + capacity, dtype=np.float64)
        self.quiet = np.zeros(base_size + capacity, dtype=bool)
        self.scores[:base_size] = word_sums(self.token_scores, base_tokens, base_lengths)
        self.counts[:base_size] = base_lengths
        self.quiet[:base_size] = base_quiet
        self.words: list[str] = [""] * base_size
        for word, i in vocabulary.items():
            if 0 <= i < base_size:
                self.words[i] = word
        self._next = base_size

    def resolve(self, tokens: Any) -> None:
        """Give every unknown word of a batch (id -1 in ``tokens.ids``) its id, in place."""
        ids = tokens.ids
        unknown = ids < 0
        if not unknown.any():
            return
        at = tokens.at[unknown].tolist()
        new = list(dict.fromkeys(tokens.words[i] for i in at))
        if self._next + len(new) > self.base_size + self.capacity:
            self._forget()
            unknown = ids < 0
            stale = ids >= self.base_size  # this batch's run-time words: looked up afresh
            ids[stale] = -1
            unknown |= stale
            at = tokens.at[unknown].tolist()
            new = list(dict.fromkeys(tokens.words[i] for i in at))
            if len(new) > self.capacity:
                self._grow(len(new))
        self._add(new)
        vocabulary = self.vocabulary
        ids[unknown] = np.fromiter((vocabulary[tokens.words[i]] for i in at), np.int64, len(at))

    def _add(self, new: list[str]) -> None:
        flat, lengths = encode_words(self._tokenizer, new)
        start = self._next
        end = start + len(new)
        self.scores[start:end] = word_sums(self.token_scores, flat, lengths)
        self.counts[start:end] = lengths
        self.quiet[start:end] = [self._is_quiet(w) for w in new]
        self.words.extend(new)
        self.vocabulary.update(zip(new, range(start, end), strict=True))
        self._next = end

    def _forget(self) -> None:
        for word in self.words[self.base_size :]:
            del self.vocabulary[word]
        del self.words[self.base_size :]
        self._next = self.base_size

    def _grow(self, size: int) -> None:
        extra = size - self.capacity
        k = self.scores.shape[1]
        self.scores = np.vstack([self.scores, np.zeros((extra, k))])
        self.counts = np.concatenate([self.counts, np.zeros(extra)])
        self.quiet = np.concatenate([self.quiet, np.zeros(extra, dtype=bool)])
        self.capacity = size

    def shares(self, tokens: Any, column: int) -> np.ndarray:
        """Per token of a batch: its score in ``column`` (the negated block's in a negated
        clause)."""
        ids = tokens.ids
        if self.negation and tokens.negated is not None:
            return np.where(
                tokens.negated,
                self.scores[ids, self.columns + column],
                self.scores[ids, column],
            )
        out: np.ndarray = self.scores[ids, column]
        return out

    def passage_sums(self, tokens: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per passage: the score sums per column (n x columns), and its token count."""
        doc, n = tokens.doc, tokens.n
        counts = np.bincount(doc, weights=self.counts[tokens.ids], minlength=n)
        sums = np.column_stack(
            [
                np.bincount(doc, weights=self.shares(tokens, j), minlength=n)
                for j in range(self.columns)
            ]
        )
        return sums, counts
