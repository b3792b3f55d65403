"""Write the encoder's ONNX graphs that ship with the package (labeler/models/encoder/).

``python -m training.encoder_graphs``

``labeler.encoder.bert_graph`` builds all-MiniLM-L6-v2's graph with ``onnx.helper`` from
the pinned weights; scoring reads the serialised result instead of building it, because
importing ``onnx`` takes one to three seconds of every run's start. Run this after changing
``bert_graph``; tests/test_encoder.py fails while a shipped graph differs from a built one.
"""

from __future__ import annotations

from labeler.encoder import (
    GRAPHS,
    WEIGHTS,
    bert_graph,
    check_installed,
    graph_file,
    read_safetensors,
)


def main() -> None:
    weights = read_safetensors(check_installed() / WEIGHTS)
    GRAPHS.mkdir(parents=True, exist_ok=True)
    for quantized in (True, False):
        graph, _ = bert_graph(weights, quantized)
        path = graph_file(quantized)
        path.write_bytes(graph.SerializeToString())
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
