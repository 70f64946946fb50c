"""Campaigns: near-duplicate grouping of a capture and who is behind each campaign."""
