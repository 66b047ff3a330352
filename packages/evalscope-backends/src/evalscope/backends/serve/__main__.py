"""`python -m evalscope.backends.serve --model NAME ...`."""

import sys

from evalscope.backends.serve.cli import serve

if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:2] == ["serve"]:  # also accept `python -m evalscope.backends.serve serve ...`
        del sys.argv[1]
    serve(prog_name="evalscope serve")
