"""WooCommerce: webhook and cart-event payloads into domain events, and the REST v3 client."""
