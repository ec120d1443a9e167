"""Enrichment: facts about a lead from providers found by `kind` in a registry."""
