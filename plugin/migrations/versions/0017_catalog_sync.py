"""catalog sync: items, batches, syncs, and the number's catalog

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

One row per store variant with the retailer id assigned once, the content hash of what we
would send and of what Meta accepted; each items_batch call with its handle and verdict; each
full sync or reconciliation with its progress. The WhatsApp number keeps the connected
catalog's name, whether it is shown and takes carts, and how long Meta asked us to wait.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'catalog_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('catalog_id', sa.String(length=64), nullable=False),
        sa.Column('handle', sa.String(length=255), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('updates', sa.Integer(), nullable=False),
        sa.Column('deletes', sa.Integer(), nullable=False),
        sa.Column('errors', sa.Integer(), nullable=False),
        sa.Column('warnings', sa.Integer(), nullable=False),
        sa.Column('checks', sa.Integer(), nullable=False),
        sa.Column('check_at', sa.DateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_catalog_batches_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_batches')),
    )
    op.create_index('ix_catalog_batches_state_check_at', 'catalog_batches',
                    ['state', 'check_at'])
    op.create_index(op.f('ix_catalog_batches_store_id'), 'catalog_batches', ['store_id'])
    op.create_table(
        'catalog_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.String(length=64), nullable=False),
        sa.Column('product_id', sa.String(length=64), nullable=False),
        sa.Column('inventory_item_id', sa.String(length=64), nullable=False),
        sa.Column('retailer_id', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('sent_hash', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('warnings', sa.JSON(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('seen_by_sync_id', sa.Integer(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('synced_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['catalog_batches.id'],
                                name=op.f('fk_catalog_items_batch_id_catalog_batches'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_catalog_items_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_items')),
        sa.UniqueConstraint('store_id', 'retailer_id',
                            name=op.f('uq_catalog_items_store_id_retailer_id')),
        sa.UniqueConstraint('store_id', 'variant_id',
                            name=op.f('uq_catalog_items_store_id_variant_id')),
    )
    op.create_index('ix_catalog_items_store_id_state_due_at', 'catalog_items',
                    ['store_id', 'state', 'due_at'])
    op.create_index('ix_catalog_items_store_id_product_id', 'catalog_items',
                    ['store_id', 'product_id'])
    op.create_index('ix_catalog_items_store_id_inventory_item_id', 'catalog_items',
                    ['store_id', 'inventory_item_id'])
    op.create_table(
        'catalog_syncs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('export_id', sa.String(length=255), nullable=True),
        sa.Column('cursor', sa.Text(), nullable=True),
        sa.Column('products', sa.Integer(), nullable=False),
        sa.Column('variants', sa.Integer(), nullable=False),
        sa.Column('changed', sa.Integer(), nullable=False),
        sa.Column('kept_out', sa.Integer(), nullable=False),
        sa.Column('deleted', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_catalog_syncs_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_syncs')),
    )
    op.create_index(op.f('ix_catalog_syncs_store_id'), 'catalog_syncs', ['store_id'])
    with op.batch_alter_table('whatsapp_accounts') as batch:
        batch.add_column(sa.Column('catalog_name', sa.String(length=255), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('catalog_visible', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('cart_enabled', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('catalog_connected_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('catalog_throttled_until', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('whatsapp_accounts') as batch:
        batch.drop_column('catalog_throttled_until')
        batch.drop_column('catalog_connected_at')
        batch.drop_column('cart_enabled')
        batch.drop_column('catalog_visible')
        batch.drop_column('catalog_name')
    op.drop_table('catalog_syncs')
    op.drop_table('catalog_items')
    op.drop_table('catalog_batches')
