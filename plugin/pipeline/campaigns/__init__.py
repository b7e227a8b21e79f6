"""Campaigns in the pipeline: the message each recipient gets (plan), its discount codes
(codes), the held outbox rows written for a segment (materialise), the durable run that
releases them in slices (runner, delivery), the owner's controls (controls), link clicks
(links) and the figures (results)."""
