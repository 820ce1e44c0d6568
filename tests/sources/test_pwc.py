"""Papers with Code archive: cached download, DuckDB look-ups by arXiv id and title, errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from scraper.errors import FetchError, HostNotAllowed, ParseError
from scraper.sources import pwc

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pwc"
LINKS_JSON = FIXTURES / "links-between-papers-and-code.json"
URL = (
    "https://huggingface.co/datasets/pwc-archive/links-between-paper-and-code/resolve/main/"
    "data/train-00000-of-00001.parquet"
)


def build_parquet(path: Path, *, drop: str | None = None) -> Path:
    """The fixture rows (the old JSON dump's shape) as parquet with the archive's columns."""
    columns = (
        "paper_url, paper_title, paper_arxiv_id, paper_url_abs, paper_url_pdf, repo_url, "
        "is_official::BOOLEAN AS is_official, mentioned_in_paper::BOOLEAN AS mentioned_in_paper, "
        "mentioned_in_github::BOOLEAN AS mentioned_in_github, framework"
    )
    if drop:
        columns = ", ".join(c for c in columns.split(", ") if not c.startswith(drop))
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT {columns} FROM read_json_auto(?)) TO '{path}' (FORMAT parquet)",
            [str(LINKS_JSON)],
        )
    finally:
        con.close()
    return path


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    return build_parquet(tmp_path / "links.parquet")


@dataclass
class StreamResponse:
    body: bytes
    status_code: int = 200
    closed: bool = False

    def iter_content(self, chunk_size: int = 1) -> Iterator[bytes]:
        for start in range(0, len(self.body), chunk_size):
            yield self.body[start : start + chunk_size]

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeClient:
    routes: dict[str, bytes | Exception]
    calls: list[tuple[str, bool]] = field(default_factory=list)
    responses: list[StreamResponse] = field(default_factory=list)

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        allow_status: tuple[int, ...] = (),
    ) -> StreamResponse:
        self.calls.append((url, stream))
        if url not in self.routes:
            raise FetchError(url, 404, "Not Found")
        value = self.routes[url]
        if isinstance(value, Exception):
            raise value
        response = StreamResponse(value)
        self.responses.append(response)
        return response


# ----------------------------------------------------------------------------- download


def test_download_is_streamed_once_then_reused(tmp_path: Path, parquet: Path) -> None:
    client = FakeClient({URL: parquet.read_bytes()})
    cache = tmp_path / "cache"
    path = pwc.ensure_parquet(client, cache)
    assert path == cache / "pwc-links-between-paper-and-code.parquet"
    assert path.read_bytes() == parquet.read_bytes()
    assert client.calls == [(URL, True)]
    assert client.responses[0].closed
    assert not (cache / "pwc-links-between-paper-and-code.parquet.part").exists()
    assert pwc.ensure_parquet(client, cache) == path
    assert len(client.calls) == 1  # the cached copy is used


def test_broken_cached_file_is_downloaded_again(tmp_path: Path, parquet: Path) -> None:
    (tmp_path / pwc.CACHE_NAME).write_bytes(b"PAR1 truncated download")
    client = FakeClient({URL: parquet.read_bytes()})
    path = pwc.ensure_parquet(client, tmp_path)
    assert len(client.calls) == 1
    assert path.read_bytes() == parquet.read_bytes()


def test_download_that_is_not_parquet_leaves_no_cache(tmp_path: Path) -> None:
    client = FakeClient({URL: b"<!DOCTYPE html><html><body>Repository not found</body></html>"})
    with pytest.raises(ParseError, match="not a parquet file"):
        pwc.ensure_parquet(client, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_redirect_to_a_host_not_allowed_says_what_to_do(tmp_path: Path) -> None:
    cdn = "https://cas-bridge.xethub.hf.co/xet-bridge-us/abc"
    blocked = HostNotAllowed(cdn, "host cas-bridge.xethub.hf.co is not on the allowlist")
    with pytest.raises(FetchError, match=r"cas-bridge\.xethub\.hf\.co") as info:
        pwc.ensure_parquet(FakeClient({URL: blocked}), tmp_path)
    assert str(tmp_path / pwc.CACHE_NAME) in str(info.value)


def test_missing_archive_is_a_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError) as info:
        pwc.ensure_parquet(FakeClient({}), tmp_path)
    assert info.value.status == 404


# ----------------------------------------------------------------------------- look-ups


def test_lookup_by_arxiv_id_keeps_pwcs_labels(parquet: Path) -> None:
    records = pwc.query_links(parquet, arxiv_ids={"2212.10156v2", "1808.08750"})
    assert [(r.url, r.official, r.mentioned_in_paper, r.framework) for r in records] == [
        ("https://github.com/rgeirhos/generalisation-humans-DNNs", None, None, None),
        ("https://github.com/OpenDriveLab/UniAD", True, True, "pytorch"),  # repeat dropped
        ("https://github.com/someone/uniad-reimplementation", False, False, "pytorch"),
    ]
    first = records[0]
    assert first.source == "pwc"
    assert first.arxiv_id == "1808.08750"  # the archive's "v3" is dropped
    assert first.title == "Generalisation in humans and deep neural networks"
    assert first.native_id is None and first.venue is None and first.year is None


def test_lookup_by_title_ignores_case_and_punctuation(parquet: Path) -> None:
    records = pwc.query_links(
        parquet,
        titles=["Deep residual learning for image recognition.", "Fast disparity estimation"],
    )
    assert [(r.url, r.official, r.framework) for r in records] == [
        ("https://github.com/KaimingHe/deep-residual-networks", True, "none"),
        ("https://github.com/tensorflow/models", False, "tf"),
    ]


def test_lookup_finds_near_duplicate_titles_but_not_other_papers(parquet: Path) -> None:
    records = pwc.query_links(
        parquet,
        titles=[
            "Towards Open World Object Detection",  # PwC says "Toward"
            "Learning to Learn by Gradient Descent by Gradient Descent",
            "Attention is not Explanation",  # PwC only has "... not not ..."
        ],
    )
    assert [r.url for r in records] == [
        "https://github.com/deepmind/learning-to-learn",
        "https://github.com/JosephKJ/OWOD",
    ]  # not the "without Gradient Descent" paper, not "Attention is not not Explanation"
    assert records[1].arxiv_id is None


def test_rows_without_a_repository_are_dropped(parquet: Path) -> None:
    assert pwc.query_links(parquet, arxiv_ids={"2001.00001"}) == []
    assert pwc.query_links(parquet, titles=["Fast Disparity Estimation: A Survey"]) == []


def test_lookup_without_ids_or_titles_reads_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "absent.parquet"
    assert pwc.query_links(missing, arxiv_ids=set(), titles=[]) == []
    assert pwc.query_links(missing, arxiv_ids={"not an id"}, titles=["?!"]) == []


def test_archive_without_a_needed_column_is_a_parse_error(tmp_path: Path) -> None:
    broken = build_parquet(tmp_path / "old.parquet", drop="framework")
    with pytest.raises(ParseError, match="lacks the columns framework"):
        pwc.query_links(broken, arxiv_ids={"1512.03385"})


def test_unreadable_archive_is_a_parse_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1" + b"\0" * 40 + b"PAR1")
    with pytest.raises(ParseError, match="cannot read the archive"):
        pwc.query_links(bad, arxiv_ids={"1512.03385"})


@pytest.mark.parametrize(
    ("title", "key"),
    [
        (
            "Generalisation in Humans & Deep Neural Networks!",
            "generalisationinhumansdeepneuralnetworks",
        ),
        ("Schrödinger's Café", "schrodingerscafe"),
        (None, ""),
    ],
)
def test_title_key(title: str | None, key: str) -> None:
    assert pwc.title_key(title) == key


def test_title_key_agrees_with_the_sql_key() -> None:
    title = "Schrödinger's Café: Ünïcode & Punctuation — 2024"
    con = duckdb.connect()
    try:
        row = con.execute(
            f"SELECT {pwc._SQL_KEY} FROM (SELECT ? AS paper_title)", [title]
        ).fetchone()
    finally:
        con.close()
    assert row is not None and row[0] == pwc.title_key(title)


# ----------------------------------------------------------------------------- fetch_records


def test_fetch_records_downloads_and_labels_the_venue(tmp_path: Path, parquet: Path) -> None:
    client = FakeClient({URL: parquet.read_bytes()})
    records = pwc.fetch_records(
        client,
        "CVPR",
        2023,
        cache_dir=tmp_path / "cache",
        arxiv_ids={"2212.10156"},
        titles=["Deep Residual Learning for Image Recognition"],
    )
    assert len(records) == 4
    assert {(r.venue, r.year) for r in records} == {("cvpr", 2023)}
    again = pwc.fetch_records(client, "cvpr", 2023, cache_dir=tmp_path / "cache", titles=["x"])
    assert again == [] and len(client.calls) == 1


def test_fetch_records_with_nothing_to_look_up_downloads_nothing(tmp_path: Path) -> None:
    client = FakeClient({})
    assert pwc.fetch_records(client, "iclr", 2020, cache_dir=tmp_path) == []
    assert client.calls == []
