"""keyword_rules: a store's ordered keyword rules (match words, then reply, tag, assign or
hand over)

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06

The first enabled rule, by position, that an inbound text matches acts; a person removed
from the store leaves the rule without an assignee (SET NULL).
"""
import sqlalchemy as sa
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'keyword_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('match', sa.String(length=10), nullable=False),
        sa.Column('words', sa.JSON(), nullable=False),
        sa.Column('reply', sa.Text(), nullable=False),
        sa.Column('buttons', sa.JSON(), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('hand_over', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_keyword_rules_store_id_stores'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['assignee_id'], ['owners.id'],
                                name=op.f('fk_keyword_rules_assignee_id_owners'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword_rules')),
    )
    op.create_index('ix_keyword_rules_store_id_position', 'keyword_rules',
                    ['store_id', 'position'])
    op.create_index(op.f('ix_keyword_rules_assignee_id'), 'keyword_rules', ['assignee_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_keyword_rules_assignee_id'), table_name='keyword_rules')
    op.drop_index('ix_keyword_rules_store_id_position', table_name='keyword_rules')
    op.drop_table('keyword_rules')
