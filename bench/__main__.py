"""`python -m bench` (`make bench`): every benchmark in turn, each printing its JSON.

Arguments go to the ingest benchmark (see bench/README.md); the others run with their
defaults and can be run alone: `python -m bench.send`, `python -m bench.journey`,
`python -m bench.api`, `python -m bench.widget`, `python -m bench.catalog`,
`python -m bench.alerts`, `python -m bench.carts`, `python -m bench.campaign`,
`python -m bench.campaign_codes`, `python -m bench.cross_sell`, `python -m bench.inbox`,
`python -m bench.answers`, `python -m bench.analytics`.
"""
import sys

from bench import (
    alerts,
    analytics,
    answers,
    api,
    campaign,
    campaign_codes,
    carts,
    catalog,
    cross_sell,
    inbox,
    ingest,
    journey,
    send,
    widget,
)

codes = [ingest.main(sys.argv[1:])]
for bench in (send, journey, api, widget, catalog, alerts, carts, campaign, campaign_codes,
              cross_sell, inbox, answers, analytics):
    codes.append(bench.main([]))
raise SystemExit(max(codes))
