"""Helplines: the hours a number answers (the admin's helplines page asks for them)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('helplines') as batch_op:
        batch_op.add_column(sa.Column('hours', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('helplines') as batch_op:
        batch_op.drop_column('hours')
