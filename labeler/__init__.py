"""Flag passages that describe violence or are graphic, with evidence for each flag.

>>> from labeler import score_text
>>> score_text("The team crushed its rivals 5-0.")["flags"]
[]

The names below are imported on first use, so that ``import labeler.cli`` (the
``labeler`` program) starts without loading numpy and the model code.
"""

from __future__ import annotations

from labeler.lazy import exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see labeler.cli)
if TYPE_CHECKING:
    from labeler.labels import LABELS, decide  # noqa: F401
    from labeler.model import Model, ModelError, load_model  # noqa: F401
    from labeler.passages import Passage, split_passages  # noqa: F401
    from labeler.scoring import score_documents, score_text  # noqa: F401

_FROM = {
    "LABELS": "labeler.labels",
    "decide": "labeler.labels",
    "Model": "labeler.model",
    "ModelError": "labeler.model",
    "load_model": "labeler.model",
    "Passage": "labeler.passages",
    "split_passages": "labeler.passages",
    "score_documents": "labeler.scoring",
    "score_text": "labeler.scoring",
}

__all__ = sorted(_FROM)


__getattr__ = exports(__name__, _FROM)
