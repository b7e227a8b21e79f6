"""templates written in the app

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('templates') as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), nullable=False,
                                      server_default='meta'))
        batch_op.add_column(sa.Column('parameter_format', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('templates') as batch_op:
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('draft')
        batch_op.drop_column('parameter_format')
        batch_op.drop_column('source')
