"""evalscope viz: the report site (`evalscope app`, Dash + plotly) and the terminal dashboard
(`evalscope tui`, Textual). Both read runs, reports and per-sample results through the
`ResultStore` port and listen to the same progress events as the CLI; neither imports an adapter.
"""
