"""Adapters: everything that talks to an outside API or reads its payloads.

Each translates to and from the domain types in `plugin.domain`; none handles Flask requests,
and raw provider dicts do not travel past them.
"""
