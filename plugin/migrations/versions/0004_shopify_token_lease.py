"""shopify token lease, one row per shop

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_lease_until', sa.DateTime(), nullable=True))
    op.create_index('uq_stores_shopify_domain', 'stores', ['domain'], unique=True,
                    sqlite_where=sa.text("platform = 'shopify'"),
                    postgresql_where=sa.text("platform = 'shopify'"))


def downgrade() -> None:
    op.drop_index('uq_stores_shopify_domain', table_name='stores')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('token_lease_until')
