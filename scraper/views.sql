-- Analyst views, recreated on every open (they hold no data). Documented in docs/sql.md.

-- 95% Wilson score interval for k successes out of n (NULL when n = 0), clamped to [0, 1].
CREATE OR REPLACE MACRO wilson_low(k, n) AS
    CASE WHEN n > 0 THEN greatest(0.0,
        (k / n + 1.959963984540054 ** 2 / (2 * n)
         - 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n
                                    + 1.959963984540054 ** 2 / (4 * n * n)))
        / (1 + 1.959963984540054 ** 2 / n)) END;
CREATE OR REPLACE MACRO wilson_high(k, n) AS
    CASE WHEN n > 0 THEN least(1.0,
        (k / n + 1.959963984540054 ** 2 / (2 * n)
         + 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n
                                    + 1.959963984540054 ** 2 / (4 * n * n)))
        / (1 + 1.959963984540054 ** 2 / n)) END;

-- Each paper's frameworks, from the official repositories linked to it that were scanned.
CREATE OR REPLACE VIEW paper_frameworks AS
SELECT DISTINCT p.paper_id, p.venue, p.year, fw.framework,
       (fw.framework = rf.primary_fw) AS is_primary, cl.repo_id
FROM papers p
JOIN code_links cl ON cl.paper_id = p.paper_id AND cl.rejected IS NULL AND cl.official
JOIN repos r ON r.repo_id = cl.repo_id AND r.status = 'ok'
JOIN repo_frameworks rf ON rf.repo_id = r.repo_id
CROSS JOIN UNNEST(rf.frameworks) AS fw(framework);

-- Per paper: which denominators it belongs to.
CREATE OR REPLACE VIEW paper_status AS
SELECT p.paper_id, p.venue, p.year,
       EXISTS (SELECT 1 FROM code_links c
               WHERE c.paper_id = p.paper_id AND c.rejected IS NULL AND c.official)
           AS has_code_link,
       EXISTS (SELECT 1 FROM code_links c JOIN repos r ON r.repo_id = c.repo_id
               WHERE c.paper_id = p.paper_id AND c.rejected IS NULL AND c.official
                 AND r.status = 'ok') AS has_scanned_repo,
       EXISTS (SELECT 1 FROM paper_frameworks f WHERE f.paper_id = p.paper_id) AS has_framework
FROM papers p;

-- Denominators per venue-year: D3 all papers, D2 papers with an official code link
-- (the authors' own; third-party repositories cited in a paper do not count),
-- D1 papers whose official repo was scanned and shows a deep-learning framework.
CREATE OR REPLACE VIEW venue_year_counts AS
SELECT venue, year,
       count(*)                                   AS papers,
       count(*) FILTER (WHERE has_code_link)      AS with_code_link,
       count(*) FILTER (WHERE has_scanned_repo)   AS with_scanned_repo,
       count(*) FILTER (WHERE has_framework)      AS with_framework
FROM paper_status
GROUP BY venue, year;

-- Adoption: papers using each framework over each denominator, with a 95% Wilson interval.
CREATE OR REPLACE VIEW adoption AS
WITH users AS (
    SELECT venue, year, framework, count(DISTINCT paper_id) AS k
    FROM paper_frameworks GROUP BY venue, year, framework
),
denoms AS (
    SELECT venue, year, 'D1' AS denominator, with_framework AS n FROM venue_year_counts
    UNION ALL SELECT venue, year, 'D2', with_code_link FROM venue_year_counts
    UNION ALL SELECT venue, year, 'D3', papers FROM venue_year_counts
),
pairs AS (
    SELECT d.venue, d.year, d.denominator, f.framework, d.n, coalesce(u.k, 0) AS k
    FROM denoms d
    JOIN (SELECT DISTINCT framework FROM paper_frameworks) f ON TRUE
    LEFT JOIN users u ON u.venue = d.venue AND u.year = d.year AND u.framework = f.framework
),
SELECT venue, year, framework, denominator, k AS numerator, n AS denominator_size,
       CASE WHEN n > 0 THEN k / n END AS share,
       wilson_low(k, n) AS ci_low, wilson_high(k, n) AS ci_high
FROM pairs;

-- D4 (added by the analysis package): among papers using PyTorch or TensorFlow, the share using
-- each of the two (the measure of the 2019 "State of ML frameworks" study). A paper using both
-- counts in both numerators. Same columns as `adoption`; venue-years with no PyTorch/TensorFlow
-- paper have denominator_size 0 and NULL share/interval.
CREATE OR REPLACE VIEW adoption_d4 AS
WITH pt_tf AS (
    SELECT DISTINCT venue, year, framework, paper_id FROM paper_frameworks
    WHERE framework IN ('pytorch', 'tensorflow')
),
sizes AS (
    SELECT v.venue, v.year, count(DISTINCT t.paper_id) AS n
    FROM venue_year_counts v
    LEFT JOIN pt_tf t ON t.venue = v.venue AND t.year = v.year
    GROUP BY v.venue, v.year
),
users AS (
    SELECT venue, year, framework, count(*) AS k FROM pt_tf GROUP BY venue, year, framework
),
pairs AS (
    SELECT s.venue, s.year, f.framework, s.n, coalesce(u.k, 0) AS k
    FROM sizes s
    CROSS JOIN (VALUES ('pytorch'), ('tensorflow')) AS f(framework)
    LEFT JOIN users u ON u.venue = s.venue AND u.year = s.year AND u.framework = f.framework
),
SELECT venue, year, framework, 'D4' AS denominator, k AS numerator, n AS denominator_size,
       CASE WHEN n > 0 THEN k / n END AS share,
       wilson_low(k, n) AS ci_low, wilson_high(k, n) AS ci_high
FROM pairs;

-- Mention-based adoption: among papers whose PDF text was read, the share naming each framework.
CREATE OR REPLACE VIEW mention_adoption AS
WITH readable AS (
    SELECT p.venue, p.year, p.paper_id FROM papers p
    JOIN paper_texts t ON t.paper_id = p.paper_id AND t.status = 'ok'
),
sizes AS (SELECT venue, year, count(*) AS n FROM readable GROUP BY venue, year),
users AS (
    SELECT r.venue, r.year, m.framework, count(DISTINCT m.paper_id) AS k
    FROM readable r JOIN paper_mentions m ON m.paper_id = r.paper_id
    GROUP BY r.venue, r.year, m.framework
)
SELECT u.venue, u.year, u.framework, 'M' AS denominator, u.k AS numerator,
       s.n AS denominator_size, u.k / s.n AS share,
       wilson_low(u.k, s.n) AS ci_low, wilson_high(u.k, s.n) AS ci_high
FROM users u JOIN sizes s USING (venue, year);

-- Each paper's frameworks as of its publication (repository at the last commit on or before
-- the end of the conference).
CREATE OR REPLACE VIEW paper_frameworks_at_publication AS
SELECT DISTINCT p.paper_id, p.venue, p.year, fw.framework,
       (fw.framework = s.primary_fw) AS is_primary, s.repo_id, s.commit
FROM papers p
JOIN code_links cl ON cl.paper_id = p.paper_id AND cl.rejected IS NULL AND cl.official
JOIN repo_snapshots s ON s.repo_id = cl.repo_id AND s.venue = p.venue AND s.year = p.year
                     AND s.status = 'ok'
CROSS JOIN UNNEST(s.frameworks) AS fw(framework);

-- Repositories whose primary framework at publication differs from today's (HEAD).
CREATE OR REPLACE VIEW framework_switches AS
SELECT s.repo_id, s.venue, s.year, s.primary_fw AS at_publication, f.primary_fw AS today,
       s.commit AS publication_commit, r.scanned_commit AS head_commit, s.as_of
FROM repo_snapshots s
JOIN repo_frameworks f ON f.repo_id = s.repo_id
JOIN repos r ON r.repo_id = s.repo_id
WHERE s.status = 'ok' AND s.primary_fw IS DISTINCT FROM f.primary_fw;

-- D1 shares as of publication: among papers whose code at publication shows a framework.
CREATE OR REPLACE VIEW adoption_at_publication AS
WITH users AS (
    SELECT venue, year, framework, count(DISTINCT paper_id) AS k
    FROM paper_frameworks_at_publication GROUP BY ALL
),
sizes AS (
    SELECT venue, year, count(DISTINCT paper_id) AS n
    FROM paper_frameworks_at_publication GROUP BY ALL
)
SELECT u.venue, u.year, u.framework, 'D1' AS denominator, u.k AS numerator,
       s.n AS denominator_size, u.k / s.n AS share,
       wilson_low(u.k, s.n) AS ci_low, wilson_high(u.k, s.n) AS ci_high
FROM users u JOIN sizes s USING (venue, year);
