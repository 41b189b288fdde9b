"""Spiders of the portal-audit gatherer."""
