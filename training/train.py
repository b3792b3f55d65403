"""Rebuild the shipped model from training/data: ``python -m training.train``."""

import sys

from labeler.cli import main

sys.exit(main(["train", *sys.argv[1:]]))
