"""Transformers backend: model loading (alias, GGUF conversion cache, hubs) and the HFModelAPI adapter."""
