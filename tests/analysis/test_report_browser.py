"""The report renders in a real browser: headless Chromium loads index.html from disk, runs its
inline script, decodes every chart, and shows the verdict table. The screenshot is kept in
tests/artifacts/ (gitignored) for a human to look at.

Needs Debian's chromium (``apt-get install -y chromium``); skipped when it is not installed.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis.render import write_report

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # belt and braces: the page is a file and references nothing, but resolve no host at all
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1280,2000",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium); it renders the report",
)


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def rendered(demo_database: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("browser")
    con = duckdb.connect(str(demo_database[0]), read_only=True)
    try:
        files = write_report(con, out / "report", demo=True)
    finally:
        con.close()
    assert files.index is not None
    url = files.index.resolve().as_uri()
    dom = _chromium(["--dump-dom", url], out / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    run = _chromium([f"--screenshot={shot}", url], out / "profile-shot")
    assert run.returncode == 0, run.stderr[-2000:]
    return {
        "files": files,
        "soup": BeautifulSoup(dom.stdout, "html.parser"),
        "source": BeautifulSoup(files.index.read_text(encoding="utf-8"), "html.parser"),
        "shot": shot,
    }


def test_every_chart_decodes(rendered: dict[str, Any]) -> None:
    soup, source = rendered["soup"], rendered["source"]
    body = soup.body
    assert body is not None
    # set by the page's own script after checking every image's naturalWidth > 0
    assert body.get("data-ok") == "true"
    images = soup.find_all("img")
    assert body.get("data-images") == str(len(images)) == str(len(source.find_all("img")))
    assert len(images) == 4  # two venues, the small multiples and the stacked shares
    assert all(str(img["src"]).startswith("data:image/png;base64,") for img in images)


def test_verdict_table_rows_render(rendered: dict[str, Any]) -> None:
    soup = rendered["soup"]
    claims = pd.read_csv(rendered["files"].markdown.parent / "claims.csv")
    rows = soup.select("table#verdicts tbody tr.verdict-row")
    assert len(rows) == len(claims) > 10
    for row, verdict in zip(rows, claims["verdict"], strict=True):
        assert row["data-verdict"] == verdict
        assert row.select_one("span.verdict").get_text(strip=True) == verdict
    stars = [r for r in rows if "GitHub stars of" in r.get_text()]
    assert len(stars) == 2
    # the demo fetches star counts from its fixture web; either way the row says what it saw
    assert all("fetched" in r.get_text() for r in stars)
    # the script made the headers sortable (focusable, with a hint)
    heads = soup.select("table#verdicts thead th")
    assert heads and all(h.get("tabindex") == "0" for h in heads)


def test_screenshot_is_kept(rendered: dict[str, Any]) -> None:
    shot = rendered["shot"]
    assert shot.is_file() and shot.stat().st_size > 50_000
    assert _png_size(shot) == (1280, 2000)
