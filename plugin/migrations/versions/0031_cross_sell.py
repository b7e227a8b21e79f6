"""cross_sell_pairs and cross_sell_offers; catalog_items.category

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

Cross-sell after delivery: co-occurrence counts per store (each pair stored both ways),
one offer per order (counted once, scheduled on delivery, sent when due), and the
category each catalog item's product belongs to (the fallback when nothing was bought
together with what the shopper bought).
"""
import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cross_sell_pairs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.String(length=64), nullable=False),
        sa.Column('other_id', sa.String(length=64), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_cross_sell_pairs_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cross_sell_pairs')),
        sa.UniqueConstraint('store_id', 'product_id', 'other_id',
                            name=op.f('uq_cross_sell_pairs_store_id_product_id_other_id')),
    )
    op.create_table(
        'cross_sell_offers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=255), nullable=True),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('suggested', sa.JSON(), nullable=False),
        sa.Column('link_token', sa.String(length=32), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('clicked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_cross_sell_offers_store_id_stores'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_cross_sell_offers_order_id_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_cross_sell_offers_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_cross_sell_offers_message_id_messages'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cross_sell_offers')),
        sa.UniqueConstraint('store_id', 'order_id',
                            name=op.f('uq_cross_sell_offers_store_id_order_id')),
        sa.UniqueConstraint('link_token', name=op.f('uq_cross_sell_offers_link_token')),
    )
    op.create_index('ix_cross_sell_offers_state_due_at', 'cross_sell_offers',
                    ['state', 'due_at'])
    op.create_index(op.f('ix_cross_sell_offers_customer_id'), 'cross_sell_offers',
                    ['customer_id'])
    op.add_column('catalog_items', sa.Column('category', sa.String(length=255),
                                             nullable=False, server_default=''))
    op.create_index('ix_catalog_items_store_id_category', 'catalog_items',
                    ['store_id', 'category'])


def downgrade() -> None:
    op.drop_index('ix_catalog_items_store_id_category', table_name='catalog_items')
    op.drop_column('catalog_items', 'category')
    op.drop_index(op.f('ix_cross_sell_offers_customer_id'), table_name='cross_sell_offers')
    op.drop_index('ix_cross_sell_offers_state_due_at', table_name='cross_sell_offers')
    op.drop_table('cross_sell_offers')
    op.drop_table('cross_sell_pairs')
