"""checkouts: the store's own checkouts and carts, the state cart recovery works on

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

One row per Shopify checkout or WooCommerce companion-plugin cart (unique on store and
platform id), with its contact, items, total, recovery link, last activity and the order that
completed it. Distinct from cart_checkouts (carts sent from the WhatsApp catalog).
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'checkouts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.String(length=255), nullable=False),
        sa.Column('token', sa.String(length=255), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('first_name', sa.String(length=255), nullable=False),
        sa.Column('phone_e164', sa.String(length=20), nullable=True),
        sa.Column('phone_raw', sa.String(length=64), nullable=True),
        sa.Column('phone_problem', sa.String(length=120), nullable=True),
        sa.Column('email', sa.String(length=255), nullable=True),
        sa.Column('locale', sa.String(length=35), nullable=True),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('item_count', sa.Integer(), nullable=False),
        sa.Column('total', sa.String(length=32), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('recovery_url', sa.Text(), nullable=True),
        sa.Column('activity_at', sa.DateTime(), nullable=True),
        sa.Column('completed_at', sa.DateTime(), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_checkouts_customer_id_customers'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_checkouts_order_id_orders'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_checkouts_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkouts')),
        sa.UniqueConstraint('store_id', 'platform_id',
                            name=op.f('uq_checkouts_store_id_platform_id')),
    )
    op.create_index(op.f('ix_checkouts_customer_id'), 'checkouts', ['customer_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_checkouts_customer_id'), table_name='checkouts')
    op.drop_table('checkouts')
