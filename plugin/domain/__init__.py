"""The domain core: StoreChat's rules as pure functions of data.

Nothing in this package does I/O: no Flask, no SQLAlchemy session, no HTTP, no clock reads
(callers pass `now`). Adapters translate platform payloads into these types; jobs load rows,
call these functions and store what they return. Tests run them without a database.
"""
