"""complaints.status holds 'investigating' (13 characters): widen to 20

PostgreSQL enforces VARCHAR lengths (SQLite does not), so seeding failed there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaints') as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=12),
                              type_=sa.String(length=20), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('complaints') as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=20),
                              type_=sa.String(length=12), existing_nullable=False)
