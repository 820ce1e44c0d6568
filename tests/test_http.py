"""The HTTP client against a local fixture web: rewriting, allowlist, retries, tokens, limits."""

from __future__ import annotations

import pytest

from scraper.config import Settings, parse_rewrite
from scraper.demo.server import Fault, FixtureWeb, Resource
from scraper.errors import ConfigError, FetchError, HostNotAllowed, NetworkError, RateLimited
from scraper.http import HttpClient, Rewriter, check_allowed


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


RESOURCES = {
    "/cvf/robots.txt": Resource(b"User-agent: *\nDisallow: /private\n", "text/plain"),
    "/cvf/CVPR2023": Resource(b"<html>cvpr</html>", "text/html"),
    "/cvf/private/x": Resource(b"secret", "text/html"),
    "/api/repos/a/b": Resource(b'{"full_name": "a/b"}', "application/json"),
    "/api/repos/old/name": Resource(
        b"", "application/json", 301, {"Location": "https://api.github.com/repositories/42"}
    ),
    "/api/repositories/42": Resource(b'{"full_name": "new/name"}', "application/json"),
    "/api/repos/evil/redirect": Resource(
        b"", "text/plain", 302, {"Location": "http://169.254.169.254/latest/meta-data"}
    ),
    "/codeload/a/b/tar.gz/HEAD": Resource(b"tarball", "application/x-gzip"),
}


@pytest.fixture()
def web():
    with FixtureWeb(RESOURCES) as w:
        yield w


def make_client(web: FixtureWeb, clock: FakeClock | None = None, **kw) -> HttpClient:
    clock = clock or FakeClock()
    settings = Settings(
        rewrite=web.rewrite_pairs(),
        default_interval=0.0,
        host_intervals={},
        retries=3,
        backoff=1.0,
        **kw,
    )
    return HttpClient(settings, sleep=clock.sleep, clock=clock.time)


def test_rewrite_sends_real_urls_to_the_local_web_with_paths_kept(web):
    client = make_client(web)
    assert client.get("https://openaccess.thecvf.com/CVPR2023").text == "<html>cvpr</html>"
    assert client.get("https://codeload.github.com/a/b/tar.gz/HEAD").content == b"tarball"
    assert web.hits["/codeload/a/b/tar.gz/HEAD"] == 1


def test_rewriter_matches_on_boundaries_only():
    rw = Rewriter((("https://api.github.com", "http://127.0.0.1:9/api"),))
    assert rw.apply("https://api.github.com/repos/x/y") == "http://127.0.0.1:9/api/repos/x/y"
    assert rw.apply("https://api.github.com") == "http://127.0.0.1:9/api"
    assert rw.apply("https://api.github.com.evil.org/x") == "https://api.github.com.evil.org/x"
    assert (
        rw.undo("http://127.0.0.1:9/api/repositories/1") == "https://api.github.com/repositories/1"
    )


def test_parse_rewrite_env_form_and_errors():
    pairs = parse_rewrite(
        "https://codeload.github.com=http://127.0.0.1:8765/codeload;"
        "https://api.github.com=http://127.0.0.1:8765/api"
    )
    assert pairs == (
        ("https://codeload.github.com", "http://127.0.0.1:8765/codeload"),
        ("https://api.github.com", "http://127.0.0.1:8765/api"),
    )
    with pytest.raises(ConfigError, match="no '='"):
        parse_rewrite("https://x.org")
    with pytest.raises(ConfigError, match="http"):
        parse_rewrite("ftp://x.org=http://127.0.0.1/")


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:8765/cvf/CVPR2023", "IP address"),
        ("http://169.254.169.254/latest/meta-data", "IP address"),
        ("http://[::1]/x", "IP address"),
        ("http://10.0.0.7/x", "IP address"),
        ("file:///etc/passwd", "scheme"),
        ("http://localhost/x", "local host"),
        ("https://evil.example.com/x", "allowlist"),
        ("https://user:pw@github.com/a/b", "credentials"),
    ],
)
def test_allowlist_rejects_before_anything_is_fetched(web, url, reason):
    client = make_client(web)
    with pytest.raises(HostNotAllowed, match=reason):
        client.get(url)
    assert sum(web.hits.values()) == 0


def test_allowlist_judges_the_original_url_not_the_rewritten_one():
    assert check_allowed("https://api.github.com/repos/a/b", frozenset({"api.github.com"}))


def test_redirects_are_followed_through_the_rewrite_and_rechecked(web):
    client = make_client(web)
    assert client.get("https://api.github.com/repos/old/name").json() == {"full_name": "new/name"}
    with pytest.raises(HostNotAllowed):
        client.get("https://api.github.com/repos/evil/redirect")


def test_retries_5xx_with_exponential_backoff(web):
    clock = FakeClock()
    web.faults["/cvf/CVPR2023"] = Fault(503, times=2)
    client = make_client(web, clock)
    assert client.get("https://openaccess.thecvf.com/CVPR2023").status_code == 200
    assert web.hits["/cvf/CVPR2023"] == 3
    assert clock.sleeps == [1.0, 2.0]


def test_honours_retry_after_on_429(web):
    clock = FakeClock()
    web.faults["/cvf/CVPR2023"] = Fault(429, times=1, headers={"Retry-After": "7"})
    client = make_client(web, clock)
    client.get("https://openaccess.thecvf.com/CVPR2023")
    assert clock.sleeps == [7.0]


def test_gives_up_after_retries_with_a_fetch_error(web):
    web.faults["/cvf/CVPR2023"] = Fault(500, times=10)
    client = make_client(web)
    with pytest.raises(FetchError) as info:
        client.get("https://openaccess.thecvf.com/CVPR2023")
    assert info.value.status == 500
    assert web.hits["/cvf/CVPR2023"] == 4  # one try + three retries


def test_404_is_terminal_and_not_retried(web):
    client = make_client(web)
    with pytest.raises(FetchError) as info:
        client.get("https://openaccess.thecvf.com/CVPR1999")
    assert info.value.status == 404
    assert web.hits["/cvf/CVPR1999"] == 1
    resp = client.get("https://openaccess.thecvf.com/CVPR1999", allow_status=(404,))
    assert resp.status_code == 404


def test_robots_txt_is_obeyed_on_web_sites(web):
    client = make_client(web)
    with pytest.raises(FetchError, match=r"robots\.txt"):
        client.get("https://openaccess.thecvf.com/private/x")
    assert web.hits["/cvf/private/x"] == 0
    assert web.hits["/cvf/robots.txt"] == 1


def test_github_token_goes_to_the_api_only(web):
    client = make_client(web, github_token="ghp_SECRET123")
    client.get("https://api.github.com/repos/a/b")
    client.get("https://codeload.github.com/a/b/tar.gz/HEAD")
    client.get("https://openaccess.thecvf.com/CVPR2023")
    assert web.headers_seen["/api/repos/a/b"]["Authorization"] == "Bearer ghp_SECRET123"
    assert "Authorization" not in web.headers_seen["/codeload/a/b/tar.gz/HEAD"]
    assert "Authorization" not in web.headers_seen["/cvf/CVPR2023"]
    assert "SECRET" not in repr(client.settings)
    assert web.headers_seen["/cvf/CVPR2023"]["User-Agent"].startswith("fwcensus/")


def test_spent_github_quota_waits_for_the_reset(web):
    clock = FakeClock()
    reset = int(clock.now) + 120
    web.faults["/api/repos/a/b"] = Fault(
        403, times=1, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    )
    client = make_client(web, clock)
    assert client.get("https://api.github.com/repos/a/b").json()["full_name"] == "a/b"
    assert clock.sleeps and clock.sleeps[0] == pytest.approx(121.0)


def test_spent_github_quota_raises_when_told_not_to_wait(web):
    clock = FakeClock()
    web.faults["/api/repos/a/b"] = Fault(
        429, times=1, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000600"}
    )
    client = make_client(web, clock, wait_on_rate_limit=False)
    with pytest.raises(RateLimited) as info:
        client.get("https://api.github.com/repos/a/b")
    assert info.value.reset_at == 1000600.0


def test_per_host_interval_spaces_requests(web):
    clock = FakeClock()
    settings = Settings(
        rewrite=web.rewrite_pairs(), default_interval=1.5, host_intervals={"api.github.com": 0.25}
    )
    client = HttpClient(settings, sleep=clock.sleep, clock=clock.time)
    client.get("https://api.github.com/repos/a/b")
    client.get("https://api.github.com/repos/a/b")
    client.get("https://codeload.github.com/a/b/tar.gz/HEAD")
    client.get("https://codeload.github.com/a/b/tar.gz/HEAD")
    assert clock.sleeps == [0.25, 1.5]


def test_unreachable_host_says_how_to_use_a_mirror():
    settings = Settings(
        rewrite=(("https://openaccess.thecvf.com", "http://127.0.0.1:9"),),
        default_interval=0.0,
        retries=1,
        backoff=0.0,
    )
    client = HttpClient(settings, sleep=lambda s: None)
    with pytest.raises(NetworkError) as info:
        client.get("https://openaccess.thecvf.com/CVPR2023")
    msg = str(info.value)
    assert "openaccess.thecvf.com" in msg and "FWCENSUS_REWRITE" in msg


def test_openreview_token_goes_to_openreview_only(web):
    web.resources["/or/notes"] = Resource(b"{}", "application/json")
    settings = Settings(
        rewrite=(*web.rewrite_pairs(), ("https://api2.openreview.net", web.base_url + "/or")),
        default_interval=0.0,
        host_intervals={},
        openreview_token="or-SECRET",
        github_token="ghp_SECRET",
    )
    client = HttpClient(settings)
    client.get("https://api2.openreview.net/notes")
    client.get("https://api.github.com/repos/a/b")
    assert web.headers_seen["/or/notes"]["Authorization"] == "Bearer or-SECRET"
    assert web.headers_seen["/api/repos/a/b"]["Authorization"] == "Bearer ghp_SECRET"


def test_caller_credentials_are_dropped_on_a_cross_host_redirect(web):
    web.resources["/cvf/hop"] = Resource(
        b"", "text/plain", 302, {"Location": "https://api.github.com/repos/a/b"}
    )
    client = make_client(web)
    client.get("https://openaccess.thecvf.com/hop", headers={"Authorization": "Bearer x"})
    assert "Authorization" not in web.headers_seen["/api/repos/a/b"]


def test_cache_revalidates_with_etag_and_serves_304s_from_disk(web, tmp_path):
    clock = FakeClock()
    settings = Settings(
        rewrite=web.rewrite_pairs(),
        default_interval=0.0,
        host_intervals={},
        http_cache=True,
        cache_dir=tmp_path / "cache",
        github_token="ghp_TOK",
    )
    first = HttpClient(settings, sleep=clock.sleep, clock=clock.time)
    assert first.get("https://api.github.com/repos/a/b").json() == {"full_name": "a/b"}
    second = HttpClient(settings, sleep=clock.sleep, clock=clock.time)
    resp = second.get("https://api.github.com/repos/a/b")
    assert resp.status_code == 200 and resp.json() == {"full_name": "a/b"}
    assert second.cache_hits["api.github.com"] == 1 and web.not_modified == 1
    assert web.headers_seen["/api/repos/a/b"]["If-None-Match"].startswith('"')
    # a changed resource is downloaded again and replaces the cached copy
    web.resources["/api/repos/a/b"] = Resource(b'{"full_name": "a/c"}', "application/json")
    assert second.get("https://api.github.com/repos/a/b").json() == {"full_name": "a/c"}
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert b"ghp_TOK" not in stored and b"a/c" in stored


def test_rewriting_covers_http_links_to_an_https_mapped_host():
    rw = Rewriter((("https://proceedings.mlr.press", "http://127.0.0.1:9/pmlr"),))
    assert rw.apply("http://proceedings.mlr.press/v28/x.pdf") == "http://127.0.0.1:9/pmlr/v28/x.pdf"


def test_the_session_reads_the_environment_once_and_never_uses_netrc(monkeypatch, tmp_path):
    for key in [k for k in __import__("os").environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    with HttpClient(Settings()) as client:
        assert client._session.trust_env is False  # no per-request netrc/proxy lookups
        assert client._session.verify == str(tmp_path / "ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    with HttpClient(Settings()) as client:
        assert client._session.trust_env is True  # proxies (and no_proxy) handled per URL
