"""Publishing adapters: one module per platform, sharing base.py."""
