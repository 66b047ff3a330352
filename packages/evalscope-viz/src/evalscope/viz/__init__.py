"""evalscope viz: the report site and the terminal dashboard, reading the same records and progress events as the CLI (later issue)."""
