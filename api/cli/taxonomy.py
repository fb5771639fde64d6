"""``shetu occupations rank``, ``shetu skills rank`` and ``shetu eval``.

``rank`` reads one query per line on stdin and writes one JSON object per line on stdout, in
input order: ``{"query": str, "results": [{"uri", "code", "label", "score"}, ...]}`` (skills have
no ``code``). Empty or undecodable lines still get a line, with empty results.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO

import typer

from api.cli.context import settings
from matcher.normalise import ConceptRanker, clean_query

occupations_app = typer.Typer(help="Normalise text to ESCO occupations.", no_args_is_help=True)
skills_app = typer.Typer(help="Normalise text to ESCO skills.", no_args_is_help=True)


@occupations_app.callback()
def _occupations() -> None:
    """Normalise text to ESCO occupations."""


@skills_app.callback()
def _skills() -> None:
    """Normalise text to ESCO skills."""


LANGS = ("en", "bn")
BATCH = 64


def _lines(stream: IO[bytes]) -> Iterator[str]:
    for raw in stream:
        yield raw.rstrip(b"\r\n").decode("utf-8", errors="replace")


def _batches(it: Iterator[str], n: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for x in it:
        batch.append(x)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def stream_rank(ranker: ConceptRanker, stdin: IO[bytes], stdout: IO[str], top_k: int,
                lang: str | None) -> int:
    """Rank each stdin line; write one JSON line per input line; return the number of lines."""
    count = 0
    for batch in _batches(_lines(stdin), BATCH):
        results = ranker.rank_many(batch, top_k=top_k, lang=lang)
        for q, res in zip(batch, results, strict=True):
            stdout.write(json.dumps({"query": clean_query(q)[:2000], "results": res},
                                    ensure_ascii=False) + "\n")
        stdout.flush()
        count += len(batch)
    return count


def _check_lang(lang: str | None) -> str | None:
    if lang is not None and lang not in LANGS:
        raise typer.BadParameter(f"--lang must be one of {', '.join(LANGS)}")
    return lang


@occupations_app.command("rank")
def rank_occupations(
    ctx: typer.Context,
    top: int = typer.Option(10, "--top", "-k", min=1, max=200, help="results per query"),
    lang: str | None = typer.Option(None, "--lang", help="en or bn (default: auto-detect)"),
) -> None:
    """Rank ESCO occupations for each line of stdin (JSON lines on stdout)."""
    from matcher.rankers import get_occupation_ranker

    ranker = get_occupation_ranker(settings(ctx))
    stream_rank(ranker, sys.stdin.buffer, sys.stdout, top, _check_lang(lang))


@skills_app.command("rank")
def rank_skills(
    ctx: typer.Context,
    top: int = typer.Option(10, "--top", "-k", min=1, max=200, help="results per query"),
    lang: str | None = typer.Option(None, "--lang", help="en or bn (default: auto-detect)"),
) -> None:
    """Rank ESCO skills for each line of stdin (JSON lines on stdout)."""
    from matcher.rankers import get_skill_ranker

    ranker = get_skill_ranker(settings(ctx))
    stream_rank(ranker, sys.stdin.buffer, sys.stdout, top, _check_lang(lang))


def eval_cmd(
    task: str = typer.Argument(..., help="talentclef-a, skillspan, job2skill, esco-altlabels, "
                                         "bangla, ... or all"),
    model: str | None = typer.Option(None, "--model", help="encoder model path"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
    write_docs: bool = typer.Option(False, "--write-docs", help="rewrite docs/quality.md"),
    limit: int | None = typer.Option(None, "--limit", help="at most this many queries a task"),
) -> None:
    """Evaluate Shetu and two baselines (BM25, MiniLM zero-shot) on a task."""
    from indexer.eval_candidates import EVAL_TASKS
    from training.evaluate import evaluate

    if task != "all" and task not in EVAL_TASKS:
        raise typer.BadParameter(f"unknown task {task!r}; known: {', '.join(EVAL_TASKS)}, all")
    evaluate(task, model=model, as_json=json_out, write=write_docs, limit=limit,
             tasks=EVAL_TASKS)
