"""training.eval_tasks job2skill splits: the vacancy evidence never sees an evaluated title."""

from __future__ import annotations

import pytest

from training.eval_context import EvalContext
from training.eval_tasks import JOB2SKILL_SAMPLE, job2skill_evaluated, job2skill_splits


@pytest.mark.parametrize("n", [5640, 2600, 2100])
def test_test_dev_and_train_never_share_a_title_and_cover_all(n: int) -> None:
    test, dev, train = job2skill_splits(n, 13)
    assert not set(test) & set(dev) and not set(test) & set(train) and not set(dev) & set(train)
    assert sorted(test + dev + train) == list(range(n))
    assert len(test) == min(n, JOB2SKILL_SAMPLE)
    assert job2skill_splits(n, 13) == (test, dev, train)  # seeded


def test_the_full_run_evaluates_the_sample_the_task_always_drew() -> None:
    test, _, _ = job2skill_splits(5640, 13)
    ctx = EvalContext(data_dir=None, esco_dir=None, cache_dir=None)  # type: ignore[arg-type]
    assert ctx.sample(list(range(5640)), JOB2SKILL_SAMPLE) == test
    assert job2skill_evaluated(test, None, 13) == test


@pytest.mark.parametrize("limit", [1, 200, 1000, 1300, 1999, 2000, 2500])
def test_a_limited_run_evaluates_only_test_titles(limit: int) -> None:
    test, _, train = job2skill_splits(5640, 13)
    got = job2skill_evaluated(test, limit, 13)
    assert set(got) <= set(test) and not set(got) & set(train)
    assert len(got) == min(limit, len(test)) and got == sorted(got)
