"""Attested worker facts, idempotency keys for creates, one access-log row per list view

Revision ID: 0004
Revises: 0003_auth
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003_auth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attestations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('reference', sa.String(length=100), nullable=True),
        sa.Column('attested_by', sa.String(length=80), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('attestations') as batch_op:
        batch_op.create_index('ix_attestations_worker_id', ['worker_id'], unique=False)
    op.create_table(
        'idempotency_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username', 'key'),
    )
    with op.batch_alter_table('idempotency_keys') as batch_op:
        batch_op.create_index('ix_idempotency_keys_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('access_log') as batch_op:
        batch_op.add_column(sa.Column('worker_ids', sa.Text(), nullable=True))
        batch_op.create_index('ix_access_log_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_log') as batch_op:
        batch_op.drop_index('ix_access_log_at')
        batch_op.drop_column('worker_ids')
    op.drop_table('idempotency_keys')
    op.drop_table('attestations')
