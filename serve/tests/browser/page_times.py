"""How long the console takes to answer each page on policies/ear: the median and the slowest of
20 requests, after the diff caches are warm (the exhaustive regions are computed once per pair
of versions, in the background). Prints a Markdown table for the README.

Run from the repository's root: python3 serve/tests/browser/page_times.py target/release/cordon
"""

import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).parent))
from test_console import flatten  # noqa: E402


def fetch(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as answer:
        body = answer.read()
    return (time.perf_counter() - started) * 1000, body


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "release" / "cordon")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [binary, "serve", "--policy", str(ROOT / "policies" / "ear"), "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                fetch(base + "/ready")
                break
            except OSError:
                time.sleep(0.1)
        facts = json.loads((ROOT / "examples" / "h100-to-india.json").read_text())
        question = urllib.parse.urlencode(list(flatten(facts)))
        pages = [
            ("/", "/"),
            ("/versions/2025-01-13", "/versions/2025-01-13"),
            ("/versions/2025-01-13?q=China", "/versions/2025-01-13?q=China"),
            ("/try (the empty form)", "/try"),
            ("/try (H100s to India, decided and explained)", "/try?" + question),
            ("/diff?from=2025-05-13&to=2026-01-15", "/diff?from=2025-05-13&to=2026-01-15"),
            ("/diff?from=2024-12-02&to=2025-01-13", "/diff?from=2024-12-02&to=2025-01-13"),
        ]
        for _, path in pages:
            if path.startswith("/diff"):
                started = time.perf_counter()
                while b"regions</strong> of the input space" not in fetch(base + path)[1]:
                    time.sleep(0.2)
                print(f"regions of {path}: first computed in {time.perf_counter() - started:.1f} s",
                      file=sys.stderr)
        print("| page | median | slowest of 20 | size |")
        print("| --- | --- | --- | --- |")
        for name, path in pages:
            times = []
            size = 0
            for _ in range(20):
                elapsed, body = fetch(base + path)
                times.append(elapsed)
                size = len(body)
            print(f"| `{name}` | {statistics.median(times):.1f} ms | {max(times):.1f} ms | {size // 1024} KiB |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
