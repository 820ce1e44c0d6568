"""Benchmark: ``write_report`` on a synthetic database of 1,000,000 papers and 500,000 repositories.

The database is generated in DuckDB SQL alone (``range()`` and ``hash()`` for pseudo-random but
reproducible values; no Python loop over rows): 8 venues × 10 years, titles and abstracts drawn
from per-area vocabularies, PDF texts and mentions, code links (some rejected, some unofficial,
some repositories shared by several papers), repositories with every status, framework labels
whose PyTorch share grows over the years, and the evidence rows behind them.

Then the report is written from a read-only connection and the seconds are printed. Target: under
a minute on a 2-core machine. Run from the repository root:

    python benchmarks/report_1m.py                      # 1M papers, 500k repos, temp dir
    python benchmarks/report_1m.py --papers 100000 --repos 50000 --db /tmp/b.duckdb --out /tmp/b

Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.render import write_report  # noqa: E402

T = TypeVar("T")

VENUES = ["neurips", "icml", "iclr", "cvpr", "iccv", "eccv", "acl", "emnlp"]
FIRST_YEAR, YEARS = 2015, 10
AREAS = [
    "image segmentation pixel semantic instance mask boundary scene parsing panoptic dense "
    "encoder decoder labeling region superpixel",
    "language translation token sentence transformer pretraining corpus syntax multilingual "
    "summarization dialogue question answering lexical entity retrieval",
    "reinforcement policy reward agent environment exploration value actor critic bandit "
    "planning trajectory control robot offline imitation",
    "graph node edge message passing molecule relational link prediction community spectral "
    "embedding citation knowledge heterophily hypergraph",
    "generative diffusion adversarial sampling likelihood latent variational autoencoder "
    "synthesis denoising score flow image editing inversion restoration",
    "optimization convergence gradient stochastic convex nonconvex bound rate descent momentum "
    "regularization sample complexity theory adaptive minimax",
    "detection object bounding box anchor tracking pedestrian video temporal frame point cloud "
    "lidar depth pose keypoint",
    "speech audio acoustic speaker recognition waveform spectrogram phoneme voice music sound "
    "separation asr prosody vocoder enhancement",
]
AREA_WORDS = 16
COMMON = (
    "we propose method results show model approach data training performance novel task "
    "learning deep neural network experiments benchmark state art existing efficient robust "
    "framework"
)
COMMON_WORDS = 24


def _sql_list(words: list[str]) -> str:
    return "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def _words() -> str:
    """All words as one SQL list literal: 8 areas × 16 words, then 24 common words.

    A literal (a constant) keeps the per-word lookups in the lambdas below fast.
    """
    flat = [w for a in AREAS for w in a.split()[:AREA_WORDS]] + COMMON.split()[:COMMON_WORDS]
    if len(flat) != len(AREAS) * AREA_WORDS + COMMON_WORDS:
        raise ValueError(f"each area needs {AREA_WORDS} words and COMMON {COMMON_WORDS}")
    return _sql_list(flat)


def _setup_sql() -> str:
    return f"""
-- hash(a, b) of DuckDB correlates across constant salts (hash(i, 'x') % 8 and hash(i, 'y') % 10
-- take 40 of the 80 pairs), so hash the xor of the two hashes instead.
CREATE OR REPLACE MACRO bench_h(a, b) AS hash(xor(hash(a), hash(b)));
CREATE OR REPLACE MACRO bench_venue(i) AS
    {_sql_list(VENUES)}[1 + (bench_h(i, 'venue') % {len(VENUES)})::BIGINT];
CREATE OR REPLACE MACRO bench_year(i) AS {FIRST_YEAR} + (bench_h(i, 'year') % {YEARS})::INTEGER;
CREATE OR REPLACE MACRO bench_paper_id(i) AS
    bench_venue(i) || ':' || bench_year(i) || ':p' || i;
CREATE OR REPLACE MACRO bench_u(a, b) AS (bench_h(a, b) % 1000000) / 1000000.0;
CREATE OR REPLACE MACRO bench_area_word(k, area) AS
    {_words()}[1 + area * {AREA_WORDS} + (bench_h(k, 'w') % {AREA_WORDS})::BIGINT];
CREATE OR REPLACE MACRO bench_word(k, area) AS
    {_words()}[1 + CASE WHEN bench_h(k, 'c') % 3 = 0
                        THEN {len(AREAS) * AREA_WORDS} + (bench_h(k, 'w') % {COMMON_WORDS})::BIGINT
                        ELSE area * {AREA_WORDS} + (bench_h(k, 'w') % {AREA_WORDS})::BIGINT END];
"""


PAPERS_SQL = """
INSERT INTO papers (paper_id, venue, year, native_id, title, authors, abstract, track, status,
                    pdf_url, source, first_seen, last_seen)
SELECT bench_paper_id(i), bench_venue(i), bench_year(i), 'p' || i,
       array_to_string(
           list_transform(range(6), lambda j: bench_area_word(i * 1000 + j, area)), ' '),
       ['Author ' || (bench_h(i, 'a1') % 100000), 'Author ' || (bench_h(i, 'a2') % 100000)],
       CASE WHEN bench_u(i, 'abs') < 0.85 THEN array_to_string(
           list_transform(range(90), lambda j: bench_word(i * 1000 + 100 + j, area)), ' ') END,
       'main', 'accepted', 'https://example.org/pdf/' || i || '.pdf', 'bench',
       TIMESTAMP '2025-01-01', TIMESTAMP '2025-01-01'
FROM (SELECT i, (bench_h(i, 'area') % 8)::BIGINT AS area FROM range($papers) r(i))
"""

TEXTS_SQL = """
INSERT INTO paper_texts (paper_id, status, pages, chars, processed_at)
SELECT bench_paper_id(i),
       CASE WHEN bench_u(i, 'pdf') < 0.9 THEN 'ok'
            WHEN bench_u(i, 'pdf') < 0.97 THEN 'no_pdf' ELSE 'error' END,
       8 + (bench_h(i, 'pages') % 6)::INTEGER, 40000, TIMESTAMP '2025-01-01'
FROM range($papers) r(i)
"""

MENTIONS_SQL = """
INSERT INTO paper_mentions (paper_id, framework, mentions)
SELECT t.paper_id, f.framework, 1 + (hash(t.paper_id, f.framework) % 5)::INTEGER
FROM paper_texts t JOIN papers p USING (paper_id),
     (VALUES ('pytorch'), ('tensorflow'), ('jax'), ('keras')) f(framework)
WHERE t.status = 'ok'
  AND bench_u(t.paper_id, f.framework) < CASE f.framework
        WHEN 'pytorch' THEN 0.2 + 0.06 * (p.year - 2015)
        WHEN 'tensorflow' THEN 0.45 - 0.03 * (p.year - 2015)
        WHEN 'jax' THEN 0.01 * (p.year - 2015)
        ELSE 0.05 END
"""

# Link row r points at repository r (the first $repos rows) or at an already linked one
# (a codebase shared by several papers); 3% are rejected, 8% unofficial.
LINKS_SQL = """
INSERT OR IGNORE INTO code_links (paper_id, url, found_in, repo_id, official, rejected,
                                  first_seen, last_seen)
SELECT bench_paper_id(paper), 'https://github.com/org' || (k % 50000) || '/repo' || k,
       CASE WHEN bench_h(r, 'src') % 3 = 0 THEN 'pdf' ELSE 'page' END,
       CASE WHEN rejected THEN NULL ELSE 'github:org' || (k % 50000) || '/repo' || k END,
       bench_u(r, 'official') < 0.92,
       CASE WHEN rejected THEN 'unknown host' END,
       TIMESTAMP '2025-01-01', TIMESTAMP '2025-01-01'
FROM (SELECT r, (bench_h(r, 'paper') % $papers)::BIGINT AS paper,
             CASE WHEN r < $repos THEN r ELSE (bench_h(r, 'dup') % $repos)::BIGINT END AS k,
             bench_u(r, 'rejected') < 0.03 AS rejected
      FROM range($links) t(r))
"""

REPOS_SQL = """
INSERT INTO repos (repo_id, host, owner, name, status, status_detail, stars, forks, created_at,
                   pushed_at, archived, fork, size_kb, language, scanned_ref, scanned_commit,
                   files_seen, files_scanned, bytes_scanned, scanned_at, attempts)
SELECT 'github:org' || (k % 50000) || '/repo' || k, 'github', 'org' || (k % 50000), 'repo' || k,
       s.status, CASE WHEN s.status NOT IN ('ok', 'pending') THEN 'synthetic' END,
       (bench_h(k, 'stars') % 5000)::INTEGER, (bench_h(k, 'forks') % 500)::INTEGER,
       TIMESTAMP '2015-01-01' + INTERVAL (bench_h(k, 'c') % 3650) DAY,
       TIMESTAMP '2020-01-01' + INTERVAL (bench_h(k, 'p') % 1800) DAY,
       bench_h(k, 'arch') % 10 = 0, FALSE, (bench_h(k, 'size') % 200000)::BIGINT, 'Python',
       'HEAD', md5(k::VARCHAR), 40, 35, 1000000, TIMESTAMP '2025-01-01', 1
FROM range($repos) t(k),
     LATERAL (SELECT CASE WHEN bench_u(k, 'status') < 0.85 THEN 'ok'
                          WHEN bench_u(k, 'status') < 0.90 THEN 'not_found'
                          WHEN bench_u(k, 'status') < 0.93 THEN 'private'
                          WHEN bench_u(k, 'status') < 0.95 THEN 'too_large'
                          WHEN bench_u(k, 'status') < 0.97 THEN 'error'
                          ELSE 'pending' END AS status) s
"""

# The label follows the year of the first paper linking the repository: PyTorch rises from 25%
# (2015) to 83.5% (2024), TensorFlow takes most of the rest.
FRAMEWORKS_SQL = """
INSERT INTO repo_frameworks (repo_id, primary_fw, frameworks, confidence, reasons,
                             detector_version, classified_at)
WITH first_year AS (
    SELECT c.repo_id, min(p.year) AS year
    FROM code_links c JOIN papers p USING (paper_id)
    WHERE c.repo_id IS NOT NULL GROUP BY c.repo_id
),
labelled AS (
    SELECT r.repo_id, bench_u(r.repo_id, 'fw') AS u,
           0.25 + 0.065 * (coalesce(y.year, 2020) - 2015) AS pt
    FROM repos r LEFT JOIN first_year y USING (repo_id)
    WHERE r.status = 'ok'
),
fw AS (
    SELECT repo_id,
           CASE WHEN u < pt * 0.92 THEN ['pytorch']
                WHEN u < pt THEN ['pytorch', 'tensorflow']
                WHEN u < pt + (1 - pt) * 0.65 THEN ['tensorflow']
                WHEN u < pt + (1 - pt) * 0.75 THEN ['jax']
                WHEN u < pt + (1 - pt) * 0.82 THEN ['keras', 'tensorflow']
                WHEN u < pt + (1 - pt) * 0.88 THEN ['mxnet']
                ELSE []::VARCHAR[] END AS frameworks
    FROM labelled
)
SELECT repo_id, frameworks[1], frameworks, 0.9, 'synthetic', 'bench-1', TIMESTAMP '2025-01-02'
FROM fw
"""

EVIDENCE_SQL = """
INSERT INTO repo_evidence (repo_id, commit, framework, kind, files, occurrences, top_files)
SELECT f.repo_id, md5(f.repo_id), fw.framework, k.kind,
       1 + (hash(f.repo_id, fw.framework, k.kind) % 20)::INTEGER,
       1 + (hash(f.repo_id, fw.framework, k.kind, 'o') % 60)::INTEGER,
       ['train.py', 'model.py']
FROM repo_frameworks f, unnest(f.frameworks) fw(framework),
     (VALUES ('import'), ('requirement')) k(kind)
WHERE k.kind = 'import' OR bench_u(f.repo_id, 'req') < 0.6
"""

RUNS_SQL = """
INSERT INTO runs (run_id, command, started_at, ended_at, status, counts)
VALUES (nextval('run_ids'), 'bench', TIMESTAMP '2025-01-01', TIMESTAMP '2025-01-02', 'ok', '{}')
"""


def _timed(label: str, fn: Callable[[], T], log: list[tuple[str, float]]) -> T:
    start = time.perf_counter()
    result = fn()
    log.append((label, time.perf_counter() - start))
    return result


def generate(path: Path, papers: int, repos: int) -> list[tuple[str, float]]:
    """Create the synthetic database at ``path``; returns (step, seconds) per step."""
    log: list[tuple[str, float]] = []
    con = duckdb.connect(str(path))
    try:
        con.execute((ROOT / "scraper" / "schema.sql").read_text(encoding="utf-8"))
        con.execute((ROOT / "scraper" / "views.sql").read_text(encoding="utf-8"))
        con.execute(_setup_sql())
        params = {"papers": papers, "repos": repos, "links": int(repos * 1.15)}
        steps = [
            ("papers", PAPERS_SQL, {"papers": papers}),
            ("paper_texts", TEXTS_SQL, {"papers": papers}),
            ("paper_mentions", MENTIONS_SQL, {}),
            ("code_links", LINKS_SQL, params),
            ("repos", REPOS_SQL, {"repos": repos}),
            ("repo_frameworks", FRAMEWORKS_SQL, {}),
            ("repo_evidence", EVIDENCE_SQL, {}),
            ("runs", RUNS_SQL, {}),
        ]
        for name, sql, p in steps:
            _timed(name, lambda sql=sql, p=p: con.execute(sql, p).fetchall(), log)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--repos", type=int, default=500_000)
    parser.add_argument("--db", type=Path, default=None, help="database file (default: temp)")
    parser.add_argument("--out", type=Path, default=None, help="report dir (default: temp)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary database and report"
    )
    parser.add_argument("--target", type=float, default=60.0, help="seconds allowed")
    args = parser.parse_args(argv)

    if args.db is not None and args.db.exists():
        parser.error(f"{args.db} exists; the benchmark writes a new database, give a new path")
    work = Path(tempfile.mkdtemp(prefix="fwcensus-bench-"))
    db = args.db or work / "bench.duckdb"
    out = args.out or work / "report"
    try:
        t0 = time.perf_counter()
        steps = generate(db, args.papers, args.repos)
        gen_seconds = time.perf_counter() - t0
        print(f"generated {args.papers:,} papers, {args.repos:,} repos in {gen_seconds:.1f}s:")
        for name, seconds in steps:
            print(f"  {name:<16} {seconds:6.1f}s")

        con = duckdb.connect(str(db), read_only=True)
        try:
            counts = con.execute(
                "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM repos), "
                "(SELECT count(*) FROM code_links), (SELECT count(*) FROM paper_frameworks)"
            ).fetchall()[0]
            print(
                f"rows: papers {counts[0]:,}, repos {counts[1]:,}, code_links {counts[2]:,}, "
                f"paper_frameworks {counts[3]:,}"
            )
            start = time.perf_counter()
            files = write_report(con, out)
            seconds = time.perf_counter() - start
        finally:
            con.close()
        cpu = os.cpu_count()
        print(
            f"machine: {platform.machine()}, {cpu} cores, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}"
        )
        print(
            f"write_report: {seconds:.1f}s ({len(files.charts)} charts, "
            f"{len(files.tables)} tables) -> {files.html}"
        )
        ok = seconds < args.target
        print(f"{'PASS' if ok else 'FAIL'}: target {args.target:.0f}s")
        return 0 if ok else 1
    finally:
        # paths given with --db / --out are always kept; the temporary ones unless --keep
        kept = [str(p) for p, given in ((db, args.db), (out, args.out)) if given or args.keep]
        if kept:
            print(f"kept: {', '.join(kept)}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
