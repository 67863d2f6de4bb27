"""Approvals: brand approval flows, review statuses, share links for clients, audit trail."""
