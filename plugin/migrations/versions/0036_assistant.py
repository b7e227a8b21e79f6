"""assistant_settings: each store's shop assistant (on/off, intents, what a cancel does)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06

One row per store, made on the owner's first save (no row: the assistant is off).
"""
import sqlalchemy as sa
from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'assistant_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('intents', sa.JSON(), nullable=False),
        sa.Column('on_cancel', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_assistant_settings_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assistant_settings')),
        sa.UniqueConstraint('store_id', name=op.f('uq_assistant_settings_store_id')),
    )


def downgrade() -> None:
    op.drop_table('assistant_settings')
