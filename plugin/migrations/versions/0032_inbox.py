"""team inbox: conversations, received_messages, conversation_notes, quick_replies

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

One conversation per (store, customer); every message a customer sends is kept in
received_messages (unique on its wamid, media downloaded once); what we send stays in the
outbox (messages), which gains an index on (customer_id, id) for the thread. Notes are private
to the team; quick replies are a store's saved answers.
"""
import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        'conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('snoozed_until', sa.DateTime(), nullable=True),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('unread', sa.Integer(), nullable=False),
        sa.Column('last_message_at', sa.DateTime(), nullable=False),
        sa.Column('last_preview', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        _fk('conversations', 'store_id', 'stores', 'CASCADE'),
        _fk('conversations', 'customer_id', 'customers', 'CASCADE'),
        _fk('conversations', 'assignee_id', 'owners', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
        sa.UniqueConstraint('store_id', 'customer_id',
                            name=op.f('uq_conversations_store_id_customer_id')),
    )
    op.create_index('ix_conversations_store_id_last_message_at', 'conversations',
                    ['store_id', 'last_message_at'])
    op.create_index('ix_conversations_store_id_updated_at', 'conversations',
                    ['store_id', 'updated_at'])
    op.create_index('ix_conversations_store_id_unread_assignee_id', 'conversations',
                    ['store_id', 'unread', 'assignee_id'])
    op.create_index(op.f('ix_conversations_assignee_id'), 'conversations', ['assignee_id'])
    op.create_table(
        'received_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('wamid', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('payload', sa.String(length=256), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('media_id', sa.String(length=128), nullable=True),
        sa.Column('media_type', sa.String(length=20), nullable=True),
        sa.Column('media_state', sa.String(length=12), nullable=True),
        sa.Column('media_mime', sa.String(length=100), nullable=True),
        sa.Column('media_size', sa.Integer(), nullable=True),
        sa.Column('media_path', sa.String(length=255), nullable=True),
        sa.Column('media_note', sa.String(length=255), nullable=True),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        _fk('received_messages', 'store_id', 'stores', 'CASCADE'),
        _fk('received_messages', 'conversation_id', 'conversations', 'CASCADE'),
        _fk('received_messages', 'customer_id', 'customers', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_received_messages')),
        sa.UniqueConstraint('wamid', name=op.f('uq_received_messages_wamid')),
    )
    op.create_index('ix_received_messages_conversation_id_id', 'received_messages',
                    ['conversation_id', 'id'])
    op.create_index(op.f('ix_received_messages_customer_id'), 'received_messages',
                    ['customer_id'])
    # The thread reads a customer's newest outbox messages: (customer_id, id) walks them
    # newest first instead of the primary key backwards filtered by customer.
    op.create_index('ix_messages_customer_id_id', 'messages', ['customer_id', 'id'])
    op.create_table(
        'conversation_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=255), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _fk('conversation_notes', 'store_id', 'stores', 'CASCADE'),
        _fk('conversation_notes', 'conversation_id', 'conversations', 'CASCADE'),
        _fk('conversation_notes', 'author_id', 'owners', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_notes')),
    )
    op.create_index(op.f('ix_conversation_notes_conversation_id'), 'conversation_notes',
                    ['conversation_id'])
    op.create_table(
        'quick_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('shortcut', sa.String(length=32), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _fk('quick_replies', 'store_id', 'stores', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quick_replies')),
        sa.UniqueConstraint('store_id', 'shortcut',
                            name=op.f('uq_quick_replies_store_id_shortcut')),
    )


def downgrade() -> None:
    op.drop_index('ix_messages_customer_id_id', table_name='messages')
    op.drop_table('quick_replies')
    op.drop_table('conversation_notes')
    op.drop_table('received_messages')
    op.drop_table('conversations')
