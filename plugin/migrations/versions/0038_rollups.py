"""message_rollups: daily message figures per store, flow and figure

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06

Kept up to date by the outbox as messages move; `storechat analytics-backfill` fills it once
from the messages already there (the upgrade itself does not, so that a large outbox does
not hold the migration).
"""
import sqlalchemy as sa
from alembic import op

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_rollups',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('store_id', sa.Integer(), sa.ForeignKey('stores.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('flow', sa.String(80), nullable=False),
        sa.Column('figure', sa.String(24), nullable=False),
        sa.Column('detail', sa.String(255), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.UniqueConstraint('store_id', 'day', 'flow', 'figure', 'detail',
                            name='uq_message_rollups_key'),
    )


def downgrade() -> None:
    op.drop_table('message_rollups')
