"""Memory of `evalscope serve` around very large prompts: does RSS come back after them?

Starts `evalscope serve` on 127.0.0.1 (a free port), sends one small warm-up request, then
`--count` chat requests of `--prompt-mb` MB each, one after another, then one small request again,
and prints the server's RSS (VmRSS from /proc) at each point, its peak (VmHWM) and what is still
held at the end over the warm-up level. With a context of 8192 tokens a 7 MB prompt does not fit:
today's server answers 400; an older one cut the prompt and generated.

A 7 MB prompt is refused by a bound on its length without being tokenised; a prompt of 0.6 MB
(under the bound, about 120k tokens) is tokenised before the 400, which is where memory was held:
`--prompt-mb 0.6`, with and without `--no-trim`.

Run: python bench/serve_memory.py [--prompt-mb 7] [--count 4] [--max-tokens 16] [--no-trim]
     [--pythonpath DIR:DIR ...]   (run another tree's server, e.g. an older commit's packages/*/src)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

MODEL = "smollm2-135m-instruct"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def mb(kb: int) -> str:
    return f"{kb / 1024:8.1f} MB"


def evalscope_script() -> list[str]:
    exe = Path(sys.executable).with_name("evalscope")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "evalscope.cli.main"]


def post(url: str, body: dict, timeout: float = 600) -> tuple[int, str]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def big_prompt(megabytes: float, seed: int) -> str:
    """Plain English-like text of about `megabytes` MB, different per seed (no caching helps)."""
    words = ["alpha", "river", "stone", "quiet", "number", "window", "garden", "signal", "paper", "orbit"]
    out, size, i = [], 0, seed
    target = int(megabytes * 1024 * 1024)
    while size < target:
        word = f"{words[i % len(words)]}{i % 97}"
        out.append(word)
        size += len(word) + 1
        i += 7
    return " ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompt-mb", type=float, default=7.0)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--pythonpath", default=None, help="prepended to the server's PYTHONPATH")
    parser.add_argument("--no-trim", action="store_true", help="serve without malloc_trim, to compare")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before reading RSS")
    args = parser.parse_args()

    port = free_port()
    env = dict(os.environ)
    if args.no_trim:
        env["EVALSCOPE_MALLOC_TRIM"] = "0"
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    log = tempfile.NamedTemporaryFile(prefix="serve-memory-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [*evalscope_script(), "serve", "--model", MODEL, "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 600
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start; log: {log.name}")
            try:
                urllib.request.urlopen(f"{base}/models", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)

        def rss(label: str) -> int:
            time.sleep(args.settle)
            value = status_kb(server.pid, "VmRSS")
            print(f"{label:<34} RSS {mb(value)}", flush=True)
            return value

        small = {"model": MODEL, "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": args.max_tokens}
        rss("ready")
        status, _ = post(f"{base}/chat/completions", small)
        warm = rss(f"after a small request ({status})")
        for i in range(args.count):
            body = {
                "model": MODEL,
                "messages": [{"role": "user", "content": big_prompt(args.prompt_mb, i)}],
                "max_tokens": args.max_tokens,
            }
            started = time.perf_counter()
            status, text = post(f"{base}/chat/completions", body)
            took = time.perf_counter() - started
            message = json.loads(text).get("error", {}).get("message", "") if status != 200 else "answered"
            rss(f"after {args.prompt_mb:g} MB prompt {i + 1} ({status}, {took:.1f}s)")
            if i == 0:
                print(f"    server said: {message[:200]}", flush=True)
        status, _ = post(f"{base}/chat/completions", small)
        end = rss(f"after a small request again ({status})")
        peak = status_kb(server.pid, "VmHWM")
        print(f"{'peak (VmHWM)':<34}     {mb(peak)}")
        print(f"{'held over the warm-up level':<34}     {mb(end - warm)}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        Path(log.name).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
