"""orders.cancel_*: the shop assistant's cancellations, recorded so a lost job comes back;
campaigns.header_media: the file a campaign's media header template shows

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

_UNAPPLIED = "cancel_asked_at IS NOT NULL AND cancel_applied_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('cancel_asked_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('cancel_applied_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('cancel_lease_until', sa.DateTime(), nullable=True))
    op.create_index('ix_orders_cancel_unapplied', 'orders', ['cancel_asked_at'], unique=False,
                    sqlite_where=sa.text(_UNAPPLIED), postgresql_where=sa.text(_UNAPPLIED))
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('header_media', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('header_media')
    op.drop_index('ix_orders_cancel_unapplied', table_name='orders',
                  sqlite_where=sa.text(_UNAPPLIED), postgresql_where=sa.text(_UNAPPLIED))
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('cancel_lease_until')
        batch.drop_column('cancel_applied_at')
        batch.drop_column('cancel_asked_at')
