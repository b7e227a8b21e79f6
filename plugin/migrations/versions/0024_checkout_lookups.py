"""checkouts by phone and by order: find a shopper's carts when they reply, opt out or order

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06

A shopper's WhatsApp reply, opt-out or order names them by phone; their carts are found by
(store, phone) through this index instead of reading every cart of the store. Every order
event looks up the checkouts it completed, by order.
"""
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_checkouts_store_id_phone_e164', 'checkouts', ['store_id', 'phone_e164'])
    op.create_index('ix_checkouts_order_id', 'checkouts', ['order_id'])


def downgrade() -> None:
    op.drop_index('ix_checkouts_order_id', table_name='checkouts')
    op.drop_index('ix_checkouts_store_id_phone_e164', table_name='checkouts')
