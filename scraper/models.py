"""Plain records passed between stages. Parse functions return these; the store loads them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paper:
    """One paper as a venue source lists it.

    ``native_id`` is the source's own stable id (for CVF, the file stem of the paper page);
    ``paper_id`` is ``venue:year:native_id``.
    """

    venue: str
    year: int
    native_id: str
    title: str
    authors: tuple[str, ...] = ()
    source: str = ""
    page_url: str | None = None
    pdf_url: str | None = None
    supp_url: str | None = None
    arxiv_id: str | None = None
    abstract: str | None = None
    track: str | None = None
    status: str | None = None
    openreview_id: str | None = None
    # Code links as the source publishes them (PMLR "Code"/"Software", OpenReview code fields,
    # ACL <pwccode>): URLs as found; the pipeline normalises them into CodeLinks.
    code_urls: tuple[str, ...] = ()
    # Authors' affiliations and their e-mail domains, where the source gives them (paperlists).
    affiliations: tuple[str, ...] = ()
    affiliation_domains: tuple[str, ...] = ()

    @property
    def paper_id(self) -> str:
        return f"{self.venue}:{self.year}:{self.native_id}"


@dataclass(frozen=True)
class LinkRecord:
    """A code link as an aggregator (paperlists, Papers with Code, arXiv) records it.

    The pipeline matches it to a paper by ``arxiv_id``, ``native_id`` or normalised ``title``.
    ``official`` is the aggregator's own claim (None: it does not say); ``framework`` is the
    aggregator's own framework label, kept as a separate opinion, never merged into ours.
    """

    source: str
    url: str
    title: str | None = None
    arxiv_id: str | None = None
    native_id: str | None = None
    venue: str | None = None
    year: int | None = None
    official: bool | None = None
    mentioned_in_paper: bool | None = None
    framework: str | None = None


@dataclass(frozen=True)
class RepoRef:
    """A normalised code-hosting repository: host is 'github', 'gitlab' or 'bitbucket'."""

    host: str
    owner: str
    name: str

    @property
    def repo_id(self) -> str:
        return f"{self.host}:{self.owner}/{self.name}"

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class CodeLink:
    """A code link found for a paper.

    ``url`` is the link as found (after line-break repair); ``repo`` is its normalised
    repository, or None when the link is rejected (``rejected`` says why: a user page, an
    unknown host, a private address...).
    """

    paper_id: str
    url: str
    found_in: str  # 'pdf', 'page', 'abstract', or an aggregator name
    repo: RepoRef | None
    official: bool = True
    rejected: str | None = None
    source_framework: str | None = None  # an aggregator's own framework label, kept apart


@dataclass(frozen=True)
class RepoMeta:
    """Repository metadata from the host's API."""

    repo: RepoRef
    status: str  # 'ok', 'not_found', 'private', 'blocked', 'error', 'too_large'
    status_detail: str | None = None
    full_name: str | None = None  # after a rename/transfer
    default_branch: str | None = None
    stars: int | None = None
    forks: int | None = None
    created_at: str | None = None
    pushed_at: str | None = None
    archived: bool | None = None
    fork: bool | None = None
    size_kb: int | None = None
    language: str | None = None


@dataclass
class FrameworkEvidence:
    """How much evidence of one framework, of one kind, a scan found."""

    framework: str
    kind: str  # 'import', 'notebook', 'requirement', ...
    files: int = 0
    occurrences: int = 0
    top_files: list[str] = field(default_factory=list)
