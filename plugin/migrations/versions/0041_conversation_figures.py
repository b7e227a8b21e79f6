"""conversation figures: daily conversation and keyword rollups, reply clocks, number health

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06

Filled as events arrive from the upgrade on; conversations before it have no figures.
"""
import sqlalchemy as sa
from alembic import op

revision = '0041'
down_revision = '0040'
branch_labels = None
depends_on = None


def _store() -> sa.Column:
    return sa.Column('store_id', sa.Integer(), sa.ForeignKey('stores.id', ondelete='CASCADE'),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        'conversation_rollups',
        sa.Column('id', sa.Integer(), primary_key=True), _store(),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figure', sa.String(24), nullable=False),
        sa.Column('detail', sa.String(24), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.UniqueConstraint('store_id', 'day', 'figure', 'detail',
                            name='uq_conversation_rollups_key'),
    )
    op.create_table(
        'keyword_rollups',
        sa.Column('id', sa.Integer(), primary_key=True), _store(),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('language', sa.String(8), nullable=False),
        sa.Column('term', sa.String(80), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.UniqueConstraint('store_id', 'day', 'language', 'term',
                            name='uq_keyword_rollups_key'),
    )
    op.create_index('ix_keyword_rollups_trends', 'keyword_rollups',
                    ['store_id', 'language', 'term', 'day', 'n'])
    op.create_table(
        'reply_clocks',
        sa.Column('id', sa.Integer(), primary_key=True), _store(),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('open', sa.Boolean(), nullable=False),
        sa.Column('waiting_since', sa.DateTime(), nullable=True),
        sa.Column('team_waiting_since', sa.DateTime(), nullable=True),
        sa.Column('first_pending', sa.Boolean(), nullable=False),
        sa.Column('team_first_pending', sa.Boolean(), nullable=False),
        sa.UniqueConstraint('store_id', 'customer_id'),
    )
    op.create_table(
        'number_health',
        sa.Column('id', sa.Integer(), primary_key=True), _store(),
        sa.Column('waba_id', sa.String(64), nullable=False),
        sa.Column('display_phone_number', sa.String(32), nullable=False),
        sa.Column('flagged', sa.Boolean(), nullable=True),
        sa.Column('quality_event', sa.String(40), nullable=False),
        sa.Column('messaging_limit', sa.String(40), nullable=False),
        sa.Column('business_limit', sa.String(40), nullable=False),
        sa.Column('account_event', sa.String(60), nullable=False),
        sa.Column('account_detail', sa.String(255), nullable=False),
        sa.Column('reported_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('store_id', 'waba_id', 'display_phone_number'),
    )
    op.create_index('ix_number_health_store_id', 'number_health', ['store_id'])


def downgrade() -> None:
    op.drop_index('ix_number_health_store_id', 'number_health')
    op.drop_index('ix_keyword_rollups_trends', 'keyword_rollups')
    for table in ('number_health', 'reply_clocks', 'keyword_rollups', 'conversation_rollups'):
        op.drop_table(table)
