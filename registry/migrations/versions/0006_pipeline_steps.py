"""Pipeline steps: each move of a worker's application for a job order, with who, when, why

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pipeline_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), server_default=sa.text('CURRENT_TIMESTAMP'),
                  nullable=False),
        sa.Column('job_order_id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=12), nullable=True),
        sa.Column('to_status', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['job_order_id'], ['job_orders.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_pipeline_steps_job_order_id', 'pipeline_steps', ['job_order_id'])


def downgrade() -> None:
    op.drop_index('ix_pipeline_steps_job_order_id', table_name='pipeline_steps')
    op.drop_table('pipeline_steps')
