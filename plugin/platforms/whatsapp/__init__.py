"""WhatsApp numbers: connecting a store's number and keeping its templates in step with Meta."""
