"""orders cod unapplied index

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_WHERE = sa.text("cod_state IS NOT NULL AND cod_applied_at IS NULL")


def upgrade() -> None:
    op.create_index('ix_orders_cod_unapplied', 'orders', ['updated_at'], unique=False,
                    sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade() -> None:
    op.drop_index('ix_orders_cod_unapplied', table_name='orders',
                  sqlite_where=_WHERE, postgresql_where=_WHERE)
