"""answer_settings: each store's greeting and away messages

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06

One row per store, made on the owner's first save (no row: both off). Texts are kept per
starter language as JSON; plugin.domain.auto_answers reads them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'answer_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('greeting_enabled', sa.Boolean(), nullable=False),
        sa.Column('greeting_after_days', sa.Integer(), nullable=False),
        sa.Column('greetings', sa.JSON(), nullable=False),
        sa.Column('away_enabled', sa.Boolean(), nullable=False),
        sa.Column('aways', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_answer_settings_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_settings')),
        sa.UniqueConstraint('store_id', name=op.f('uq_answer_settings_store_id')),
    )


def downgrade() -> None:
    op.drop_table('answer_settings')
