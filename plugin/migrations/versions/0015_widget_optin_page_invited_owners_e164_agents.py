"""widget opt-in page, invited owners, widget agents in E.164

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

Three small changes of issue 21:
- consent_log.page: the storefront page a widget opt-in was given on;
- owners.invited_by_id: who invited an owner (inviting shares no store);
- widget agents saved by earlier versions as bare digits (E.164 without its plus) get their
  plus back. Earlier versions read those digits against the store's country, which lost
  every agent abroad. The conversion is safe: only those versions wrote bare digits, always
  from a valid E.164 number, and a value is changed only when "+digits" is a valid number.
"""
from alembic import op
import phonenumbers
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_widget_settings = sa.table('widget_settings', sa.column('id', sa.Integer),
                            sa.column('settings', sa.JSON))


def _international(digits: str) -> str | None:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _with_plus(phone: object) -> object:
    if isinstance(phone, str) and phone.strip().isdigit():
        return _international(phone.strip()) or phone
    return phone


def _without_plus(phone: object) -> object:
    if isinstance(phone, str) and phone.startswith("+") and phone[1:].isdigit():
        return phone[1:]
    return phone


def _convert_agents(change) -> None:  # type: ignore[no-untyped-def]
    connection = op.get_bind()
    for row_id, settings in connection.execute(
            sa.select(_widget_settings.c.id, _widget_settings.c.settings)).all():
        agents = settings.get("agents") if isinstance(settings, dict) else None
        if not isinstance(agents, list):
            continue
        converted = [dict(agent, phone=change(agent.get("phone")))
                     if isinstance(agent, dict) else agent for agent in agents]
        if converted != agents:
            connection.execute(sa.update(_widget_settings)
                               .where(_widget_settings.c.id == row_id)
                               .values(settings=dict(settings, agents=converted)))


def upgrade() -> None:
    with op.batch_alter_table('consent_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page', sa.String(length=255), nullable=True))
    # A plain column, added in place (see plugin/models/owners.py for why no foreign key).
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_by_id', sa.Integer(), nullable=True))
    _convert_agents(_with_plus)


def downgrade() -> None:
    _convert_agents(_without_plus)
    # In place (SQLite 3.35+): a batch rebuild of `owners` would fire ON DELETE actions.
    op.drop_column('owners', 'invited_by_id')
    with op.batch_alter_table('consent_log', schema=None) as batch_op:
        batch_op.drop_column('page')
