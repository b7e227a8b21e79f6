"""messages.clicked_at, replied_at, opted_out_at: what the shopper did after a message, kept
once per message so that the analytics count a second click or reply no more

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0042'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('clicked_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('replied_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('opted_out_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('opted_out_at')
        batch.drop_column('replied_at')
        batch.drop_column('clicked_at')
