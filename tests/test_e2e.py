"""End to end: the real pipeline over the demo fixture web, exact counts in the database and in
the report. The expected numbers are counted by hand from the letters in scraper/demo/world.py.
"""

from __future__ import annotations

import pytest

from scraper import jobs
from scraper.demo import world
from scraper.http import HttpClient
from scraper.store import Store

# venue, year -> (D3 papers, D2 with an official link, repos ok, D1 with a framework,
#                 pytorch users, tensorflow users)
EXPECTED = {
    ("cvpr", 2021): (13, 10, 9, 8, 4, 5),
    ("cvpr", 2022): (28, 23, 21, 20, 14, 5),
    ("cvpr", 2023): (42, 36, 35, 34, 28, 5),
    ("iccv", 2021): (10, 8, 8, 7, 4, 3),
    ("iccv", 2023): (12, 12, 12, 12, 10, 1),  # 3 X papers get their links from paperlists
}


@pytest.fixture(scope="module")
def demo_db(demo_database):
    return demo_database


def test_runs_succeed_and_are_logged(demo_db):
    path, reports, _ = demo_db
    assert [r.status for r in reports] == ["ok", "ok"]
    with Store.open(path, read_only=True) as store:
        runs = store.query("SELECT status, counts FROM runs ORDER BY run_id")
    assert list(runs.status) == ["ok", "ok"]
    assert '"papers_listed": 83' in runs.counts[0]


def test_exact_counts_per_venue_year(demo_db):
    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        counts = store.query("SELECT * FROM venue_year_counts ORDER BY venue, year")
        users = store.query(
            "SELECT venue, year, framework, count(DISTINCT paper_id) AS k FROM paper_frameworks "
            "GROUP BY ALL"
        )
    got = {}
    for row in counts.itertuples():
        k = users[(users.venue == row.venue) & (users.year == row.year)].set_index("framework").k
        got[(row.venue, row.year)] = (
            row.papers,
            row.with_code_link,
            row.with_scanned_repo,
            row.with_framework,
            int(k.get("pytorch", 0)),
            int(k.get("tensorflow", 0)),
        )
    assert got == EXPECTED


def test_repository_statuses_and_evidence(demo_db):
    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        status = dict(
            store.con.execute("SELECT status, count(*) FROM repos GROUP BY status").fetchall()
        )
        # R papers cite pytorch/pytorch in their references: stored, not official, never scanned
        cited = store.query(
            "SELECT official, repo_id FROM code_links WHERE repo_id = 'github:pytorch/pytorch'"
        )
        rejected = store.query("SELECT rejected FROM code_links WHERE rejected IS NOT NULL")
        big = store.query("SELECT status_detail FROM repos WHERE status = 'too_large'")
        evidence = store.query(
            "SELECT framework, kind, files FROM repo_evidence "
            "WHERE repo_id = 'github:demo-lab/cvpr2023-paper00-p' ORDER BY framework, kind"
        )
        commits = store.query(
            "SELECT count(*) AS n FROM repos WHERE status = 'ok' AND length(scanned_commit) = 40"
        ).n[0]
    # 3 M (missing) repos -> not_found; 1 Z -> too_large; the repo cited by R papers is a link,
    # not a repository to scan
    assert status == {"ok": 85, "not_found": 3, "too_large": 1}
    assert list(cited.official) == [False, False]
    assert len(rejected) == 1
    assert "cap" in big.status_detail[0]
    assert ("pytorch", "import") in set(zip(evidence.framework, evidence.kind, strict=False))
    assert "tensorflow" not in set(evidence.framework)  # tensorboardX is not TensorFlow
    assert commits == 85


def test_broken_line_urls_are_repaired(demo_db):
    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        rows = store.query("SELECT repo_id FROM code_links WHERE repo_id LIKE '%-l' ORDER BY 1")
    assert list(rows.repo_id) == [
        "github:demo-lab/cvpr2022-paper27-l",
        "github:demo-lab/cvpr2023-paper40-l",
        "github:demo-lab/cvpr2023-paper41-l",
    ]


def test_second_run_changes_nothing_and_fetches_little(demo_db, demo_web):
    path, _, _ = demo_db
    settings = demo_web.settings(db_path=path)

    def snapshot(store: Store) -> dict[str, list]:
        return {
            t: store.con.execute(f"SELECT {c} FROM {t} ORDER BY ALL").fetchall()
            for t, c in {
                "papers": "paper_id, title, authors, pdf_url, arxiv_id",
                "code_links": "paper_id, url, repo_id, official, rejected",
                "repos": "repo_id, status, scanned_commit",
                "repo_evidence": "repo_id, framework, kind, files, occurrences",
                "repo_frameworks": "repo_id, primary_fw, frameworks",
            }.items()
        }

    with Store.open(path) as store:
        before = snapshot(store)
        with HttpClient(settings) as client:
            report = jobs.run(store, client, "cvpr", [2021, 2022, 2023], sizes=world.venue_sizes())
            second = dict(client.requests_by_host)
        assert snapshot(store) == before
    assert report.counts["papers_new"] == 0 and report.counts["pdfs_read"] == 0
    # only the listing pages (and one aggregator file per year) again: no PDF, API or tarball
    assert set(second) == {"openaccess.thecvf.com", "raw.githubusercontent.com"}
    assert second["raw.githubusercontent.com"] == 3
    assert second["openaccess.thecvf.com"] <= 7


def test_demo_report_numbers(demo_db, tmp_path):
    from analysis.render import write_report

    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        files = write_report(store.con, tmp_path, demo=True)
    md = files.markdown.read_text()
    html = files.html.read_text()
    # CVPR 2022-2023 pooled, D1: PyTorch 42/54 = 77.8%, TensorFlow 10/54 = 18.5%
    assert "77.8%" in md and "18.5%" in md
    assert "DEMO" in md and "DEMO" in html
    assert "data:image/png;base64," in html


def test_mentions_are_counted_apart_from_code(demo_db):
    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        rows = store.query(
            "SELECT framework, numerator, denominator_size FROM mention_adoption "
            "WHERE venue = 'cvpr' AND year = 2023 ORDER BY framework"
        )
    got = {r.framework: (r.numerator, r.denominator_size) for r in rows.itertuples()}
    # P25 + L2 + B + R (cites PyTorch) + X5 name PyTorch; T4 + B name TensorFlow; J2 name JAX
    assert got == {"jax": (2, 42), "pytorch": (34, 42), "tensorflow": (5, 42)}


def test_aggregator_links_are_cleaned_matched_and_kept_with_provenance(demo_db):
    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        rows = store.query(
            "SELECT c.url, c.repo_id, c.official, p.title FROM code_links c "
            "JOIN papers p USING (paper_id) WHERE c.found_in = 'paperlists' ORDER BY c.repo_id"
        )
    assert list(rows.repo_id) == [f"github:demo-lab/iccv2023-paper{i:02d}-x" for i in (9, 10, 11)]
    assert rows.official.all()
    assert all(url.startswith("https://github.com/") for url in rows.url)  # cleaned


def test_repositories_are_also_scanned_as_of_publication(demo_db):
    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        status = dict(
            store.con.execute("SELECT status, count(*) FROM repo_snapshots GROUP BY ALL").fetchall()
        )
        switches = store.query(
            "SELECT repo_id, at_publication, today, as_of FROM framework_switches ORDER BY repo_id"
        )
        pub = store.query(
            "SELECT numerator, denominator_size FROM adoption_at_publication "
            "WHERE venue = 'cvpr' AND year = 2023 AND framework = 'tensorflow'"
        )
    # every scanned repository, once per venue-year; cvpr2023 paper 0's repo is younger than
    # the conference
    assert status == {"ok": 84, "created_after": 1}
    # the three "B" repositories were TensorFlow-only at publication, PyTorch came later
    assert switches.repo_id.str.endswith("-b").all() and len(switches) == 3
    assert set(switches.at_publication) == {"tensorflow"} and set(switches.today) == {"pytorch"}
    assert str(switches.as_of[2])[:10] == "2023-06-22"
    # CVPR 2023 at publication: T4 + B as TensorFlow-only; 33 papers (34 minus the young repo)
    assert pub.values.tolist() == [[5, 33]]


def test_framework_repository_stars_are_recorded_once_a_day(demo_db):
    path, reports, _ = demo_db
    with Store.open(path, read_only=True) as store:
        rows = store.query("SELECT repo, stars FROM framework_repos ORDER BY repo")
    # fetched by the first run only (then fresh for a day); unknown repos are skipped
    assert rows.values.tolist() == [["pytorch/pytorch", 97000], ["tensorflow/tensorflow", 194000]]
    assert reports[0].counts["framework_repos"] == 2 and "framework_repos" not in reports[1].counts


def test_report_compares_publication_with_today(demo_db, tmp_path):
    from analysis.render import write_report

    path, _, _ = demo_db
    with Store.open(path, read_only=True) as store:
        files = write_report(store.con, tmp_path, demo=True)
    md = files.markdown.read_text()
    section = md[md.index("## As of publication vs today") : md.index("## Industry and academia")]
    assert "84 repositories scanned" in section and "1 had no commit that old" in section
    assert "3 repositories changed their primary framework" in section
    # CVPR 2023 TensorFlow: 5 / 33 at publication (T4 + B), 5 / 34 today (T4 + B)
    row = next(
        line for line in section.splitlines() if line.startswith("| CVPR | 2023 | TensorFlow")
    )
    assert "5 / 33" in row and "5 / 34" in row
    assert section.count("demo-lab/cvpr20") == 3
    assert 'id="switches-table"' in files.html.read_text()
