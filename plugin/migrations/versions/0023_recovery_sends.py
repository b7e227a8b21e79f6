"""cart recovery sends: a sent step's message, link and discount; recovered carts; the window

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

A sent recovery step names its outbox message, its own /t/<token> link (clicks are counted
per step) and the discount code created for it. A checkout completed within the store's
attribution window after one of our messages is recovered, with the order's total.
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only this table is rebuilt by SQLite's batch mode (for its foreign key): nothing
    # references it. `checkouts` and `stores` are parents of ON DELETE CASCADE children, so
    # they only gain plain columns; a rebuild would drop their children's rows.
    with op.batch_alter_table('checkout_recoveries') as batch:
        batch.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('link_token', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('discount_code', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('clicked_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key(op.f('fk_checkout_recoveries_message_id_messages'),
                                 'messages', ['message_id'], ['id'], ondelete='SET NULL')
    op.create_index('ix_checkout_recoveries_link_token', 'checkout_recoveries', ['link_token'],
                    unique=True)
    op.add_column('checkouts', sa.Column('recovered_at', sa.DateTime(), nullable=True))
    op.add_column('checkouts', sa.Column('recovered_total', sa.String(length=32), nullable=True))
    op.add_column('checkouts', sa.Column('recovered_currency', sa.String(length=3),
                                         nullable=True))
    op.add_column('checkouts', sa.Column('recovered_step', sa.Integer(), nullable=True))
    op.add_column('checkouts', sa.Column('recovered_clicked', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column('stores', sa.Column('recovery_attribution_days', sa.Integer(), nullable=False,
                                      server_default='7'))


def downgrade() -> None:
    op.drop_column('stores', 'recovery_attribution_days')
    for column in ('recovered_clicked', 'recovered_step', 'recovered_currency',
                   'recovered_total', 'recovered_at'):
        op.drop_column('checkouts', column)
    op.drop_index('ix_checkout_recoveries_link_token', table_name='checkout_recoveries')
    with op.batch_alter_table('checkout_recoveries') as batch:
        batch.drop_constraint(op.f('fk_checkout_recoveries_message_id_messages'),
                              type_='foreignkey')
        for column in ('clicked_at', 'sent_at', 'discount_code', 'link_token', 'message_id'):
            batch.drop_column(column)
