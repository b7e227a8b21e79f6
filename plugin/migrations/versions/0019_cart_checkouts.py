"""cart checkouts: carts sent from the WhatsApp catalog, each a checkout once

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

One row per inbound `order` message (unique on store and wamid): the items mapped through
catalog_items, those we do not know, and the checkout the store made with its pay link.
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cart_checkouts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('wamid', sa.String(length=128), nullable=False),
        sa.Column('catalog_id', sa.String(length=64), nullable=False),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.Column('unknown', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('platform_id', sa.String(length=255), nullable=True),
        sa.Column('pay_url', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_cart_checkouts_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_cart_checkouts_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_checkouts')),
        sa.UniqueConstraint('store_id', 'wamid', name=op.f('uq_cart_checkouts_store_id_wamid')),
    )
    op.create_index(op.f('ix_cart_checkouts_customer_id'), 'cart_checkouts', ['customer_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_cart_checkouts_customer_id'), table_name='cart_checkouts')
    op.drop_table('cart_checkouts')
