"""checkout_recoveries: cart recovery timers, one row per step and cycle of a checkout

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

Each row is a step due at a time, claimed by a worker with a lease; (state, due_at) is indexed
so a worker finds due rows without reading the ones that are not due.
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'checkout_recoveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checkout_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('cycle', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=120), nullable=True),
        sa.Column('cart_hash', sa.String(length=64), nullable=False),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'],
                                name=op.f('fk_checkout_recoveries_checkout_id_checkouts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_recoveries')),
        sa.UniqueConstraint('checkout_id', 'step', 'cycle',
                            name=op.f('uq_checkout_recoveries_checkout_id_step_cycle')),
    )
    op.create_index('ix_checkout_recoveries_state_due_at', 'checkout_recoveries',
                    ['state', 'due_at'])


def downgrade() -> None:
    op.drop_index('ix_checkout_recoveries_state_due_at', table_name='checkout_recoveries')
    op.drop_table('checkout_recoveries')
