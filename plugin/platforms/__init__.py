"""Install and connection flows, one folder per platform (shopify/, woocommerce/, whatsapp/),
and what every store has whatever its platform (its secrets, its starter journeys)."""
