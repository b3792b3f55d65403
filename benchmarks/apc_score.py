"""alt-profanity-check as a whole process, for comparison: JSONL in, scores out.

Reads {"id", "text"} lines, scores them in batches with its vectorizer + linear
model, and writes {"id", "profanity"} lines: the same shape of job as
``labeler score`` (which also splits passages, scores two labels, derives
severity and explains flags). Used by bench_score.py.
"""

import sys
from itertools import islice

import orjson
from profanity_check import predict_prob


def main(src: str, dest: str, batch: int = 2000) -> None:
    with open(src, "rb") as lines, open(dest, "wb") as out:
        while chunk := [orjson.loads(line) for line in islice(lines, batch)]:
            probs = predict_prob([r["text"] for r in chunk])
            out.write(
                b"".join(
                    orjson.dumps(
                        {"id": r["id"], "profanity": float(p)}, option=orjson.OPT_APPEND_NEWLINE
                    )
                    for r, p in zip(chunk, probs, strict=True)
                )
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
