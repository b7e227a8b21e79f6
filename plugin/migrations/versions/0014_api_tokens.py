"""api tokens

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-20
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('lookup', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                            name=op.f('fk_api_tokens_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('lookup', name=op.f('uq_api_tokens_lookup'))
    )
    op.create_index(op.f('ix_api_tokens_store_id'), 'api_tokens', ['store_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_tokens_store_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
