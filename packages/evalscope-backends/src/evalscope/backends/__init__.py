"""evalscope adapters: transformers, OpenAI-compatible services, the local server, stores, hubs."""
