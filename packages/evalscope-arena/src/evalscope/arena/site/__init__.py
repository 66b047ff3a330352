"""The arena's page of the report site (`evalscope app`), registered through the
`evalscope.site_pages` entry-point group: the report site never imports the arena package, and
this page is loaded only when the site starts with both installed.

`records` reads arena runs through the result-store port (no Dash); `page` lays them out.
"""
