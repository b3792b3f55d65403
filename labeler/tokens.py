"""What a word is: the one token pattern the vectorizer, the evidence spans and the junk
rule share (sklearn's default: runs of two or more word characters).

>>> TOKEN.findall("He's 2 men, shot.")
['He', 'men', 'shot']
"""

from __future__ import annotations

import re

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
TOKEN = re.compile(TOKEN_PATTERN)
