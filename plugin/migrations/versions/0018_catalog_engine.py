"""catalog engine: what each batch carries per item, stock per location, the sandbox catalog

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

An index lets the sweeper find changes whose send was lost across stores. An item remembers the hash its batch carries (the verdict applies to what was sent, not to
a later change) the stock each location reported, and when a reconciliation last found it at Meta. The sandbox catalog (a number with no
WhatsApp token) keeps the items and batch verdicts Meta would keep.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_items') as batch:
        batch.add_column(sa.Column('batch_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('stock_levels', sa.JSON(), nullable=False,
                                   server_default='{}'))
        batch.add_column(sa.Column('listed_at', sa.DateTime(), nullable=True))
    op.create_index('ix_catalog_items_state_due_at', 'catalog_items', ['state', 'due_at'])
    op.create_table(
        'sandbox_catalog_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('catalog_id', sa.String(length=64), nullable=False),
        sa.Column('retailer_id', sa.String(length=100), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_catalog_items')),
        sa.UniqueConstraint('catalog_id', 'retailer_id',
                            name=op.f('uq_sandbox_catalog_items_catalog_id_retailer_id')),
    )
    op.create_table(
        'sandbox_catalog_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('catalog_id', sa.String(length=64), nullable=False),
        sa.Column('handle', sa.String(length=255), nullable=False),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_catalog_batches')),
        sa.UniqueConstraint('handle', name=op.f('uq_sandbox_catalog_batches_handle')),
    )


def downgrade() -> None:
    op.drop_table('sandbox_catalog_batches')
    op.drop_table('sandbox_catalog_items')
    op.drop_index('ix_catalog_items_state_due_at', 'catalog_items')
    with op.batch_alter_table('catalog_items') as batch:
        batch.drop_column('listed_at')
        batch.drop_column('stock_levels')
        batch.drop_column('batch_hash')
