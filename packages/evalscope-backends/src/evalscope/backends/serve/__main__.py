"""`python -m evalscope.backends.serve --model NAME ...`."""

from evalscope.backends.serve.cli import serve

if __name__ == "__main__":  # pragma: no cover
    serve()
