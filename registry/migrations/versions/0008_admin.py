"""Admin: disabled user accounts, the admin audit trail (who changed what), an index on
workers.nid_number (the natural key of CSV intake)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table(
        'admin_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_admin_changes_at', 'admin_changes', ['at'])
    op.create_index('ix_workers_nid_number', 'workers', ['nid_number'])


def downgrade() -> None:
    op.drop_index('ix_workers_nid_number', table_name='workers')
    op.drop_index('ix_admin_changes_at', table_name='admin_changes')
    op.drop_table('admin_changes')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('disabled')
