"""`evalscope perf`: a load tester for OpenAI-compatible serving endpoints."""
