"""Placeholder during the build."""
