"""What runs on the storefront: the click-to-chat widget, its config endpoint, the Shopify
theme app extension and the WordPress companion plugin (see the widget issue)."""
