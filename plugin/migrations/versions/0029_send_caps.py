"""send caps and the batch send engine: per-store marketing limits, holds, deadlines

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06

Stores gain their marketing limits (weekly cap, the stricter cap for `at_risk` customers
and its period, quiet hours), which were constants in plugin.domain.policy. Customers gain
marketing_held_until (Meta's 131049: no marketing to them before then). Messages gain
send_by, a deadline past which they are skipped. WhatsApp accounts gain
marketing_messages_api: onboarded to Meta's Marketing Messages API. Plain add_column only:
stores, customers and messages are referenced by other tables with ON DELETE CASCADE.
"""
import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('stores', sa.Column('marketing_weekly_cap', sa.Integer(), nullable=False,
                                      server_default='2'))
    op.add_column('stores', sa.Column('at_risk_cap', sa.Integer(), nullable=False,
                                      server_default='1'))
    op.add_column('stores', sa.Column('at_risk_cap_days', sa.Integer(), nullable=False,
                                      server_default='10'))
    op.add_column('stores', sa.Column('quiet_start_hour', sa.Integer(), nullable=False,
                                      server_default='21'))
    op.add_column('stores', sa.Column('quiet_end_hour', sa.Integer(), nullable=False,
                                      server_default='9'))
    op.add_column('customers', sa.Column('marketing_held_until', sa.DateTime(), nullable=True))
    op.add_column('messages', sa.Column('send_by', sa.DateTime(), nullable=True))
    op.add_column('whatsapp_accounts', sa.Column('marketing_messages_api', sa.Boolean(),
                                                 nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('whatsapp_accounts', 'marketing_messages_api')
    op.drop_column('messages', 'send_by')
    op.drop_column('customers', 'marketing_held_until')
    for column in ('quiet_end_hour', 'quiet_start_hour', 'at_risk_cap_days', 'at_risk_cap',
                   'marketing_weekly_cap'):
        op.drop_column('stores', column)
