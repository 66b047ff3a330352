"""OpenAI-compatible service adapter (`model_apis` entry points `openai` and `service`)."""
