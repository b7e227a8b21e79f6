"""journeys, cod state, audit, whatsapp account details

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('automations', schema=None) as batch_op:
        # Existing rows are named after their trigger, which was unique per store until now.
        batch_op.add_column(sa.Column('journey', sa.String(length=60), nullable=True))
    op.execute("UPDATE automations SET journey = trigger")
    with op.batch_alter_table('automations', schema=None) as batch_op:
        batch_op.alter_column('journey', existing_type=sa.String(length=60), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_automations_store_id_trigger'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_automations_store_id_journey'), ['store_id', 'journey'])

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audited_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cod_state', sa.String(length=16), nullable=True))

    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meta_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('quality', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=255), nullable=True))

    with op.batch_alter_table('whatsapp_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_name', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('quality_rating', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('subscribed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('templates_synced_at', sa.DateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('whatsapp_accounts', schema=None) as batch_op:
        batch_op.drop_column('templates_synced_at')
        batch_op.drop_column('subscribed_at')
        batch_op.drop_column('quality_rating')
        batch_op.drop_column('verified_name')

    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('quality')
        batch_op.drop_column('meta_id')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('cod_state')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('audited_at')

    with op.batch_alter_table('automations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_automations_store_id_journey'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_automations_store_id_trigger'), ['store_id', 'trigger'])
        batch_op.drop_column('journey')

