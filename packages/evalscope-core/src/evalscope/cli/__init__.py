"""The `evalscope` command line (click). Sub-commands of other packages arrive through entry points."""
