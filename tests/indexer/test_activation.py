"""Model artefacts: activating an encoder re-indexes beside the live index and swaps it in
without failed searches; the pointer reaches Settings; SHETU_MODEL overrides it."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
import pytest
from support import DATA_DIR, make_settings, seed_registry

from indexer.activation import activate_in_thread
from indexer.documents import WORKERS
from indexer.ranking import rank_workers_for_job
from matcher.encoder import get_encoder, packaged_model_path
from matcher.inputs import worker_text
from matcher.models import active_name, list_models, with_active_encoder
from registry.compliance import job_is_matchable
from registry.config import Settings
from registry.db import session_scope
from registry.models import JobOrder, Worker


@pytest.mark.slow
def test_activation_swaps_the_index_without_failed_searches(tmp_path, taxonomy):
    settings = make_settings(tmp_path)  # the live index uses the hashing encoder
    seeded = seed_registry(settings, taxonomy, workers=80, job_orders=16, agencies=4)
    ix = seeded["indexer"]
    with session_scope(settings.database_url) as s:
        # Text-only profiles would make the re-index embed every ESCO label with the new model
        # (occupation inference, minutes on CPU): keep this test about the swap.
        for w in s.query(Worker).filter(Worker.experience == []):
            w.self_description = ""
    art = tmp_path / "models" / "minilm-test-1"
    art.mkdir(parents=True)
    (art / "model").symlink_to(packaged_model_path(), target_is_directory=True)
    (art / "meta.json").write_text(json.dumps({"kind": "encoder", "created": "2025-01-01"}))
    assert [i.name for i in list_models(tmp_path)] == ["minilm-test-1"]

    with session_scope(settings.database_url) as s:
        job = next(j for j in s.query(JobOrder).order_by(JobOrder.id)
                   if job_is_matchable(j, dt.date.today()))
        thread, state = activate_in_thread(settings, "minilm-test-1", backend=ix.backend)
        searches = 0
        while thread.is_alive() or searches < 3:
            result = rank_workers_for_job(ix, job, limit=5)  # must never raise
            assert result.items
            searches += 1
            time.sleep(0.05)  # leave the re-index thread the interpreter most of the time
        thread.join()
    assert "error" not in state, state.get("error")
    assert state["result"]["reindexed"]["workers"] == 80
    assert active_name(tmp_path) == "minilm-test-1"

    # The swapped-in index holds MiniLM vectors.
    doc = ix.backend.get(WORKERS, 1)
    with session_scope(settings.database_url) as s:
        text = worker_text(s.get(Worker, 1), taxonomy)
    want = get_encoder(str(art / "model")).encode([text])[0]
    assert float(np.dot(doc.vector, want)) > 0.99
    # The process settings resolve the pointer unless SHETU_MODEL / an explicit model says
    # otherwise; Settings alone read no file.
    plain = Settings(env="test", var_dir=tmp_path, data_dir=DATA_DIR)
    assert plain.model == "packaged:all-MiniLM-L6-v2"
    assert with_active_encoder(plain).model == str(tmp_path / "models" / "minilm-test-1" / "model")
    assert with_active_encoder(make_settings(tmp_path)).model == "hashing"
    ix.backend.close()


def test_unknown_names_and_empty_registry(tmp_path):
    from matcher.models import UnknownModelError, resolve

    assert list_models(tmp_path) == [] and active_name(tmp_path) is None
    with pytest.raises(UnknownModelError):
        resolve(tmp_path, "nope")
