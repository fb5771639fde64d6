"""Migration 0005 on SQLite and PostgreSQL: upgrade to head, down to 0004 and back; the demo
seed (with its audit records) loads and the audit runs on both."""

from __future__ import annotations

import datetime as dt

import pytest
from live_services import needs_postgres, throwaway_database
from sqlalchemy import inspect, select, text
from support import make_settings

from registry.audit_rules.overview import audit_agencies
from registry.db import get_engine, session_scope
from registry.migrate import alembic_config, upgrade
from registry.models import Complaint, FeeReport, JobOrderTransition
from registry.seed import insert_dataset
from training.synthetic import generate

NEW_TABLES = {"fee_reports", "contract_reports", "expressions_of_interest",
              "job_order_transitions"}


def _check(url: str, taxonomy, data_dir) -> None:
    from alembic import command

    upgrade(url)
    assert NEW_TABLES <= set(inspect(get_engine(url)).get_table_names())
    cfg = alembic_config(url)
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert not NEW_TABLES & set(inspect(get_engine(url)).get_table_names())
    upgrade(url)
    today = dt.date.today()
    data = generate(taxonomy, data_dir, seed=5, workers=120, job_orders=40, agencies=10,
                    employers=20, today=today)
    with session_scope(url) as s:
        counts = insert_dataset(s, data, today)
    assert counts["fee_reports"] > 0 and counts["job_order_transitions"] > 0
    with session_scope(url) as s:
        assert s.scalar(select(FeeReport.id).limit(1))
        assert s.scalar(select(JobOrderTransition.id).limit(1))
        statuses = set(s.scalars(select(Complaint.status)))
        assert statuses <= {"open", "acknowledged", "resolved", "dismissed"}
        rows = audit_agencies(s, data_dir, today)
    assert len(rows) == 10 and rows[0]["risk_score"] >= rows[-1]["risk_score"]
    assert rows[0]["findings"] > 0 and rows[0]["second_opinion"] is not None


def test_migration_and_seed_on_sqlite(tmp_path, taxonomy):
    settings = make_settings(tmp_path)
    _check(settings.database_url, taxonomy, settings.data_dir)


def test_investigating_complaints_become_acknowledged(tmp_path):
    settings = make_settings(tmp_path)
    url = settings.database_url
    upgrade(url, "0004")
    with get_engine(url).begin() as c:
        c.execute(text("insert into agencies (name, licence_number, licence_status, "
                       "licence_valid_until, version, created_at, updated_at) values "
                       "('A', 'RL-1', 'valid', '2030-01-01', 1, '2026-01-01', '2026-01-01')"))
        c.execute(text("insert into complaints (agency_id, category, text, status, version, "
                       "created_at, updated_at) values (1, 'delay', '', 'investigating', 1, "
                       "'2026-01-01', '2026-01-05')"))
    upgrade(url)
    with session_scope(url) as s:
        c = s.scalars(select(Complaint)).one()
        assert c.status == "acknowledged" and c.acknowledged_at == dt.datetime(2026, 1, 5)


@needs_postgres
@pytest.mark.integration
def test_migration_and_seed_on_postgresql(taxonomy, settings):
    with throwaway_database() as url:
        _check(url, taxonomy, settings.data_dir)
