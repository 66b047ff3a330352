"""Stdlib-only network clients shared by the load tester and the service providers."""
