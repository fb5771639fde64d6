"""Deactivated employers and workers (issue 12's admin pages): an ``active`` flag on each.

A deactivated worker leaves the search index (never matched, searched or counted); a
deactivated employer's job orders are not matchable. Existing rows stay active.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('workers', 'employers'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(),
                                          nullable=False))


def downgrade() -> None:
    for table in ('employers', 'workers'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('active')
