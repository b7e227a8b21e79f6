"""Infrastructure: the database, the job queue, leases, rate limits, secrets at rest,
migrations, health, error pages and the process supervisor. Nothing here knows a store, an
order or a message."""
