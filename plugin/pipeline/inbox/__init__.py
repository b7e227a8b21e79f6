"""The team inbox's pipeline: conversations kept from the webhook (threads), inbound media
fetched once (media), replies through the outbox (compose), conversation changes (manage),
saved answers (quick_replies), and who may answer (people)."""
