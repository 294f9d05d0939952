"""Headless Chromium (Debian's `chromium`) for the end-to-end tests of the
report and the dashboard: load a page, let it run, and read back the DOM and a
screenshot. The page writes what it drew into <pre id="gdsweep-summary">."""
import html
import json
import os
import re
import shutil
import subprocess
import tempfile

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Where screenshots are kept for people to look at (ctest sets it to the build folder).
ARTIFACTS = os.environ.get("GDSWEEP_TEST_ARTIFACTS", os.path.join(tempfile.gettempdir(), "gdsweep-artifacts"))


def _run(url, extra, budget_ms, timeout):
    profile = tempfile.mkdtemp(prefix="gdsweep-chromium-")
    try:
        cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--disable-background-networking", "--no-proxy-server", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", *extra, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(url, screenshot=None, budget_ms=8000, timeout=90, window="1400,5200"):
    """The page's DOM once virtual time has run `budget_ms` (timers, frames);
    with `screenshot`, also a PNG of the page saved under ARTIFACTS."""
    extra = ["--dump-dom", f"--window-size={window}"]
    path = None
    if screenshot:
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.abspath(os.path.join(ARTIFACTS, screenshot))
        extra.append(f"--screenshot={path}")
    proc = _run(url, extra, budget_ms, timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    if path and not os.path.exists(path):
        raise RuntimeError(f"chromium wrote no screenshot: {proc.stderr[-2000:]}")
    return proc.stdout


def summary_of(dom):
    """The JSON the page wrote into #gdsweep-summary, or None."""
    m = re.search(r'<pre id="gdsweep-summary"[^>]*>(.*?)</pre>', dom, re.S)
    if not m or not m.group(1).strip():
        return None
    return json.loads(html.unescape(m.group(1)))
