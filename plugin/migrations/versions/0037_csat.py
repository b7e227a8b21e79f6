"""csat_surveys: the post-delivery satisfaction survey, one per delivered order

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'csat_surveys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=255), nullable=True),
        sa.Column('delivered_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_csat_surveys_store_id_stores'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_csat_surveys_order_id_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_csat_surveys_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_csat_surveys_message_id_messages'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_csat_surveys')),
        sa.UniqueConstraint('store_id', 'order_id',
                            name=op.f('uq_csat_surveys_store_id_order_id')),
    )
    op.create_index('ix_csat_surveys_state_due_at', 'csat_surveys', ['state', 'due_at'])
    op.create_index(op.f('ix_csat_surveys_customer_id'), 'csat_surveys', ['customer_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_csat_surveys_customer_id'), table_name='csat_surveys')
    op.drop_index('ix_csat_surveys_state_due_at', table_name='csat_surveys')
    op.drop_table('csat_surveys')
