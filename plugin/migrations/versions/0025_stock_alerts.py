"""alert_subscriptions: back-in-stock (and later price-drop) subscriptions; their expiry

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06

One row per (store, customer, variant, kind). A restock selects a variant's waiting rows
oldest first through ix_alert_subscriptions_selection (an index range, not a scan). Stores
gain alert_expiry_days (default 90): how long a subscription lasts.
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.String(length=64), nullable=False),
        sa.Column('product_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('link_token', sa.String(length=32), nullable=False),
        sa.Column('page', sa.String(length=255), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('released_at', sa.DateTime(), nullable=True),
        sa.Column('clicked_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_alert_subscriptions_store_id_stores'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_alert_subscriptions_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_alert_subscriptions_message_id_messages'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_subscriptions')),
        sa.UniqueConstraint('store_id', 'customer_id', 'variant_id', 'kind',
                            name=op.f('uq_alert_subscriptions_store_id_customer_id_variant_id_kind')),
        sa.UniqueConstraint('link_token', name=op.f('uq_alert_subscriptions_link_token')),
    )
    op.create_index('ix_alert_subscriptions_selection', 'alert_subscriptions',
                    ['store_id', 'variant_id', 'kind', 'state', 'created_at'])
    op.create_index('ix_alert_subscriptions_released', 'alert_subscriptions',
                    ['store_id', 'variant_id', 'released_at'])
    op.create_index('ix_alert_subscriptions_expires_at_state', 'alert_subscriptions',
                    ['expires_at', 'state'])
    op.create_index(op.f('ix_alert_subscriptions_customer_id'), 'alert_subscriptions',
                    ['customer_id'])
    op.add_column('stores', sa.Column('alert_expiry_days', sa.Integer(), nullable=False,
                                      server_default='90'))


def downgrade() -> None:
    op.drop_column('stores', 'alert_expiry_days')
    op.drop_index(op.f('ix_alert_subscriptions_customer_id'), table_name='alert_subscriptions')
    op.drop_index('ix_alert_subscriptions_expires_at_state', table_name='alert_subscriptions')
    op.drop_index('ix_alert_subscriptions_released', table_name='alert_subscriptions')
    op.drop_index('ix_alert_subscriptions_selection', table_name='alert_subscriptions')
    op.drop_table('alert_subscriptions')
