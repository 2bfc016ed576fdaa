"""`policy_nlp.corpus.review_page` and `policy-nlp review`: the HTML, and the page in a real headless browser.

The browser test drives Debian's `chromium` over the Chrome DevTools protocol (pip `websocket-client`); it
is skipped, saying why, where either is missing. Its screenshot is saved in the test's temporary directory.
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
from typer.testing import CliRunner

import policy_nlp
from policy_nlp.cli import app
from policy_nlp.corpus.review_page import label_shares, read_documents, review_html, uncertain_labels, write_review
from policy_nlp.errors import DataError

from conftest import SEED_NAMES, seed_text

runner = CliRunner()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def reviewed(char_nlp, tmp_path_factory):
    """Seed 001 annotated with explanations, as a reviewer JSON file, and its review page."""
    tmp = tmp_path_factory.mktemp("review")
    doc = policy_nlp.annotate(seed_text(SEED_NAMES[1]), nlp=char_nlp, explain=True)
    doc.id = SEED_NAMES[1]
    src = tmp / "001.json"
    src.write_text(doc.to_json(), encoding="utf-8")
    page = tmp / "review.html"
    got = write_review([src], page)
    assert got["documents"] == 1 and got["units"] == len(doc.units)
    return doc, src, page


def test_page_has_every_unit_displacy_spans_and_no_external_assets(reviewed):
    doc, _, page = reviewed
    html = page.read_text(encoding="utf-8")
    assert html.count('<div class="unit ') == len(doc.units)
    assert html.count('class="spans"') == sum(bool(u.labels) for u in doc.units)  # displaCy's span markup
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html)
    assert "<script src" not in html and 'rel="stylesheet"' not in html
    shares = label_shares(doc)
    content = [u for u in doc.units if u.kind != "boilerplate"]
    for label, (count, share) in shares.items():
        assert count == sum(label in u.labels for u in content)
        assert f"{label} {share:.0%} ({count})" in html


def test_texts_are_escaped_and_the_data_cannot_close_its_script():
    doc = policy_nlp.AnnotatedDocument.from_dict({
        "schema": "policy_nlp.document/v1", "id": "<b>x</b>", "text": "一、</script><b>执法</b>",
        "model": {"labels": ["enforcement"], "thresholds": {"enforcement": 0.5}},
        "units": [{"start": 0, "end": 20, "text": "一、</script><b>执法</b>", "kind": "heading", "section": [],
                   "labels": ["enforcement"], "scores": {"enforcement": 0.55}}]})
    html = review_html([doc])
    assert "<b>执法</b>" not in html and "</script><b>" not in html
    assert html.count("</script>") == 2
    assert uncertain_labels(doc.units[0], {"enforcement": 0.5}) == ["enforcement"]
    assert 'data-uncertain="enforcement"' in html


def test_cli_review_from_reports_and_jsonl_and_its_errors(tmp_path, reviewed):
    doc, src, _ = reviewed
    report = tmp_path / "r.txt"
    report.write_text(seed_text(SEED_NAMES[0])[:800], encoding="utf-8")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n"
                      + json.dumps({"schema": "policy_nlp.document/v1", "id": "bad", "error": "[E056] empty"}) + "\n",
                      encoding="utf-8")
    out = tmp_path / "page.html"
    result = runner.invoke(app, ["review", str(corpus), str(report), "-o", str(out), "--segmenter", "char"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'href="#report-1"' in html and "bad: skipped" in result.output
    docs, notes = read_documents([corpus])
    assert len(docs) == 1 and notes == ["bad: skipped, [E056] empty"]
    # a report annotated now carries explanations; the file's bytes stay as they were on a failed run
    assert '"explanations": {"enforcement"' in html.replace('"explanations":{', '"explanations": {')
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["review", str(broken), "-o", str(out)])
    assert result.exit_code == 2 and "E161" in result.output
    assert out.read_text(encoding="utf-8") == html
    only_errors = tmp_path / "errors.jsonl"
    only_errors.write_text(json.dumps({"schema": "policy_nlp.document/v1", "id": "x", "error": "[E056] e"}) + "\n",
                           encoding="utf-8")
    with pytest.raises(DataError, match="E162"):
        read_documents([only_errors])


# -- the page in a real browser ------------------------------------------------------------------------------
class DevTools:
    """A minimal Chrome DevTools protocol client over one page's websocket."""

    def __init__(self, url: str):
        import websocket

        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == method:
                return msg
        raise TimeoutError(method)

    def js(self, expression: str):
        got = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in got:
            raise RuntimeError(got["exceptionDetails"])
        return got["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click at the centre of the element (scrolled into view first)."""
        box = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});e.scrollIntoView("
                      "{block:'center'});var r=e.getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2];})()")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def errors(self) -> list[dict]:
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.exceptionThrown" or (m == "Runtime.consoleAPICalled" and p.get("type") == "error") \
                    or (m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error"):
                out.append(ev)
        return out

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


@pytest.fixture
def browser(tmp_path):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    pytest.importorskip("websocket", reason="websocket-client is not installed (pip install -e '.[test]')")
    profile = tmp_path / "profile"
    proc = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync", "--no-first-run",
                             "--disable-default-apps", "--remote-debugging-port=0", "--remote-allow-origins=*",
                             "--window-size=1400,1000", f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()) and time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"chromium exited with {proc.returncode} before it listened")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            pages = [t for t in json.load(resp) if t.get("type") == "page"]
        tools = DevTools(pages[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            tools.call(f"{domain}.enable")
        yield tools
    finally:
        if tools is not None:
            tools.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_review_page_in_headless_chromium(browser, reviewed, tmp_path):
    doc, _, page = reviewed
    browser.call("Page.navigate", url=page.resolve().as_uri())
    browser.wait_for("Page.loadEventFired")
    assert browser.js("document.readyState") == "complete"
    assert browser.js("document.querySelectorAll('.unit').length") == len(doc.units)
    visible = "Array.prototype.filter.call(document.querySelectorAll('.unit'), function(e){return e.offsetParent!==null}).length"
    assert browser.js(visible) == len(doc.units)
    assert browser.js("document.getElementById('shown').textContent") == str(len(doc.units))

    # a label filter hides every unit without the label
    label = "enforcement"
    with_label = sum(label in u.labels for u in doc.units)
    assert 0 < with_label < len(doc.units)
    browser.click(f'button.filter[data-filter="{label}"]')
    assert browser.js(visible) == with_label
    assert browser.js("Array.prototype.every.call(document.querySelectorAll('.unit:not(.hidden)'), function(e){"
                      f"return e.getAttribute('data-labels').split(' ').indexOf('{label}')>=0}})")
    assert browser.js("document.getElementById('shown').textContent") == str(with_label)

    # "uncertain": the units with a score near its threshold, as the JSON says
    thresholds = doc.model["thresholds"]
    browser.click('button.filter[data-filter="__all"]')
    assert browser.js(visible) == len(doc.units)
    browser.click('button.filter[data-filter="__uncertain"]')
    assert browser.js(visible) == sum(any(abs(u.scores[l] - thresholds[l]) < 0.1 for l in thresholds)
                                      for u in doc.units if u.kind != "boilerplate")
    browser.click('button.filter[data-filter="__all"]')

    # the side panel explains a unit the reviewer clicks
    target = next(i for i, u in enumerate(doc.units) if label in u.labels)
    browser.click(f'.unit[data-i="{target}"]')
    panel = browser.js("document.getElementById('panel').innerText")
    assert doc.units[target].text[:10] in panel and "logit" in panel and "intercept" in panel
    top = doc.units[target].explanations[label]["features"][0]["name"]
    assert top in panel

    shot = browser.call("Page.captureScreenshot", format="png")
    png = base64.b64decode(shot["data"])
    (tmp_path / "review.png").write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert browser.errors() == []
