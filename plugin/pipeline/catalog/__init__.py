"""Catalog sync: the store's variants kept in its Meta catalog, every batch checked."""
