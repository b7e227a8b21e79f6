"""WhatsApp Cloud API: the client, message bodies within Meta's limits, and notifications read
into domain updates."""
