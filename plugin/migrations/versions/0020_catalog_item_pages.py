"""catalog item pages: indexes that list a store's items newest first

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

The catalog page and the API list a store's items newest first, all of them or those in one
state, a page at a time (keyset on id). A store may hold 100,000 variants: without an index
in id order each page sorted every matching row (a quarter of a second on SQLite for a
mostly-synced store); with these a page reads only its own rows.
"""
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_catalog_items_store_id_id', 'catalog_items', ['store_id', 'id'])
    op.create_index('ix_catalog_items_store_id_state_id', 'catalog_items',
                    ['store_id', 'state', 'id'])


def downgrade() -> None:
    op.drop_index('ix_catalog_items_store_id_state_id', table_name='catalog_items')
    op.drop_index('ix_catalog_items_store_id_id', table_name='catalog_items')
