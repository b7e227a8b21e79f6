"""Shopify: webhook payloads into domain events, and the Admin GraphQL client."""
