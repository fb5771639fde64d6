"""Exchange rates (taka per unit, dated, with a source) and official helplines, both maintained
by the admin and shown on the worker's pages.

The rates are seeded so that a job page can show a wage in taka from the start; each row names
its source and date, and the page shows that date. No helpline is seeded: Shetu's shared
domain notes give no sourced number, and a wrong number given to a worker in trouble is worse
than none (the admin adds them with their source).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Approximate seed figures: Bangladesh Bank's taka/US-dollar reference rate of about 122 in
# January 2025 and the US-dollar pegs of the Gulf currencies (SAR 3.75, AED 3.6725, QAR 3.64,
# OMR 0.3845, BHD 0.376, KWD about 0.3075, JOD 0.709; BND at par with SGD); MYR, SGD and EUR
# at their January 2025 market levels.
SEED_SOURCE = ("Seed (approximate, to be replaced by the admin): Bangladesh Bank USD reference "
               "rate c. Jan 2025 and the currencies' US-dollar pegs")
SEED_DATE = dt.date(2025, 1, 15)
SEED_RATES = {"USD": 122.0, "SAR": 32.53, "AED": 33.22, "QAR": 33.52, "OMR": 317.3,
              "BHD": 324.5, "KWD": 396.7, "JOD": 172.1, "MYR": 27.2, "SGD": 89.7, "BND": 89.7,
              "EUR": 126.0}


def upgrade() -> None:
    rates = op.create_table(
        'exchange_rates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('bdt_per_unit', sa.Float(), nullable=False),
        sa.Column('rate_date', sa.Date(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('currency', 'rate_date'),
    )
    op.create_index('ix_exchange_rates_currency', 'exchange_rates', ['currency'])
    op.create_table(
        'helplines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_bn', sa.String(length=200), nullable=True),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(rates, [{"currency": c, "bdt_per_unit": v, "rate_date": SEED_DATE,
                            "source": SEED_SOURCE} for c, v in SEED_RATES.items()])


def downgrade() -> None:
    op.drop_table('helplines')
    op.drop_index('ix_exchange_rates_currency', table_name='exchange_rates')
    op.drop_table('exchange_rates')
