"""Publish posts to social platforms: adapters, errors and credential encryption."""
