"""StoreChat's tables: typed SQLAlchemy 2 models. Timestamps are naive UTC (see db.utcnow)."""
from plugin.models.alerts import AlertKind, AlertState, AlertSubscription, PriceDropAlert
from plugin.models.analytics import MessageRollup
from plugin.models.api_tokens import ApiToken
from plugin.models.assistant import AssistantSettings
from plugin.models.attribution import (
    AdOrder,
    AdRollup,
    LiftMember,
    LiftRollup,
    OrderAttribution,
    RevenueRollup,
)
from plugin.models.auto_answers import AnswerSettings
from plugin.models.base import Base
from plugin.models.campaigns import Campaign, CampaignClick, CampaignCode
from plugin.models.carts import CartCheckout, CartState
from plugin.models.catalog import (
    BatchState,
    CatalogBatch,
    CatalogItem,
    CatalogSync,
    ItemState,
    SyncKind,
    SyncState,
)
from plugin.models.catalog_sandbox import SandboxCatalogBatch, SandboxCatalogItem
from plugin.models.checkouts import Checkout
from plugin.models.conversation_figures import (
    ConversationRollup,
    KeywordRollup,
    NumberHealth,
    ReplyClock,
)
from plugin.models.cross_sell import CrossSellOffer, CrossSellPair, OfferState
from plugin.models.csat import CsatSurvey, SurveyState
from plugin.models.customers import ConsentEntry, Customer
from plugin.models.events import EventState, InboundEvent
from plugin.models.exports import DataExport
from plugin.models.inbox import Conversation, ConversationNote, QuickReply, ReceivedMessage
from plugin.models.keyword_rules import KeywordRule
from plugin.models.members import StoreInvite, StoreMember
from plugin.models.messages import Message
from plugin.models.operations import Heartbeat, RateLimitCounter
from plugin.models.orders import Order
from plugin.models.owners import OneTimeToken, Owner, WebSession
from plugin.models.recoveries import RecoveryStep, StepState
from plugin.models.segments import CustomerTag, Segment, TagSettings
from plugin.models.stores import Store, StoreStatus, WhatsAppAccount
from plugin.models.templates import Automation, Template, TemplateSource
from plugin.models.widget import WidgetCounter, WidgetSettings

__all__ = [
    "AdOrder",
    "AdRollup",
    "LiftMember",
    "LiftRollup",
    "OrderAttribution",
    "RevenueRollup",
    "AlertKind",
    "AlertState",
    "AlertSubscription",
    "PriceDropAlert",
    "AnswerSettings",
    "ApiToken",
    "Automation",
    "Base",
    "BatchState",
    "CartCheckout",
    "CartState",
    "CatalogBatch",
    "CatalogItem",
    "CatalogSync",
    "Checkout",
    "ConsentEntry",
    "Customer",
    "CustomerTag",
    "DataExport",
    "EventState",
    "Heartbeat",
    "InboundEvent",
    "ItemState",
    "Message",
    "OneTimeToken",
    "Order",
    "RateLimitCounter",
    "RecoveryStep",
    "Owner",
    "SandboxCatalogBatch",
    "SandboxCatalogItem",
    "Segment",
    "Store",
    "StoreStatus",
    "StepState",
    "SyncKind",
    "SyncState",
    "TagSettings",
    "Template",
    "TemplateSource",
    "WebSession",
    "WhatsAppAccount",
    "WidgetCounter",
    "WidgetSettings",
    "Campaign",
    "CampaignClick",
    "CampaignCode",
    "CrossSellOffer",
    "CrossSellPair",
    "OfferState",
    "Conversation",
    "ConversationNote",
    "QuickReply",
    "ReceivedMessage",
    "StoreInvite",
    "StoreMember",
    "AssistantSettings",
    "KeywordRule",
    "CsatSurvey",
    "SurveyState",
    "MessageRollup",
    "ConversationRollup",
    "KeywordRollup",
    "ReplyClock",
    "NumberHealth",
]
