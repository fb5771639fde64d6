"""Activating a model artefact: an encoder re-indexes beside the live index, then its pointer
is written; a re-ranker's pointer is written at once.

It lives in ``indexer/`` because activating an encoder drives the index (``training/`` makes
artefacts and never touches an index).

The artefacts and pointers themselves (``var/models/``, ``ACTIVE``, ``ACTIVE_RERANKER``) are
:mod:`matcher.models`'. Activating an encoder first builds a new index version with it beside
the live one (``Indexer.reindex``: searches keep using the old version meanwhile), swaps it in
when complete, and only then writes the pointer. Processes that already loaded an encoder
(``shetu serve``, Celery workers) keep it until restarted: restart them after activation so
that new writes are encoded with the new model. The active re-ranker takes effect at once and
needs no re-index.

``shetu models activate packaged`` goes back to the packaged MiniLM (re-index, pointer removed);
``shetu models activate hand-set`` goes back to the hand-set weights.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer.service import Indexer
from matcher.models import (
    FIRST_STAGE_NAME,
    HAND_SET_NAME,
    PACKAGED_NAME,
    UnknownModelError,
    models_dir,
    resolve,
    write_pointer,
)


def activate(settings: Any, name: str, progress: Callable[[int], None] | None = None,
             backend: Any = None) -> dict[str, Any]:
    """Activate ``name`` now: for an encoder, re-index with it, swap, then write the pointer.

    :returns: what was done (kind, name, documents re-indexed).
    """
    var_dir = Path(settings.var_dir)
    if name == HAND_SET_NAME:
        write_pointer(var_dir, "reranker", None)
        return {"kind": "reranker", "name": name}
    if name == FIRST_STAGE_NAME:
        write_pointer(var_dir, "cross-encoder", None)
        return {"kind": "cross-encoder", "name": name}
    if name == PACKAGED_NAME:
        from matcher.encoder import PACKAGED

        counts = _reindex(settings, PACKAGED, progress, backend)
        write_pointer(var_dir, "encoder", None)
        return {"kind": "encoder", "name": name, "reindexed": counts}
    info = resolve(var_dir, name)
    if info.kind == "reranker":
        write_pointer(var_dir, "reranker", info.name)
        return {"kind": "reranker", "name": info.name}
    if info.kind == "cross-encoder":
        write_pointer(var_dir, "cross-encoder", info.name)
        return {"kind": "cross-encoder", "name": info.name}
    if info.kind != "encoder":
        raise UnknownModelError(f"{info.name} is a {info.kind} artefact: it is used as soon as "
                                "it is written, there is nothing to activate")
    counts = _reindex(settings, info.encoder_ref, progress, backend)
    write_pointer(var_dir, "encoder", info.name)
    return {"kind": "encoder", "name": info.name, "reindexed": counts}


def _reindex(settings: Any, model_ref: str, progress: Callable[[int], None] | None,
             backend: Any) -> dict[str, int]:
    ix = Indexer(settings.model_copy(update={"model": model_ref}), backend=backend)
    try:
        return ix.reindex(progress=progress)
    finally:
        if backend is None:
            ix.backend.close()


def activate_in_thread(settings: Any, name: str, backend: Any = None
                       ) -> tuple[threading.Thread, dict[str, Any]]:
    """Run :func:`activate` in a background thread; the dict gets ``result`` or ``error``."""
    state: dict[str, Any] = {}

    def run() -> None:
        try:
            state["result"] = activate(settings, name, backend=backend)
        except Exception as exc:  # noqa: BLE001 — reported to the caller through ``state``
            state["error"] = exc

    t = threading.Thread(target=run, name=f"activate-{name}", daemon=True)
    t.start()
    return t, state


def activate_in_background(settings: Any, name: str) -> tuple[int, Path]:
    """Start a detached process that activates ``name``; return its pid and log file."""
    log = models_dir(settings.var_dir) / f"activate-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SHETU_VAR_DIR=str(settings.var_dir),
               SHETU_DATABASE_URL=settings.database_url, SHETU_DATA_DIR=str(settings.data_dir),
               SHETU_SEARCH_BACKEND=settings.search_backend, SHETU_ENV=settings.env)
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "indexer.activation", "activate", name],
                                stdout=fh, stderr=subprocess.STDOUT, env=env,
                                cwd=Path(__file__).resolve().parent.parent,
                                start_new_session=True)
    return proc.pid, log


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Activate a model artefact (used by the CLI).")
    ap.add_argument("command", choices=["activate"])
    ap.add_argument("name")
    a = ap.parse_args(argv)
    from registry.config import get_settings

    result = activate(get_settings(), a.name)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
