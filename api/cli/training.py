"""``shetu train encoder|reranker|vacancy-skills`` and ``shetu models list|activate``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from api.cli.context import settings
from registry.config import Settings

train_app = typer.Typer(help="Train models from the taxonomy and recorded outcomes.",
                        no_args_is_help=True)
models_app = typer.Typer(help="List and activate trained model artefacts.", no_args_is_help=True)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@train_app.command("encoder")
def train_encoder(
    ctx: typer.Context,
    run_dir: Annotated[str | None, typer.Argument(
        metavar="[DIR]", help="with --resume: the run directory to continue")] = None,
    resume: Annotated[bool, typer.Option(
        help="continue a run (DIR, or the newest NAME-* run) from its last checkpoint; keeps "
             "that run's examples and training arguments")] = False,
    max_minutes: Annotated[float, typer.Option(help="this run's training time (evaluation "
                                                    "extra)")] = 20.0,
    max_steps: Annotated[int | None, typer.Option(help="this run: at most this many batches")]
    = None,
    name: Annotated[str, typer.Option(help="artefact name prefix")] = "minilm-shetu",
    batch_size: Annotated[int, typer.Option(min=2)] = 32,
    lr: Annotated[float, typer.Option(help="peak learning rate")] = 5e-5,
    loss: Annotated[str, typer.Option(help="mnrl, or cached (GradCache: big batches, little "
                                           "memory)")] = "mnrl",
    mini_batch_size: Annotated[int, typer.Option(min=1, help="cached loss: texts a forward "
                                                             "pass")] = 32,
    schedule_steps: Annotated[int, typer.Option(min=1, help="LR decays linearly to 5 % over "
                                                            "this many steps")] = 3000,
    checkpoint_every: Annotated[int, typer.Option(min=1)] = 100,
    mine_negatives: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="share of title examples given a negative mined from the base "
                               "model's confusions")] = 0.0,
    mine_max_anchors: Annotated[int, typer.Option(min=1, help="mine for at most this many "
                                                              "title anchors")] = 10_000,
    skillsets: Annotated[bool, typer.Option(help="add title → essential-skills pairs "
                                                 "(JobBERT)")] = True,
    outcomes: Annotated[bool, typer.Option(help="add recorded outcome pairs (job → worker)")]
    = False,
    eval_tasks: Annotated[str, typer.Option(help="comma-separated eval tasks ('' for none)")]
    = "talentclef-a,esco-altlabels",
    eval_limit: Annotated[int | None, typer.Option(help="at most this many queries a task")]
    = None,
    max_examples: Annotated[int | None, typer.Option(help="train on a subset")] = None,
    threads: Annotated[int | None, typer.Option(help="torch threads (default: half the cores)")]
    = None,
) -> None:
    """Fine-tune the encoder on ESCO/O*NET pairs (or continue a run); save an artefact."""
    from pathlib import Path

    from training.finetune import DEFAULT_SOURCES, finetune, summarise
    from training.train_loop import LOSSES

    if run_dir and not resume:
        typer.echo("error: DIR is only read with --resume", err=True)
        raise typer.Exit(2)
    if loss not in LOSSES:
        typer.echo(f"error: --loss must be one of {', '.join(LOSSES)} (got {loss!r})", err=True)
        raise typer.Exit(2)
    s = settings(ctx)
    sources = [*DEFAULT_SOURCES, *(["esco-skillset"] if skillsets else []),
               *(["outcome"] if outcomes else [])]
    try:
        out = finetune(s, name=name, resume=Path(run_dir) if run_dir else resume,
                       max_minutes=max_minutes, max_steps=max_steps, batch_size=batch_size,
                       lr=lr, loss=loss,
                       mini_batch_size=mini_batch_size, schedule_steps=schedule_steps,
                       checkpoint_every=checkpoint_every, mine_negatives=mine_negatives,
                       mine_max_anchors=mine_max_anchors,
                       sources=sources, max_examples=max_examples,
                       eval_tasks=[t for t in eval_tasks.split(",") if t],
                       eval_limit=eval_limit, threads=threads, log=_log)
    except FileNotFoundError as exc:
        typer.echo(f"error: --resume: {exc}", err=True)
        raise typer.Exit(2) from exc
    metrics = json.loads((out / "metrics.json").read_text())
    for k, v in summarise(metrics).items():
        typer.echo(f"{k}: {v}")
    typer.echo(f"saved {out.name} (activate with: shetu models activate {out.name}; continue "
               f"with: shetu train encoder --resume {out})")


@train_app.command("vacancy-skills")
def train_vacancy_skills(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option(
        help="JSON lines (.jsonl or .jsonl.gz) of {\"title\": …, \"skills\": [ESCO skill "
             "labels]}; default: TechWolf's vacancy titles under the data directory")] = None,
    held_out: Annotated[bool, typer.Option(
        help="leave out the titles `shetu eval job2skill` scores and chooses weights on (only "
             "for the default source)")] = True,
) -> None:
    """Fit the skills that vacancies with similar titles ask for (used by skill suggestions)."""
    from pathlib import Path

    from matcher.models import models_dir
    from matcher.rankers import get_skill_ranker
    from matcher.vacancy_skills import (
        ARTEFACT,
        VacancySkills,
        VacancySkillsError,
        read_labelled_titles,
    )
    from training.eval_tasks import job2skill_splits
    from training.held_out import EVAL_SEED

    s = settings(ctx)
    default = Path(s.data_dir) / "eval" / "techwolf-job2skill" / "job_skill_val.jsonl.gz"
    path = Path(source) if source else default
    if not path.is_file():
        typer.echo(f"error: --source: no such file: {path}", err=True)
        raise typer.Exit(2)
    sk = get_skill_ranker(s)
    by_label: dict[str, list[str]] = {}
    for c in sk.concepts:
        by_label.setdefault(c.label.casefold(), []).append(c.uri)
    try:
        rows = [r for r in read_labelled_titles(path, by_label) if r[1]]
    except VacancySkillsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    what = str(path)
    if held_out and source is None:
        _test, _dev, train = job2skill_splits(len(rows), EVAL_SEED)
        rows = [rows[i] for i in train]
        what += " (train split: without the titles job2skill evaluates or tunes on)"
    if not rows:
        typer.echo(f"error: {path}: no title has a skill label found in ESCO", err=True)
        raise typer.Exit(1)
    _log(f"embedding {len(rows):,} vacancy titles with {sk.encoder.name} …")
    try:
        fitted = VacancySkills.fit([sk.prepare(t) for t, _ in rows], [u for _, u in rows],
                                   sk.encoder, [c.uri for c in sk.concepts], source=what)
    except VacancySkillsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        out = fitted.save(models_dir(s.var_dir) / ARTEFACT)
    except OSError as exc:
        typer.echo(f"error: cannot write {models_dir(s.var_dir) / ARTEFACT}: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"saved {out} ({fitted.size:,} titles, {fitted.labels.nnz:,} title–skill pairs)")


@train_app.command("reranker")
def train_reranker_cmd(
    ctx: typer.Context,
    synthetic: Annotated[bool, typer.Option(help="train on synthetic outcomes with a known "
                                                 "preference instead of the registry's")] = False,
    activate: Annotated[bool, typer.Option(help="activate it if it beats the hand-set weights")]
    = False,
) -> None:
    """Train the re-ranker on recorded outcomes (grouped CV by job order, calibrated)."""
    from matcher.models import models_dir, write_pointer
    from training.reranker import outcome_table, save_reranker, synthetic_outcomes, train_reranker

    s = settings(ctx)
    if synthetic:
        table = synthetic_outcomes()
    else:
        from indexer.ranking import outcome_hits
        from indexer.service import Indexer

        ix = Indexer(s)
        try:
            table = outcome_table(s, outcome_hits(ix), ix.taxonomy)
        finally:
            ix.backend.close()
    result = train_reranker(table)
    typer.echo(result.message)
    if result.fallback:
        typer.echo("no re-ranker saved: ranking keeps the hand-set weights")
        return
    out = save_reranker(result, models_dir(s.var_dir),
                        source="synthetic" if synthetic else "registry")
    typer.echo(f"weights: {json.dumps(result.weights)}")
    typer.echo(f"metrics: {json.dumps(result.metrics)}")
    typer.echo(f"saved {out.name}")
    if activate and result.recommended:
        write_pointer(s.var_dir, "reranker", out.name)
        typer.echo(f"activated {out.name}")


@models_app.command("list")
def models_list(ctx: typer.Context,
                as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List model artefacts, newest first (* = active)."""
    from matcher.models import list_models

    s = settings(ctx)
    infos = list_models(s.var_dir)
    if as_json:
        typer.echo(json.dumps([{"name": i.name, "kind": i.kind, "created": i.created,
                                "active": i.active, "summary": i.summary} for i in infos],
                              indent=1))
        return
    if not infos:
        typer.echo("no trained models (the packaged MiniLM and hand-set weights are in use)")
    for i in infos:
        typer.echo(f"{'*' if i.active else ' '} {i.kind:<9} {i.name}  {i.created}")
        for k, v in list(i.summary.items())[:6]:
            typer.echo(f"      {k}: {v}")
    typer.echo(f"encoder in use: {s.model}")


@models_app.command("activate")
def models_activate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="artefact name, 'packaged', 'hand-set' or "
                                              "'first-stage' (no cross-encoder)")],
    wait: Annotated[bool, typer.Option(help="re-index in this process and wait")] = False,
) -> None:
    """Activate a model: an encoder re-indexes in the background and is swapped in when done."""
    from indexer.activation import activate, activate_in_background
    from matcher.models import (
        FIRST_STAGE_NAME,
        HAND_SET_NAME,
        PACKAGED_NAME,
        UnknownModelError,
        resolve,
    )

    s = settings(ctx)
    try:
        kind = "encoder" if name == PACKAGED_NAME else "reranker" if name == HAND_SET_NAME \
            else "cross-encoder" if name == FIRST_STAGE_NAME else resolve(s.var_dir, name).kind
    except UnknownModelError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(1) from exc
    if kind not in ("encoder", "reranker", "cross-encoder"):
        typer.echo(f"error: {name} is a {kind} artefact: it is used as soon as it is written, "
                   "there is nothing to activate", err=True)
        raise typer.Exit(1)
    if kind in ("reranker", "cross-encoder") or wait:
        result = activate(s, name)
        typer.echo(f"activated {result['kind']} {name}"
                   + (f": re-indexed {result['reindexed']}" if "reindexed" in result else ""))
        if kind == "encoder":
            typer.echo("restart `shetu serve` and workers so that new writes use it")
        return
    pid, log = activate_in_background(s, name)
    typer.echo(f"re-indexing with {name} in the background (pid {pid}, log {log}); the new index "
               "version is swapped in and the pointer written when it is complete")


def _encoder_ref(s: Settings, name: str | None) -> str:
    """The encoder reference for NAME ('packaged', an artefact name), or the one in use."""
    from matcher.encoder import PACKAGED
    from matcher.models import PACKAGED_NAME, UnknownModelError, resolve

    if name is None:
        return s.model
    if name == PACKAGED_NAME:
        return PACKAGED
    try:
        info = resolve(s.var_dir, name)
    except UnknownModelError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(1) from exc
    if info.kind != "encoder":
        typer.echo(f"error: {name} is a {info.kind}, not an encoder", err=True)
        raise typer.Exit(1)
    return info.encoder_ref


@models_app.command("export-onnx")
def models_export_onnx(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="encoder artefact or 'packaged' "
                                                    "(default: the encoder in use)")] = None,
    texts: Annotated[int, typer.Option(min=3, help="real ESCO texts to check cosine on")] = 300,
    threads: Annotated[int | None, typer.Option(min=1, help="threads (default: all cores)")]
    = None,
) -> None:
    """Export the encoder to ONNX fp32 + int8; approve a variant for bulk encoding if faithful."""
    from training.onnx_export import export_and_measure

    s = settings(ctx)
    ref = _encoder_ref(s, name)
    try:
        report = export_and_measure(ref, texts, threads, cache_dir=s.cache_dir,
                                    esco_dir=s.esco_dir)
    except ImportError as exc:
        typer.echo(f"error: {exc} (install the extra: pip install -e '.[onnx]')", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"torch fp32: {report['torch_fp32_texts_per_s']} texts/s "
               f"({report['threads']} threads, load {report['load_average']})")
    for k, v in report["variants"].items():
        typer.echo(f"onnx {k}: {v['texts_per_s']} texts/s ({v['speedup']}x), cosine min "
                   f"{v['cosine_min']} mean {v['cosine_mean']}")
    bulk = report["bulk_variant"]
    typer.echo(f"bulk encoding will use onnx {bulk}" if bulk else
               "no variant is both faithful (cosine >= 0.98) and faster: bulk stays on torch")


@models_app.command("distill")
def models_distill(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="encoder artefact or 'packaged' "
                                                    "(default: the encoder in use)")] = None,
    pca_dims: Annotated[int, typer.Option(min=2, help="dimensions of the static vectors")] = 256,
) -> None:
    """Distil the encoder into a static model2vec model (its own vector space)."""
    from training.distill import distill

    s = settings(ctx)
    try:
        out = distill(_encoder_ref(s, name), pca_dims=pca_dims, cache_dir=s.cache_dir)
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"saved {out} (evaluate with: shetu eval esco-altlabels --model {out})")
