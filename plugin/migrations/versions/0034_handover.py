"""conversations.bot_silenced_until: a conversation handed over to a person

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06

While in the future, no automatic answer (keyword rules, the shop assistant, greeting and
away) speaks in the conversation; resolving it clears the column. Plain add_column:
conversations are referenced by other tables with ON DELETE CASCADE.
"""
import sqlalchemy as sa
from alembic import op

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('conversations', sa.Column('bot_silenced_until', sa.DateTime(),
                                             nullable=True))


def downgrade() -> None:
    op.drop_column('conversations', 'bot_silenced_until')
