"""The pipeline: jobs that move data from a stored webhook to a sent message.

receive (inbound) → process (orders, store events, compliance, conversations, COD answers)
→ outbox → send (send context, transports) → notes on the store's order; sweep re-finds lost work.
"""
