"""order_attributions, revenue_rollups, ad_rollups, ad_orders, lift_members, lift_rollups;
attribution windows and holdout shares on stores and campaigns

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06

Orders are attributed as they arrive from now on; orders stored before the upgrade are not
attributed after the fact.
"""
import sqlalchemy as sa
from alembic import op

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None


_CLICK_TABLES = ('checkout_recoveries', 'alert_subscriptions', 'price_drop_alerts',
                 'cross_sell_offers')


def _store() -> sa.Column:
    return sa.Column('store_id', sa.Integer(), sa.ForeignKey('stores.id', ondelete='CASCADE'),
                     nullable=False)


def upgrade() -> None:
    # Plain ALTERs, not batch mode: SQLite's table copy would cascade-delete every row
    # that refers to a store.
    for column, default in (('attribution_click_days', '5'), ('attribution_read_hours', '12'),
                            ('recovery_holdout_percent', '0')):
        op.add_column('stores', sa.Column(column, sa.Integer(), nullable=False,
                                          server_default=default))
    op.add_column('campaigns', sa.Column('holdout_percent', sa.Integer(), nullable=False,
                                         server_default='0'))
    op.create_table(
        'order_attributions',
        sa.Column('id', sa.Integer(), primary_key=True),
        _store(),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('orders.id', ondelete='CASCADE'),
                  nullable=False, unique=True),
        sa.Column('message_id', sa.Integer(),
                  sa.ForeignKey('messages.id', ondelete='SET NULL'), nullable=True),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='SET NULL'), nullable=True),
        sa.Column('order_number', sa.String(64), nullable=False),
        sa.Column('flow', sa.String(80), nullable=False),
        sa.Column('template', sa.String(120), nullable=False),
        sa.Column('touch', sa.String(8), nullable=False),
        sa.Column('touched_at', sa.DateTime(), nullable=False),
        sa.Column('ordered_at', sa.DateTime(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('amount', sa.String(32), nullable=False),
        sa.Column('voided_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_order_attributions_store_day', 'order_attributions',
                    ['store_id', 'day', 'flow', 'currency'])
    op.create_table(
        'revenue_rollups',
        sa.Column('id', sa.Integer(), primary_key=True),
        _store(),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('flow', sa.String(80), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('amount_millis', sa.BigInteger(), nullable=False),
        sa.UniqueConstraint('store_id', 'day', 'flow', 'currency',
                            name='uq_revenue_rollups_key'),
    )
    op.create_table(
        'ad_rollups',
        sa.Column('id', sa.Integer(), primary_key=True),
        _store(),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('source_id', sa.String(128), nullable=False),
        sa.Column('source_type', sa.String(16), nullable=False),
        sa.Column('headline', sa.String(255), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('amount_millis', sa.BigInteger(), nullable=False),
        sa.UniqueConstraint('store_id', 'day', 'source_id', 'currency',
                            name='uq_ad_rollups_key'),
    )
    op.create_table(
        'ad_orders',
        sa.Column('id', sa.Integer(), primary_key=True),
        _store(),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('orders.id', ondelete='CASCADE'),
                  nullable=False, unique=True),
        sa.Column('source_id', sa.String(128), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('amount_millis', sa.BigInteger(), nullable=False),
        sa.Column('voided_at', sa.DateTime(), nullable=True),
    )
    op.create_table(
        'lift_members',
        sa.Column('id', sa.Integer(), primary_key=True),
        _store(),
        sa.Column('flow', sa.String(80), nullable=False),
        sa.Column('unit', sa.String(120), nullable=False),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=True),
        sa.Column('holdout', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('until', sa.DateTime(), nullable=False),
        sa.Column('converted_at', sa.DateTime(), nullable=True),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('orders.id', ondelete='SET NULL'),
                  nullable=True),
        sa.UniqueConstraint('store_id', 'unit', name='uq_lift_members_unit'),
    )
    op.create_index('ix_lift_members_customer', 'lift_members', ['customer_id', 'until'])
    op.create_index('ix_lift_members_flow', 'lift_members', ['store_id', 'flow'])
    op.create_index('ix_lift_members_order', 'lift_members', ['order_id'])
    op.create_table(
        'lift_rollups',
        sa.Column('id', sa.Integer(), primary_key=True),
        _store(),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('flow', sa.String(80), nullable=False),
        sa.Column('holdout', sa.Boolean(), nullable=False),
        sa.Column('members', sa.Integer(), nullable=False),
        sa.Column('converted', sa.Integer(), nullable=False),
        sa.UniqueConstraint('store_id', 'day', 'flow', 'holdout', name='uq_lift_rollups_key'),
    )
    # Attribution reads the clicks of a customer's messages: only clicked rows are indexed.
    for table in _CLICK_TABLES:
        op.create_index(f'ix_{table}_clicked', table, ['message_id'],
                        sqlite_where=sa.text('clicked_at IS NOT NULL'),
                        postgresql_where=sa.text('clicked_at IS NOT NULL'))


def downgrade() -> None:
    for table in _CLICK_TABLES:
        op.drop_index(f'ix_{table}_clicked', table_name=table)
    op.drop_table('lift_rollups')
    op.drop_table('lift_members')
    op.drop_table('ad_orders')
    op.drop_table('ad_rollups')
    op.drop_table('revenue_rollups')
    op.drop_table('order_attributions')
    op.drop_column('campaigns', 'holdout_percent')
    for column in ('recovery_holdout_percent', 'attribution_read_hours',
                   'attribution_click_days'):
        op.drop_column('stores', column)
