"""status times and webhook body retention

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Only processed rows whose body is still there: the purge's look is a short range scan,
# and a fresh delivery (processed_at NULL) costs the ingest path no index entry.
_WHERE = sa.text("processed_at IS NOT NULL AND body_purged_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('inbound_events') as batch_op:
        batch_op.add_column(sa.Column('body_purged_at', sa.DateTime(), nullable=True))
    op.create_index('ix_inbound_events_body_retention', 'inbound_events', ['processed_at'],
                    unique=False, sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade() -> None:
    op.drop_index('ix_inbound_events_body_retention', table_name='inbound_events',
                  sqlite_where=_WHERE, postgresql_where=_WHERE)
    with op.batch_alter_table('inbound_events') as batch_op:
        batch_op.drop_column('body_purged_at')
    with op.batch_alter_table('messages') as batch_op:
        batch_op.drop_column('failed_at')
