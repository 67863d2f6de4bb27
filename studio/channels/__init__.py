"""Channels: the accounts a brand publishes to, and the sandbox feed."""
