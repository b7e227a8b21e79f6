"""store_members and store_invites: a store's team beside its owner

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06

A member is an account with a role (agent or admin) in one store; an invitation is a
one-use, expiring link for an email and a role, kept as the hash of its secret.
"""
import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'store_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_store_members_store_id_stores'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['owner_id'], ['owners.id'],
                                name=op.f('fk_store_members_owner_id_owners'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_store_members')),
        sa.UniqueConstraint('store_id', 'owner_id',
                            name=op.f('uq_store_members_store_id_owner_id')),
    )
    op.create_index(op.f('ix_store_members_store_id'), 'store_members', ['store_id'])
    op.create_index(op.f('ix_store_members_owner_id'), 'store_members', ['owner_id'])
    op.create_table(
        'store_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_by', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_store_invites_store_id_stores'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_store_invites')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_store_invites_token_hash')),
    )
    op.create_index(op.f('ix_store_invites_store_id'), 'store_invites', ['store_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_store_invites_store_id'), table_name='store_invites')
    op.drop_table('store_invites')
    op.drop_index(op.f('ix_store_members_owner_id'), table_name='store_members')
    op.drop_index(op.f('ix_store_members_store_id'), table_name='store_members')
    op.drop_table('store_members')
