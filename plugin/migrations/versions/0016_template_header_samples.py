"""template header sample files

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

A template with an image, video or PDF header keeps its sample file beside its draft: Meta
takes the sample only as a handle from its Resumable Upload API, so the file is uploaded at
each submission, and a rejected template can be fixed and resubmitted without the owner
choosing the file again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('templates') as batch:
        batch.add_column(sa.Column('header_sample', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('header_sample_type', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('templates') as batch:
        batch.drop_column('header_sample_type')
        batch.drop_column('header_sample')
