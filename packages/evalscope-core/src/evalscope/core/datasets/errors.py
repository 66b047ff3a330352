"""Errors of dataset resolution."""


class DatasetUnavailableError(RuntimeError):
    """No source could provide a dataset; the message says where we looked and how to go offline."""
