"""Audit records: fee reports, contract reports, expressions of interest, the job-order
lifecycle (transitions and the demand letter's facts), complaint status timestamps

Complaints that were 'investigating' become 'acknowledged' (the closed vocabulary is
open | acknowledged | resolved | dismissed), acknowledged at their last update.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_orders') as batch_op:
        batch_op.add_column(sa.Column('attestation_number', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('attestation_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('attesting_mission', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('demand_letter_sha256', sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('demand_letter_filename', sa.String(length=200),
                                      nullable=True))
    with op.batch_alter_table('complaints') as batch_op:
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dismissed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('status_note', sa.Text(), nullable=True))
    op.execute("UPDATE complaints SET status = 'acknowledged', acknowledged_at = updated_at "
               "WHERE status = 'investigating'")
    op.execute("UPDATE complaints SET resolved_at = updated_at "
               "WHERE status = 'resolved' AND resolved_at IS NULL")
    op.create_table(
        'fee_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('job_order_id', sa.Integer(), nullable=True),
        sa.Column('amount_bdt', sa.Float(), nullable=False),
        sa.Column('purpose', sa.String(length=30), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('status_note', sa.Text(), nullable=True),
        sa.Column('status_changed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id']),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id']),
        sa.ForeignKeyConstraint(['job_order_id'], ['job_orders.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('fee_reports') as batch_op:
        batch_op.create_index('ix_fee_reports_worker_id', ['worker_id'])
        batch_op.create_index('ix_fee_reports_agency_id', ['agency_id'])
        batch_op.create_index('ix_fee_reports_job_order_id', ['job_order_id'])
    op.create_table(
        'contract_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('job_order_id', sa.Integer(), nullable=False),
        sa.Column('wage_amount', sa.Float(), nullable=True),
        sa.Column('wage_currency', sa.String(length=3), nullable=True),
        sa.Column('contract_months', sa.Integer(), nullable=True),
        sa.Column('job_title', sa.String(length=200), nullable=True),
        sa.Column('other_terms', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id']),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id']),
        sa.ForeignKeyConstraint(['job_order_id'], ['job_orders.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('contract_reports') as batch_op:
        batch_op.create_index('ix_contract_reports_worker_id', ['worker_id'])
        batch_op.create_index('ix_contract_reports_agency_id', ['agency_id'])
        batch_op.create_index('ix_contract_reports_job_order_id', ['job_order_id'])
    op.create_table(
        'expressions_of_interest',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('job_order_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id']),
        sa.ForeignKeyConstraint(['job_order_id'], ['job_orders.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('worker_id', 'job_order_id'),
    )
    with op.batch_alter_table('expressions_of_interest') as batch_op:
        batch_op.create_index('ix_expressions_of_interest_worker_id', ['worker_id'])
        batch_op.create_index('ix_expressions_of_interest_job_order_id', ['job_order_id'])
    op.create_table(
        'job_order_transitions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_order_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=12), nullable=True),
        sa.Column('to_status', sa.String(length=12), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['job_order_id'], ['job_orders.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('job_order_transitions') as batch_op:
        batch_op.create_index('ix_job_order_transitions_job_order_id', ['job_order_id'])
        batch_op.create_index('ix_job_order_transitions_at', ['at'])


def downgrade() -> None:
    op.drop_table('job_order_transitions')
    op.drop_table('expressions_of_interest')
    op.drop_table('contract_reports')
    op.drop_table('fee_reports')
    op.execute("UPDATE complaints SET status = 'investigating' WHERE status = 'acknowledged'")
    with op.batch_alter_table('complaints') as batch_op:
        batch_op.drop_column('status_note')
        batch_op.drop_column('dismissed_at')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('acknowledged_at')
    with op.batch_alter_table('job_orders') as batch_op:
        batch_op.drop_column('demand_letter_filename')
        batch_op.drop_column('demand_letter_sha256')
        batch_op.drop_column('attesting_mission')
        batch_op.drop_column('attestation_date')
        batch_op.drop_column('attestation_number')
