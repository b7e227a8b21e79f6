"""`python -m bench`: run the ingest benchmark and print its JSON."""
from bench.ingest import main

raise SystemExit(main())
