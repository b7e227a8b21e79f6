"""Product alerts: shoppers' subscriptions to a variant (subscriptions), their release when
stock comes back (release), and the alert button's /t/<token> link (links)."""
