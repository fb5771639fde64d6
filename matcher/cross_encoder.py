"""Second stage of the occupation ranker: a cross-encoder over the first stage's top k.

The first stage (:class:`matcher.normalise.ConceptRanker`) scores every ESCO occupation with
fused dense and lexical signals. With a :class:`CrossReranker` attached (``ranker.reranker``),
the top ``k`` occupations of each *short* query (a title: at most :data:`MAX_QUERY_TOKENS`
words, the kind of text the model was trained on; longer texts keep the first-stage order) are
read together with the query by a cross-encoder (MiniLM with a one-logit head, trained by
``training.cross_encoder``) and their scores become ``(1 - alpha) · first stage + alpha ·
sigmoid(logit)``; ``k`` and ``alpha`` are chosen on a dev split and stored with the artefact.

The cross-encoder reads the query against :func:`rerank_doc` of each occupation: the concept's
description text (preferred label, then its description) cut to :data:`DOC_WORDS` words —
never its alternative labels, so a leave-one-out evaluation stays leave-one-out.

Serving runs an ONNX export on the CPU (:class:`OnnxCrossEncoder`; onnxruntime, tokenizers);
:class:`TorchCrossEncoder` runs the sentence-transformers checkpoint (training, tests). Which
artefact is active is a pointer in ``var/models`` (:mod:`matcher.models`); without it the
ranker is unchanged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from matcher.bm25 import tokenize

DOC_WORDS = 12
MAX_LENGTH = 48
MAX_QUERY_TOKENS = 8  # matcher.normalise.LONG_QUERY_TOKENS: longer texts are not titles
SETTINGS_FILE = "rerank.json"  # k, alpha, variant: chosen on the dev split by training
ONNX_FILES = {"fp32": "model.onnx", "int8": "model_int8.onnx"}


class PairScorer(Protocol):
    """Anything that returns one relevance logit per (query, document) pair."""

    def score(self, pairs: Sequence[tuple[str, str]], batch_size: int = 64) -> np.ndarray:
        """Return a float32 array of logits, one per pair."""
        ...


def rerank_doc(concept: Any) -> str:
    """The text the cross-encoder reads for a concept: its description text, first words."""
    words = (getattr(concept, "doc", "") or concept.label).split()
    return " ".join(words[:DOC_WORDS])


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))


class OnnxCrossEncoder:
    """A cross-encoder exported to ONNX (``training.cross_encoder export``), on the CPU."""

    def __init__(self, onnx_path: str | Path, threads: int | None = None,
                 max_length: int = MAX_LENGTH) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = Path(onnx_path)
        self.session = ort.InferenceSession(str(onnx_path), opts,
                                            providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = Tokenizer.from_file(str(self.path.parent / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length, strategy="longest_first")
        pad = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=0 if pad is None else pad, pad_token="[PAD]")

    def score(self, pairs: Sequence[tuple[str, str]], batch_size: int = 64) -> np.ndarray:
        """Return the logit of each pair (batches of similar length)."""
        out = np.zeros(len(pairs), dtype=np.float32)
        order = np.argsort([len(q) + len(d) for q, d in pairs], kind="stable")
        for s in range(0, len(pairs), batch_size):
            idx = order[s:s + batch_size]
            enc = self.tokenizer.encode_batch([(pairs[i][0], pairs[i][1]) for i in idx])
            feeds = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                     "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                     "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
            logits = self.session.run(None, {k: feeds[k] for k in self.inputs})[0]
            out[idx] = np.asarray(logits, dtype=np.float32).reshape(len(idx), -1)[:, 0]
        return out


class TorchCrossEncoder:
    """The sentence-transformers checkpoint itself (training, tests, the ONNX check)."""

    def __init__(self, model_dir: str | Path | Any, max_length: int = MAX_LENGTH) -> None:
        if isinstance(model_dir, str | Path):
            from sentence_transformers import CrossEncoder

            model_dir = CrossEncoder(str(model_dir), num_labels=1, max_length=max_length,
                                     device="cpu", local_files_only=True)
        self.model = model_dir
        self.max_length = max_length

    def score(self, pairs: Sequence[tuple[str, str]], batch_size: int = 64) -> np.ndarray:
        """Return the logit of each pair."""
        import torch

        hf, tok = self.model.model, self.model.tokenizer
        was_training = hf.training
        hf.eval()
        out = []
        with torch.inference_mode():
            for s in range(0, len(pairs), batch_size):
                chunk = pairs[s:s + batch_size]
                feats = tok([q for q, _ in chunk], [d for _, d in chunk], padding=True,
                            truncation="longest_first", max_length=self.max_length,
                            return_tensors="pt")
                out.append(hf(**feats).logits[:, 0].float().numpy())
        if was_training:
            hf.train()
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


@dataclass
class CrossReranker:
    """Re-rank each short query's top ``k`` with a cross-encoder (see the module docstring)."""

    scorer: PairScorer
    k: int = 20
    alpha: float = 0.5
    max_query_tokens: int = MAX_QUERY_TOKENS
    name: str = ""

    def applies(self, text: str) -> bool:
        """Whether ``text`` is re-ranked (a non-empty title of at most max_query_tokens)."""
        return 0 < len(tokenize(text)) <= self.max_query_tokens

    def rerank(self, texts: Sequence[str], docs: Sequence[str], scores: np.ndarray
               ) -> np.ndarray:
        """Return a copy of ``scores`` (queries × concepts) with each short query's top k fused
        with the cross-encoder's probability; other rows and columns are unchanged."""
        out = np.array(scores, dtype=np.float32, copy=True)
        k = max(0, min(self.k, out.shape[1]))
        rows = [i for i, t in enumerate(texts) if k and self.applies(t)]
        if not rows:
            return out
        tops = {i: np.argpartition(-out[i], k - 1)[:k] for i in rows}
        pairs = [(texts[i], docs[j]) for i in rows for j in tops[i]]
        probs = sigmoid(self.scorer.score(pairs)).astype(np.float32)
        for n, i in enumerate(rows):
            idx = tops[i]
            p = probs[n * k:(n + 1) * k]
            out[i, idx] = (1.0 - self.alpha) * out[i, idx] + self.alpha * p
        return out


def load_reranker(artefact: str | Path, threads: int | None = None) -> CrossReranker:
    """Load a trained artefact directory: ``rerank.json`` names the ONNX variant, k and alpha."""
    d = Path(artefact)
    cfg = json.loads((d / SETTINGS_FILE).read_text(encoding="utf-8"))
    variant = cfg.get("variant", "int8")
    scorer = OnnxCrossEncoder(d / "onnx" / ONNX_FILES[variant], threads=threads,
                              max_length=int(cfg.get("max_length", MAX_LENGTH)))
    return CrossReranker(scorer, k=int(cfg["k"]), alpha=float(cfg["alpha"]),
                         max_query_tokens=int(cfg.get("max_query_tokens", MAX_QUERY_TOKENS)),
                         name=d.name)
