"""Model providers that ship with core (no dependencies)."""
