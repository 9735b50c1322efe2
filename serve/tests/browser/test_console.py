"""The console in a real browser: Chromium (the distribution's package) driven by Playwright.

Starts `cordon serve` on a free port, loads each page, fills the try form as a person would
(by the fields' labels), submits it, reads the decision, opens a witness from the diff page and
uploads a corpus. A screenshot of each page is saved in docs/console/ (the README shows them).

Run from the repository's root: CORDON_BIN=target/debug/cordon python3 -m unittest -v
serve/tests/browser/test_console.py
"""

import json
import os
import re
import socket
import subprocess
import time
import unittest
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs" / "console"
CHROMIUM = os.environ.get("CORDON_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flatten(value, path=""):
    """A transaction's facts as (JSON path, value) pairs, as the form names its fields."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from flatten(inner, f"{path}.{name}" if path else name)
    elif isinstance(value, bool):
        yield path, "true" if value else "false"
    elif value is not None:
        yield path, str(value)


def field(page, path):
    """The form's control for a fact, found by its label (`item.tpp`, maybe `(optional)` after)."""
    return page.get_by_label(re.compile("^" + re.escape(path) + r"( \(.*\))?$"))


class Console(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary = os.environ.get("CORDON_BIN", str(ROOT / "target" / "debug" / "cordon"))
        port = free_port()
        cls.base = f"http://127.0.0.1:{port}"
        cls.server = subprocess.Popen(
            [binary, "serve", "--policy", str(ROOT / "policies" / "ear"), "--addr", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(cls.base + "/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or cls.server.poll() is not None:
                cls.server.kill()
                raise RuntimeError("cordon serve did not become ready")
            time.sleep(0.2)
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        SHOTS.mkdir(parents=True, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        cls.server.terminate()
        cls.server.wait(timeout=30)

    def setUp(self):
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.set_default_timeout(30_000)

    def tearDown(self):
        self.page.close()

    def test_versions_document(self):
        page = self.page
        page.goto(self.base + "/")
        expect(page.get_by_role("heading", name="Policy ear")).to_be_visible()
        page.screenshot(path=str(SHOTS / "index.png"))
        page.get_by_role("link", name="2025-01-13", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Version 2025-01-13")
        expect(page.get_by_role("heading", name="Module classification")).to_be_visible()
        page.screenshot(path=str(SHOTS / "version.png"))
        search = page.get_by_label("Search provisions by name, citation or country")
        search.fill("China")
        search.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("provisions match")
        expect(page.get_by_text("China (CN)").first).to_be_visible()

    def test_try_a_transaction(self):
        page = self.page
        page.goto(self.base + "/try")
        # Keyboard first: the first Tab reaches the skip link; every control has a label.
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select')]
                 .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        self.assertEqual(unlabelled, [])
        facts = json.loads((ROOT / "examples" / "h100-to-india.json").read_text())
        for path, value in flatten(facts):
            control = field(page, path)
            if control.evaluate("e => e.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        page.get_by_role("button", name="Decide").click()
        expect(page.get_by_role("heading", name="Decision")).to_be_visible()
        self.assertEqual(page.locator("[data-outcome=license_required]").inner_text(), "no")
        expect(page.get_by_text("(in force on that date)")).to_be_visible()

        # Pinned to the AI Diffusion rule as written, the same facts need a license.
        page.get_by_label("Version").select_option("2025-01-13")
        page.get_by_role("button", name="Decide").click()
        expect(page.get_by_text("(pinned)")).to_be_visible()
        self.assertEqual(page.locator("[data-outcome=license_required]").inner_text(), "yes")
        expect(page.get_by_role("heading", name="Which provisions decided")).to_be_visible()
        page.screenshot(path=str(SHOTS / "try.png"))

        # The link reproduces the question.
        link = page.get_by_role("link", name="Link to this question").get_attribute("href")
        page.goto(self.base + link)
        self.assertEqual(page.locator("[data-outcome=license_required]").inner_text(), "yes")

        # A value that is not a number: the error is next to its field.
        field(page, "item.tpp").fill("high")
        page.get_by_role("button", name="Decide").click()
        expect(page.get_by_role("alert").first).to_contain_text("expected a number")
        expect(field(page, "item.tpp")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("[id='e-item.tpp']")).to_contain_text("expected a number")

    def test_review_a_diff(self):
        page = self.page
        page.goto(self.base + "/diff")
        page.get_by_label("From (the older version)").select_option("2025-05-13")
        page.get_by_label("To (the newer version)").select_option("2026-01-15")
        page.get_by_role("button", name="Compare").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("from 2025-05-13 to 2026-01-15")
        expect(page.get_by_role("heading", name="Provisions changed (6)")).to_be_visible()
        # The regions arrive from the diff pool; the page reloads itself until they are here.
        expect(page.get_by_text("regions of the input space")).to_be_visible(timeout=300_000)
        page.get_by_role("heading", name="Outcomes over all transactions").evaluate("e => e.scrollIntoView()")
        page.screenshot(path=str(SHOTS / "diff.png"))

        # A corpus, uploaded, grouped by change.
        page.get_by_label("A corpus").set_input_files(str(ROOT / "tests" / "diff" / "ear-corpus.jsonl"))
        page.get_by_role("button", name="Compare the corpus").click()
        expect(page.get_by_text("8 changed")).to_be_visible()
        page.get_by_role("heading", name="Outcomes over a corpus").evaluate("e => e.scrollIntoView()")
        page.screenshot(path=str(SHOTS / "diff-corpus.png"))

        # A witness opens in the try view and is decided there.
        page.get_by_role("link", name=re.compile(r"^Witness 1 under 2026-01-15$")).click()
        expect(page.get_by_role("heading", name="Decision")).to_be_visible()
        expect(page.get_by_text("(pinned)")).to_be_visible()


if __name__ == "__main__":
    unittest.main()
