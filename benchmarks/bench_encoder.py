"""Speed of the sentence encoder: fp32, our int8 graph, and onnxruntime's quantize_dynamic.

Real passages (the seed set's), tokenized once; each variant encodes them with 1 and 2
threads (best of --repeat, interleaved). Cosine to the fp32 embedding says what
quantisation costs; ``labeler.encoder`` says which one ships and why.

    python benchmarks/bench_encoder.py
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from labeler import encoder as E

ROOT = Path(__file__).resolve().parent.parent


def passages(n: int) -> list[str]:
    with (ROOT / "training" / "data" / "seed" / "labels.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f][:n]


def quantize_dynamic_session(threads: int):
    """onnxruntime's own dynamic quantisation of the fp32 graph (weights embedded)."""
    from onnx import numpy_helper
    from onnxruntime import InferenceSession, SessionOptions
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights = E.read_safetensors(E.checked_file(E.encoder_dir(), E.WEIGHTS))
    graph, big = E.bert_graph(weights, quantized=False)
    for tensor in graph.graph.initializer:
        if tensor.name in big:
            tensor.CopyFrom(numpy_helper.from_array(big[tensor.name], tensor.name))
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(graph.SerializeToString())
        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        options = SessionOptions()
        options.intra_op_num_threads = threads
        return InferenceSession(str(target), options, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = passages(args.passages)
    variants = {}
    for threads in (1, 2):
        variants[f"fp32, {threads} thread(s)"] = E.Encoder(quantized=False, threads=threads)
        variants[f"int8 per token (ours), {threads} thread(s)"] = E.Encoder(threads=threads)
        ort = E.Encoder(quantized=False, threads=threads)
        ort._session = quantize_dynamic_session(threads)
        variants[f"int8 quantize_dynamic, {threads} thread(s)"] = ort
    tokens = np.mean([len(t) for t in variants["fp32, 1 thread(s)"].tokens(texts)])
    print(f"{len(texts)} real passages, {tokens:.1f} wordpieces on average")
    best = dict.fromkeys(variants, 0.0)
    out = {}
    for _ in range(args.repeat):
        for name, encoder in variants.items():
            start = time.perf_counter()
            out[name] = encoder.encode(texts)
            best[name] = max(best[name], len(texts) / (time.perf_counter() - start))
    reference = out["fp32, 1 thread(s)"]
    print(f"{'variant':42} {'passages/s':>10} {'cosine to fp32 mean / min':>26}")
    for name, rate in best.items():
        cosine = (out[name] * reference).sum(1)
        print(f"{name:42} {rate:10.0f} {cosine.mean():12.4f} / {cosine.min():.4f}")


if __name__ == "__main__":
    main()
