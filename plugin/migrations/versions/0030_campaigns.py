"""campaigns, their discount codes and link clicks

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06

A campaign's messages are outbox rows (cause "campaign:<id>"); these tables hold the
campaign itself (its runner lease included), the discount codes made for it, and the first
click on each message's link. New tables only: nothing existing is rebuilt.
"""
import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('template', sa.String(length=512), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('variables', sa.JSON(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=True),
        sa.Column('definition', sa.JSON(), nullable=True),
        sa.Column('discount', sa.JSON(), nullable=False),
        sa.Column('link_url', sa.String(length=2000), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=255), nullable=True),
        sa.Column('scheduled_at', sa.DateTime(), nullable=True),
        sa.Column('deadline_at', sa.DateTime(), nullable=True),
        sa.Column('attribution_days', sa.Integer(), nullable=False),
        sa.Column('written_through', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('run_until', sa.DateTime(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['segment_id'], ['segments.id'],
                                name=op.f('fk_campaigns_segment_id_segments'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_campaigns_store_id_stores'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    )
    op.create_index(op.f('ix_campaigns_store_id'), 'campaigns', ['store_id'])
    op.create_index('ix_campaigns_state_run_until', 'campaigns', ['state', 'run_until'])
    op.create_table(
        'campaign_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_codes_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_campaign_codes_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_codes')),
        sa.UniqueConstraint('campaign_id', 'code',
                            name=op.f('uq_campaign_codes_campaign_id_code')),
    )
    op.create_index('ix_campaign_codes_campaign_id_created_at', 'campaign_codes',
                    ['campaign_id', 'created_at'])
    op.create_table(
        'campaign_clicks',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('clicked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_clicks_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_campaign_clicks_message_id_messages'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('message_id', name=op.f('pk_campaign_clicks')),
    )
    op.create_index(op.f('ix_campaign_clicks_campaign_id'), 'campaign_clicks',
                    ['campaign_id'])


def downgrade() -> None:
    op.drop_table('campaign_clicks')
    op.drop_table('campaign_codes')
    op.drop_table('campaigns')
