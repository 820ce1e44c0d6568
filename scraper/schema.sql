-- fwcensus DuckDB schema, version 1. store.py applies it and records schema_version.
-- Natural keys everywhere: papers by venue:year:native_id, repos by host:owner/name.

CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER NOT NULL,
    applied_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS papers (
    paper_id      VARCHAR PRIMARY KEY,   -- venue:year:native_id
    venue         VARCHAR NOT NULL,      -- lower-case: cvpr, iccv, ...
    year          INTEGER NOT NULL,
    native_id     VARCHAR NOT NULL,
    title         VARCHAR NOT NULL,
    authors       VARCHAR[],
    abstract      VARCHAR,
    track         VARCHAR,
    status        VARCHAR,
    page_url      VARCHAR,
    pdf_url       VARCHAR,
    supp_url      VARCHAR,
    arxiv_id      VARCHAR,
    openreview_id VARCHAR,
    affiliations  VARCHAR[],             -- where the source gives them (paperlists aff)
    affiliation_domains VARCHAR[],
    source        VARCHAR NOT NULL,
    first_seen    TIMESTAMP NOT NULL,
    last_seen     TIMESTAMP NOT NULL
);

-- One row per processed PDF: whether its text was read, and how much.
CREATE TABLE IF NOT EXISTS paper_texts (
    paper_id     VARCHAR PRIMARY KEY,
    status       VARCHAR NOT NULL,       -- ok, no_pdf, error, empty
    detail       VARCHAR,
    pages        INTEGER,
    chars        INTEGER,
    processed_at TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0, -- failed reads so far
    next_attempt_at TIMESTAMP                -- a failed read is retried from then on
);

CREATE TABLE IF NOT EXISTS code_links (
    paper_id   VARCHAR NOT NULL,
    url        VARCHAR NOT NULL,         -- as found (after line-break repair)
    found_in   VARCHAR NOT NULL,         -- pdf, page, abstract, or an aggregator name
    repo_id    VARCHAR,                  -- github:owner/name; NULL when rejected
    official   BOOLEAN NOT NULL,
    rejected   VARCHAR,                  -- reason, NULL when accepted
    source_framework VARCHAR,            -- an aggregator's own framework label (its opinion)
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    PRIMARY KEY (paper_id, url, found_in)
);

CREATE TABLE IF NOT EXISTS repos (
    repo_id         VARCHAR PRIMARY KEY, -- github:owner/name (lower-case)
    host            VARCHAR NOT NULL,
    owner           VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,    -- pending, ok, not_found, private, blocked, too_large, error
    status_detail   VARCHAR,
    full_name       VARCHAR,             -- as the host spells it now (after renames)
    default_branch  VARCHAR,
    stars           INTEGER,
    forks           INTEGER,
    created_at      TIMESTAMP,
    pushed_at       TIMESTAMP,
    archived        BOOLEAN,
    fork            BOOLEAN,
    size_kb         BIGINT,
    language        VARCHAR,
    scanned_ref     VARCHAR,             -- what was asked for (HEAD, a branch, a sha)
    scanned_commit  VARCHAR,             -- the commit the tarball was made from
    files_seen      INTEGER,
    files_scanned   INTEGER,
    bytes_scanned   BIGINT,
    meta_fetched_at TIMESTAMP,
    scanned_at      TIMESTAMP,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP               -- a failed fetch is retried from then on
);

-- The raw counts behind every label: per repo, framework and kind of evidence.
CREATE TABLE IF NOT EXISTS repo_evidence (
    repo_id     VARCHAR NOT NULL,
    commit      VARCHAR,
    framework   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,        -- import, notebook, requirement, ...
    files       INTEGER NOT NULL,
    occurrences INTEGER NOT NULL,
    top_files   VARCHAR[],
    PRIMARY KEY (repo_id, framework, kind)
);

-- One classification per repo (the detector's verdict on the scanned commit).
CREATE TABLE IF NOT EXISTS repo_frameworks (
    repo_id          VARCHAR PRIMARY KEY,
    primary_fw       VARCHAR,            -- NULL when no deep-learning framework was found
    frameworks       VARCHAR[] NOT NULL, -- every framework judged 'used' (primary first)
    confidence       DOUBLE,
    reasons          VARCHAR,
    detector_version VARCHAR NOT NULL,
    classified_at    TIMESTAMP NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS run_ids START 1;

CREATE TABLE IF NOT EXISTS runs (
    run_id     INTEGER PRIMARY KEY,
    command    VARCHAR NOT NULL,
    args       VARCHAR,
    started_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP,
    status     VARCHAR NOT NULL,         -- running, ok, partial, failed
    counts     VARCHAR,                  -- JSON object of counters
    error      VARCHAR
);

-- Per-item failures of a run, so the next run retries them and a user sees why.
CREATE TABLE IF NOT EXISTS failures (
    run_id  INTEGER NOT NULL,
    stage   VARCHAR NOT NULL,            -- list, pdf, repo_meta, repo_scan
    item    VARCHAR NOT NULL,            -- a URL, a paper id or a repo id
    reason  VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL
);

-- Framework names mentioned in a paper's text (the 2019 study's method), kept apart from code.
CREATE TABLE IF NOT EXISTS paper_mentions (
    paper_id  VARCHAR NOT NULL,
    framework VARCHAR NOT NULL,
    mentions  INTEGER NOT NULL,
    PRIMARY KEY (paper_id, framework)
);

-- Which sources listed each paper (one row per paper and source): provenance of merged papers.
CREATE TABLE IF NOT EXISTS paper_sources (
    paper_id   VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    native_id  VARCHAR NOT NULL,         -- the paper's id at that source
    matched_by VARCHAR NOT NULL,         -- self, arxiv, native_id, title-exact, title-fuzzy
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    PRIMARY KEY (paper_id, source)
);

-- What each source listed for each venue-year, and when: scheduled runs re-list a venue-year
-- only while its list is still changing, or when it is recent and the last listing is old.
CREATE TABLE IF NOT EXISTS source_state (
    venue      VARCHAR NOT NULL,
    year       INTEGER NOT NULL,
    source     VARCHAR NOT NULL,
    listed_at  TIMESTAMP NOT NULL,
    papers     INTEGER NOT NULL,
    stable     INTEGER NOT NULL,         -- consecutive listings with the same number of papers
    PRIMARY KEY (venue, year, source)
);

-- A repository scanned as of a paper's publication (its last commit on or before the end of
-- the conference), beside the HEAD scan in repo_frameworks: did the paper's code switch?
CREATE TABLE IF NOT EXISTS repo_snapshots (
    repo_id          VARCHAR NOT NULL,
    venue            VARCHAR NOT NULL,
    year             INTEGER NOT NULL,
    as_of            DATE NOT NULL,          -- last day of the conference (approximate if marked)
    as_of_exact      BOOLEAN NOT NULL,
    status           VARCHAR NOT NULL,       -- ok, created_after (no commit that old), error
    status_detail    VARCHAR,
    commit           VARCHAR,
    commit_date      VARCHAR,
    primary_fw       VARCHAR,
    frameworks       VARCHAR[],
    confidence       DOUBLE,
    detector_version VARCHAR,
    scanned_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (repo_id, venue, year)
);

-- GitHub stars of the frameworks' own repositories (one row per fetch), for claims about them.
CREATE TABLE IF NOT EXISTS framework_repos (
    repo       VARCHAR NOT NULL,             -- owner/name
    stars      INTEGER,
    forks      INTEGER,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (repo, fetched_at)
);
