"""Model artefacts under ``var/models/`` and the pointers to the active ones: the one module
that reads and writes them.

    var/models/<name>-<timestamp>/meta.json     kind (encoder | reranker), created, summary
    var/models/<name>/model/                    an encoder (sentence-transformers directory)
    var/models/<name>/weights.json              a re-ranker's score-part weights
    var/models/ACTIVE                           name of the active encoder artefact
    var/models/ACTIVE_RERANKER                  name of the active re-ranker artefact
    var/models/<name>/rerank.json, onnx/         a cross-encoder (occupation second stage)
    var/models/ACTIVE_CROSS_ENCODER             name of the active cross-encoder artefact

How they take effect: ``registry.config.get_settings`` sets ``Settings.model`` to the active
encoder (:func:`with_active_encoder`) unless ``SHETU_MODEL`` is set, which always wins; the
ranking reads the active re-ranker's weights (:func:`active_weights`) on every search, so a
newly activated re-ranker takes effect without a restart; the occupation ranker reads the
cross-encoder pointer (:func:`active_cross_encoder`) on every use (``matcher.rankers``): no
pointer, no second stage (the default). Activating an encoder re-indexes
first (``indexer.activation.activate``), then writes the pointer here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from matcher.scoring import DEFAULT_WEIGHTS

Kind = Literal["encoder", "reranker", "cross-encoder"]
ACTIVE = "ACTIVE"
ACTIVE_RERANKER = "ACTIVE_RERANKER"
ACTIVE_CROSS_ENCODER = "ACTIVE_CROSS_ENCODER"
POINTERS: dict[Kind, str] = {"encoder": ACTIVE, "reranker": ACTIVE_RERANKER,
                             "cross-encoder": ACTIVE_CROSS_ENCODER}
PACKAGED_NAME = "packaged"  # `shetu models activate packaged`: back to the packaged MiniLM
HAND_SET_NAME = "hand-set"  # `shetu models activate hand-set`: back to the hand-set weights
FIRST_STAGE_NAME = "first-stage"  # `shetu models activate first-stage`: no cross-encoder


class UnknownModelError(KeyError):
    """Raised when no artefact has the given name."""


@dataclass(frozen=True)
class ModelInfo:
    """One artefact directory."""

    name: str
    kind: str
    path: Path
    created: str
    summary: dict[str, Any]
    active: bool

    @property
    def encoder_ref(self) -> str:
        """The ``Settings.model`` value that loads this encoder."""
        return str(self.path / "model")


def models_dir(var_dir: Path | str) -> Path:
    """Return ``var_dir/models``."""
    return Path(var_dir) / "models"


def active_name(var_dir: Path | str, kind: Kind = "encoder") -> str | None:
    """Return the name the ``kind`` pointer names, or None."""
    try:
        return (models_dir(var_dir) / POINTERS[kind]).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def write_pointer(var_dir: Path | str, kind: Kind, name: str | None) -> None:
    """Point ``kind`` at ``name`` atomically (``None`` removes the pointer)."""
    p = models_dir(var_dir) / POINTERS[kind]
    if name is None:
        p.unlink(missing_ok=True)
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(name + "\n", encoding="utf-8")
    tmp.replace(p)


def list_models(var_dir: Path | str) -> list[ModelInfo]:
    """Return every complete artefact (one with a ``meta.json``), newest first."""
    active = {k: active_name(var_dir, k) for k in POINTERS}
    out = []
    for meta in models_dir(var_dir).glob("*/meta.json"):
        if meta.parent.name.startswith("."):  # a save in progress or left by a crash
            continue
        try:
            m = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        kind = m.get("kind", "encoder")
        name = meta.parent.name
        out.append(ModelInfo(name, kind, meta.parent, m.get("created", ""),
                             m.get("summary", {}), active.get(kind) == name))
    return sorted(out, key=lambda i: (i.created, i.name), reverse=True)


def resolve(var_dir: Path | str, name: str) -> ModelInfo:
    """Return the artefact called ``name``; raise :class:`UnknownModelError`."""
    for info in list_models(var_dir):
        if info.name == name:
            return info
    raise UnknownModelError(f"no model artefact {name!r} under {models_dir(var_dir)} "
                            "(see `shetu models list`)")


def active_encoder(var_dir: Path | str) -> str | None:
    """Return the model reference of the active encoder artefact, or None (packaged MiniLM)."""
    name = active_name(var_dir, "encoder")
    if name and (models_dir(var_dir) / name / "model").is_dir():
        return str(models_dir(var_dir) / name / "model")
    return None


def active_weights(var_dir: Path | str) -> dict[str, float] | None:
    """Return the active re-ranker's score-part weights, or None for the hand-set ones.

    A pointer to a missing or malformed ``weights.json`` counts as no re-ranker.
    """
    name = active_name(var_dir, "reranker")
    if not name:
        return None
    try:
        data = json.loads((models_dir(var_dir) / name / "weights.json").read_text(
            encoding="utf-8"))
        return {k: float(data["weights"][k]) for k in DEFAULT_WEIGHTS}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def active_cross_encoder(var_dir: Path | str) -> Path | None:
    """Return the active cross-encoder artefact directory, or None (no second stage).

    A pointer to an artefact without ``rerank.json`` (not tuned) counts as none.
    """
    name = active_name(var_dir, "cross-encoder")
    if not name:
        return None
    d = models_dir(var_dir) / name
    return d if (d / "rerank.json").is_file() else None


class _ModelSettings(Protocol):
    """What :func:`with_active_encoder` reads of ``registry.config.Settings``."""

    @property
    def var_dir(self) -> Path: ...

    @property
    def model_fields_set(self) -> set[str]: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False
                   ) -> Any: ...


S = TypeVar("S", bound=_ModelSettings)


def with_active_encoder(settings: S) -> S:
    """Return ``settings`` with ``model`` set to the active encoder, unless it was given.

    An explicit ``model`` (``SHETU_MODEL``, or a keyword) always wins; without an active
    encoder artefact the settings come back unchanged.
    """
    if "model" in settings.model_fields_set:
        return settings
    ref = active_encoder(settings.var_dir)
    if ref is None:
        return settings
    updated: S = settings.model_copy(update={"model": ref})
    return updated
