"""price_drop_alerts: one row per price-drop alert; stores' price_drop_percent

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06

A price-drop alert is written once per (store, customer, variant, 30-day window), its
/t/<token> link and the prices it named kept with it. Stores gain price_drop_percent
(default 5): the smallest fall that alerts (plugin.domain.price_drops explains the 5).
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'price_drop_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.String(length=64), nullable=False),
        sa.Column('repeat_window', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=True),
        sa.Column('link_token', sa.String(length=32), nullable=False),
        sa.Column('old_price', sa.String(length=32), nullable=False),
        sa.Column('new_price', sa.String(length=32), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('clicked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_price_drop_alerts_store_id_stores'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_price_drop_alerts_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscription_id'], ['alert_subscriptions.id'],
                                name=op.f('fk_price_drop_alerts_subscription_id_alert_subscriptions'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_price_drop_alerts_message_id_messages'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_price_drop_alerts')),
        sa.UniqueConstraint('store_id', 'customer_id', 'variant_id', 'repeat_window',
                            name=op.f('uq_price_drop_alerts_store_id_customer_id_variant_id_repeat_window')),
        sa.UniqueConstraint('link_token', name=op.f('uq_price_drop_alerts_link_token')),
    )
    op.create_index('ix_price_drop_alerts_recent', 'price_drop_alerts',
                    ['store_id', 'variant_id', 'customer_id', 'created_at'])
    op.create_index(op.f('ix_price_drop_alerts_customer_id'), 'price_drop_alerts',
                    ['customer_id'])
    op.add_column('stores', sa.Column('price_drop_percent', sa.Integer(), nullable=False,
                                      server_default='5'))


def downgrade() -> None:
    op.drop_column('stores', 'price_drop_percent')
    op.drop_index(op.f('ix_price_drop_alerts_customer_id'), table_name='price_drop_alerts')
    op.drop_index('ix_price_drop_alerts_recent', table_name='price_drop_alerts')
    op.drop_table('price_drop_alerts')
