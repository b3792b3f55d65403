"""Flag passages that describe violence or are graphic, with evidence for each flag.

>>> from labeler import score_text
>>> score_text("The team crushed its rivals 5-0.")["flags"]
[]
"""

from labeler.labels import LABELS, decide
from labeler.model import Model, ModelError, load_model
from labeler.passages import Passage, split_passages
from labeler.scoring import score_documents, score_text

__all__ = [
    "LABELS",
    "Model",
    "ModelError",
    "Passage",
    "decide",
    "load_model",
    "score_documents",
    "score_text",
    "split_passages",
]
