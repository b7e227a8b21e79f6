"""Benchmarks for StoreChat (`make bench`, i.e. `python -m bench`); see bench/README.md."""
