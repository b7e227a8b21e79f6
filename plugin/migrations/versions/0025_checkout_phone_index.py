"""checkouts by phone: find a shopper's carts when they reply, opt out or order

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06

A shopper's WhatsApp reply, opt-out or order names them by phone; their carts are found by
(store, phone) through this index instead of reading every cart of the store.
"""
from alembic import op

revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_checkouts_store_id_phone_e164', 'checkouts', ['store_id', 'phone_e164'])


def downgrade() -> None:
    op.drop_index('ix_checkouts_store_id_phone_e164', table_name='checkouts')
