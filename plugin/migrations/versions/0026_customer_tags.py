"""customer tags, tag rules per store, segments; the order facts tags are computed from

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06

Tags live in their own table, one row per (customer, tag, source), indexed on (store, tag)
so a segment's tag filter is a plain EXISTS on both databases. Customers gain the order
aggregates segments filter on (count, spend, first and last order, country); orders gain
when they were placed and whether a discount code was used. Columns are added without a
table rebuild: customers and orders are parents of ON DELETE CASCADE children.
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

_CUSTOMER_COLUMNS = ('tags_computed_at', 'last_order_at', 'first_order_at', 'avg_order_cents',
                     'spent_cents', 'order_count', 'country')


def upgrade() -> None:
    op.create_table(
        'customer_tags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=40), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_customer_tags_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_customer_tags_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_tags')),
        sa.UniqueConstraint('customer_id', 'tag', 'source',
                            name=op.f('uq_customer_tags_customer_id_tag_source')),
    )
    op.create_index('ix_customer_tags_store_id_tag', 'customer_tags', ['store_id', 'tag'])
    op.create_table(
        'customer_tag_settings',
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('rules', sa.JSON(), nullable=False),
        sa.Column('high_value_cents', sa.BigInteger(), nullable=True),
        sa.Column('threshold_computed_at', sa.DateTime(), nullable=True),
        sa.Column('write_back', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_customer_tag_settings_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('store_id', name=op.f('pk_customer_tag_settings')),
    )
    op.create_table(
        'segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_segments_store_id_stores'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
    )
    op.create_index(op.f('ix_segments_store_id'), 'segments', ['store_id'])
    op.add_column('customers', sa.Column('country', sa.String(length=2), nullable=True))
    op.add_column('customers', sa.Column('order_count', sa.Integer(), nullable=False,
                                         server_default='0'))
    op.add_column('customers', sa.Column('spent_cents', sa.BigInteger(), nullable=False,
                                         server_default='0'))
    op.add_column('customers', sa.Column('avg_order_cents', sa.BigInteger(), nullable=False,
                                         server_default='0'))
    op.add_column('customers', sa.Column('first_order_at', sa.DateTime(), nullable=True))
    op.add_column('customers', sa.Column('last_order_at', sa.DateTime(), nullable=True))
    op.add_column('customers', sa.Column('tags_computed_at', sa.DateTime(), nullable=True))
    op.create_index(op.f('ix_customers_tags_computed_at'), 'customers', ['tags_computed_at'])
    op.add_column('orders', sa.Column('placed_at', sa.DateTime(), nullable=True))
    op.add_column('orders', sa.Column('discounted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_index('ix_orders_customer_id', 'orders', ['customer_id'])


def downgrade() -> None:
    op.drop_index('ix_orders_customer_id', table_name='orders')
    op.drop_column('orders', 'discounted')
    op.drop_column('orders', 'placed_at')
    op.drop_index(op.f('ix_customers_tags_computed_at'), table_name='customers')
    for column in _CUSTOMER_COLUMNS:
        op.drop_column('customers', column)
    op.drop_index(op.f('ix_segments_store_id'), table_name='segments')
    op.drop_table('segments')
    op.drop_table('customer_tag_settings')
    op.drop_index('ix_customer_tags_store_id_tag', table_name='customer_tags')
    op.drop_table('customer_tags')
