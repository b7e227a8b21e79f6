"""The owner's pages and the JSON API, one module per section (home, journeys, messages,
WhatsApp, API). Every route sits behind `plugin.auth.guard.protect`."""
