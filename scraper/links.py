"""Finding and normalising code links (pure: text in, records out).

Three jobs:

* :func:`normalize_repo_url` turns one link as written anywhere (a page, a PDF, markdown, an
  aggregator's JSON) into a :class:`RepoRef`, or says why it is not a repository.
* :func:`repair_pdf_text` undoes the damage PDF text extraction does to URLs (line breaks,
  hyphenation, spaces inside ``https: //github. com``).
* :func:`find_urls` / :func:`links_from_pdf` find candidate code links in a paper's text and
  decide whether each looks like the paper's own code (``official``) or a cited tool.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from scraper.models import CodeLink, RepoRef

# --------------------------------------------------------------------------- rejection reasons

REASON_PROJECT_PAGE = "project page, not a repository"
REASON_USER_PAGE = "user or organisation page, not a repository"
REASON_GIST = "gist, not a repository"
REASON_SHORTENER = "URL shortener: the target repository is unknown"
REASON_NOT_PUBLIC = "not a public web address"
REASON_NOT_WEB = "not a web address"
REASON_MALFORMED = "malformed repository URL"
REASON_EMPTY = "empty URL"

# --------------------------------------------------------------------------- host tables


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GITHUB_HOSTS = {"github.com"}
_GITHUB_CONTENT_HOSTS = {"raw.githubusercontent.com", "codeload.github.com"}
_GIST_HOSTS = {"gist.github.com", "gist.githubusercontent.com"}
_GITLAB_HOSTS = {"gitlab.com"}
_BITBUCKET_HOSTS = {"bitbucket.org"}
_PROJECT_PAGE_HOSTS = {"huggingface.co", "hf.co", "sites.google.com", "github.io", "gitlab.io"}
_PROJECT_PAGE_SUFFIXES = (".github.io", ".gitlab.io", ".bitbucket.io", ".huggingface.co")
_SHORTENER_HOSTS = _words(
    "git.io bit.ly tinyurl.com goo.gl t.co rb.gy is.gd ow.ly tiny.cc shorturl.at"
)
# Hosts that never hold code, even when a sentence around them says "code".
_NEVER_CODE_HOSTS = _words(
    "arxiv.org doi.org dx.doi.org creativecommons.org openaccess.thecvf.com thecvf.com "
    "ieeexplore.ieee.org dl.acm.org papers.nips.cc proceedings.neurips.cc "
    "proceedings.mlr.press openreview.net aclanthology.org scholar.google.com "
    "link.springer.com www.w3.org"
)

# First path segments of github.com that are GitHub's own pages, not users.
_GITHUB_RESERVED = _words(
    "about account apps blog codespaces collections contact customer-stories dashboard "
    "enterprise events explore features issues join login logout marketplace new "
    "notifications organizations orgs pricing pulls search security sessions settings signup "
    "site sponsors stars team topics trending users"
)
_GITLAB_RESERVED = {"explore", "users", "groups", "dashboard", "help", "search", "projects", "-"}
_GITLAB_ROUTES = _words(
    "- tree blob raw issues merge_requests commits commit tags branches wikis releases "
    "archive pipelines"
)
_BITBUCKET_RESERVED = {"account", "dashboard", "product", "repo", "site", "support", "snippets"}

_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,38}$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")

_MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?\s*(?:\"[^\"]*\")?\s*\)")
_HTML_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_SCP_FORM = re.compile(r"^(?:ssh://)?git@([A-Za-z0-9.-]+)[:/](.+)$")
_BARE_HOST = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?::\d+)?(?:[/?#]|$)")
_TRAILING = ").,;:'\"]}>*!?`"
_LEADING = "(<[\"'*`{"


# --------------------------------------------------------------------------- normalising


def normalize_repo_url(url: str) -> tuple[RepoRef | None, str | None]:
    """Turn a link into ``(RepoRef, None)``, or ``(None, reason)`` when it is not a repository.

    Accepts what real data contains: ``https://github.com/o/r``, ``http://``, bare
    ``github.com/o/r``, ``www.``, ``git@github.com:o/r.git``, trailing ``.git``, ``/tree/...``,
    ``/blob/...``, ``/issues``, ``#readme``, ``?tab=...``, trailing punctuation, markdown links
    and badges (``[![x](img) o/r](https://github.com/o/r)``) and ``href="..."``. Owner and name
    are lower-cased. GitLab keeps subgroups in the owner (``gitlab.com/g/sub/p`` -> owner
    ``g/sub``). GitHub Pages, Hugging Face and similar sites are rejected with
    :data:`REASON_PROJECT_PAGE` so callers can still recognise them.
    """
    text = _unwrap(url)
    if not text:
        return None, REASON_EMPTY
    scp = _SCP_FORM.match(text)
    if scp:
        text = f"https://{scp.group(1)}/{scp.group(2)}"
    elif text.startswith("//"):
        text = "https:" + text
    elif "://" not in text:
        if text.lower().startswith(("mailto:", "javascript:", "data:", "file:")):
            return None, f"{REASON_NOT_WEB} ({text.split(':', 1)[0].lower()}:)"
        if not _BARE_HOST.match(text):
            return None, f"{REASON_NOT_WEB}: {text[:80]}"
        text = "https://" + text

    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None, REASON_MALFORMED
    scheme = parts.scheme.lower()
    if scheme.startswith("git+"):
        scheme = scheme[4:]
    if scheme in ("git", "ssh"):
        scheme = "https"
    if scheme not in ("http", "https"):
        return None, f"{REASON_NOT_WEB} ({scheme}:)"
    if not host:
        return None, REASON_MALFORMED
    if not _is_public_host(host):
        return None, f"{REASON_NOT_PUBLIC} ({host})"
    host = host.removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]

    if host in _GITHUB_HOSTS:
        return _github(segments)
    if host in _GITHUB_CONTENT_HOSTS:
        return _github(segments[:2]) if len(segments) >= 2 else (None, REASON_MALFORMED)
    if host == "api.github.com":
        if len(segments) >= 3 and segments[0] == "repos":
            return _github(segments[1:3])
        return None, "GitHub API address, not a repository"
    if host in _GIST_HOSTS:
        return None, REASON_GIST
    if host in _GITLAB_HOSTS:
        return _gitlab(segments)
    if host in _BITBUCKET_HOSTS:
        return _bitbucket(segments)
    if host in _PROJECT_PAGE_HOSTS or host.endswith(_PROJECT_PAGE_SUFFIXES):
        return None, REASON_PROJECT_PAGE
    if host in _SHORTENER_HOSTS:
        return None, f"{REASON_SHORTENER} ({host})"
    return None, f"unknown host {host}, not a code repository"


def is_project_page(url: str) -> bool:
    """True for GitHub Pages, Hugging Face and similar project sites (not repositories)."""
    _, reason = normalize_repo_url(url)
    return reason == REASON_PROJECT_PAGE


def _unwrap(url: str) -> str:
    """Strip markdown/HTML wrapping, whitespace and surrounding punctuation from a link."""
    text = url.strip()
    links = _MARKDOWN_LINK.findall(text)
    if links:
        text = links[-1]
    else:
        href = _HTML_HREF.search(text)
        if href:
            text = href.group(1)
    tokens = [_strip_punctuation(t) for t in text.split()]
    for token in tokens:  # "Code: https://github.com/o/r" -> the URL, not "Code:"
        if "://" in token or _SCP_FORM.match(token) or _BARE_HOST.match(token):
            return token
    return tokens[0] if tokens else ""


def _strip_punctuation(text: str) -> str:
    """Remove punctuation around a URL; keep a closing ')' that has its '(' inside the URL."""
    text = text.lstrip(_LEADING)
    while text and text[-1] in _TRAILING:
        if text[-1] == ")" and text.count("(") >= text.count(")"):
            break
        text = text[:-1]
    return text


def _is_public_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return False  # code hosts are never written as IP literals; internal addresses are
    if "." not in host:
        return False
    return not host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa"))


def _github(segments: Sequence[str]) -> tuple[RepoRef | None, str | None]:
    if not segments:
        return None, "GitHub home page, not a repository"
    first = segments[0].lower()
    if first in _GITHUB_RESERVED:
        if first in ("orgs", "organizations", "users"):
            return None, REASON_USER_PAGE
        return None, f"GitHub '{first}' page, not a repository"
    if not _GITHUB_OWNER.match(segments[0]):
        return None, REASON_MALFORMED
    if len(segments) == 1:
        return None, REASON_USER_PAGE
    name = _clean_name(segments[1])
    if name is None:
        return None, REASON_MALFORMED
    return RepoRef("github", segments[0].lower(), name), None


def _gitlab(segments: Sequence[str]) -> tuple[RepoRef | None, str | None]:
    if not segments:
        return None, "GitLab home page, not a repository"
    if segments[0].lower() in _GITLAB_RESERVED:
        return None, f"GitLab '{segments[0].lower()}' page, not a repository"
    cut = len(segments)
    for i, seg in enumerate(segments):
        if seg == "-" or (i >= 2 and seg in _GITLAB_ROUTES):
            cut = i
            break
    project = list(segments[:cut])
    if len(project) < 2:
        return None, REASON_USER_PAGE
    name = _clean_name(project[-1])
    if name is None or not all(_PATH_SEGMENT.match(s) for s in project[:-1]):
        return None, REASON_MALFORMED
    return RepoRef("gitlab", "/".join(project[:-1]).lower(), name), None


def _bitbucket(segments: Sequence[str]) -> tuple[RepoRef | None, str | None]:
    if not segments:
        return None, "Bitbucket home page, not a repository"
    if segments[0].lower() in _BITBUCKET_RESERVED:
        return None, f"Bitbucket '{segments[0].lower()}' page, not a repository"
    if len(segments) == 1:
        return None, REASON_USER_PAGE
    name = _clean_name(segments[1])
    if name is None or not _PATH_SEGMENT.match(segments[0]):
        return None, REASON_MALFORMED
    return RepoRef("bitbucket", segments[0].lower(), name), None


def _clean_name(segment: str) -> str | None:
    name = segment
    if name.lower().endswith(".git"):
        name = name[:-4]
    name = name.rstrip(".")
    if not name or name in (".", "..") or not _REPO_NAME.match(name):
        return None
    return name.lower()


# --------------------------------------------------------------------------- PDF text repair

_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
    }
)
_SCHEME_GAP = re.compile(r"(?i)\b(https?)\s*:\s*/\s*/\s*")
_SPLIT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "github.io")
_BREAK_INSIDE = r"(?:[ \t]*-?[ \t]*\n[ \t]*)?"


def _host_pattern(host: str) -> str:
    out = []
    for i, ch in enumerate(host):
        if ch == ".":
            out.append(r"\s*\.\s*")
        else:
            out.append(re.escape(ch))
            if i + 1 < len(host) and host[i + 1] != ".":
                out.append(_BREAK_INSIDE)
    return "".join(out)


_SPLIT_HOST = re.compile(
    r"(?i)(?<![A-Za-z0-9-])(" + "|".join(_host_pattern(h) for h in _SPLIT_HOSTS) + r")\s*(?=/)"
)
_URL_TAIL = re.compile(
    r"(?i)(?:https?://\S*|(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co)"
    r"(?:/\S*)?|[A-Za-z0-9-]+\.github\.io(?:/\S*)?|www\.\S*)$"
)
_CODE_HOST = re.compile(r"(?i)^(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)$")
_PATH_START = re.compile(r"[A-Za-z0-9._-]*/")
_HOST_REST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:/\S*)?$")


def repair_pdf_text(text: str) -> str:
    """Join URLs that PDF text extraction broke across lines or spaces.

    Fixes, in order:

    1. ligatures and soft hyphens (``ﬁ`` -> ``fi``);
    2. spaces inside the scheme: ``https: //`` -> ``https://``;
    3. a known code host split by a line break, a hyphenated break or spaces:
       ``https://git\\nhub.com/...``, ``git-\\nhub.com``, ``github. com/...``;
    4. line breaks inside a URL. The next line's first token is glued onto a URL-like token that
       ends a line only when the piece before the break **cannot be a complete URL**:

       * it ends in ``/``, ``-`` or ``_`` (``https://github.com/open-\\nmmlab/mmdetection``,
         ``github.com/foo/\\nbar-baz``). The hyphen is kept: URL breaks happen after real
         hyphens, and GitHub names are full of them;
       * it ends in ``.`` inside the host name (``https://www.cs.\\ncmu.edu/...``). After a
         path, or after a complete host, a final ``.`` ends the sentence and the next word is
         left alone;
       * it is only a host, or a GitHub/GitLab/Bitbucket URL with just the owner, and the next
         line continues a path (``word/...``): ``https://github.com/facebook\\nresearch/x``;
       * the next line starts with ``/`` and more path (``.../mmdet\\n/configs``).

       So a complete URL followed by an ordinary word (``https://github.com/x/y\\nWe train``,
       ``.../x/y.\\nThe``) is never joined. The price: a break inside a repository name that
       does not fall after ``-``, ``_``, ``/`` or ``.`` (``detec\\ntron2``) cannot be told from a
       URL followed by a word, and stays broken.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LIGATURES)
    text = _SCHEME_GAP.sub(lambda m: m.group(1).lower() + "://", text)
    text = _SPLIT_HOST.sub(lambda m: re.sub(r"[\s-]", "", m.group(1)).lower(), text)
    lines = text.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        previous = out[-1].rstrip()
        following = line.lstrip()
        if previous and following:
            last_token = previous.split()[-1]
            first_token = following.split()[0]
            if _should_join(last_token, first_token):
                out[-1] = previous + following
                continue
        out.append(line)
    return "\n".join(out)


def _should_join(before: str, after: str) -> bool:
    """Whether ``before`` (a token ending a line) is an unfinished URL continued by ``after``."""
    tail = _URL_TAIL.search(before)
    if tail is None:
        return False
    url = tail.group(0)
    if len(after) > 1 and after[0] == "/" and after[1] != "/":
        return True
    if url[-1] in "/-_":
        return True
    host, _, path = re.sub(r"(?i)^https?://", "", url).partition("/")
    segments = [s for s in path.split("/") if s]
    if url[-1] == ".":
        if segments:
            return False  # "…/x/y." ends a sentence
        inner = host[:-1]
        return _HOST_REST.match(after) is not None and ("." not in inner or "/" in after)
    if "." not in host:  # "https://github" + ".com/…"
        return after.startswith(".")
    if not _CODE_HOST.match(host) or len(segments) > 1:
        return False
    return _PATH_START.match(after) is not None


# --------------------------------------------------------------------------- finding URLs

_URL_CHARS = r"[^\s<>\"'`{}|\\^\[\]“”‘’«»]"
_CANDIDATE = re.compile(
    r"(?i)(?:https?://" + _URL_CHARS + r"+"
    r"|(?<![A-Za-z.@/:-])(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co"
    r"|git\.io)/" + _URL_CHARS + r"+"
    r"|(?<![A-Za-z0-9.@/:-])[A-Za-z0-9-]+\.github\.io(?:/" + _URL_CHARS + r"*)?)"
)
_CODE_CONTEXT = re.compile(
    r"(?i)\b(?:code|codes|project|implementation|software|repository|repo|github|source)\b"
)
_PROJECT_CONTEXT = re.compile(r"(?i)\b(?:project|homepage|home page|website|webpage)\b")


@dataclass(frozen=True)
class _Hit:
    url: str
    start: int
    end: int


def find_urls(text: str) -> list[str]:
    """Candidate code URLs in (raw or repaired) text, in order of appearance, without repeats.

    Always candidates: GitHub, GitLab, Bitbucket, Hugging Face, ``*.github.io`` and ``git.io``
    links, with or without a scheme. Any other http(s) URL is a candidate only when the text just
    before it talks about code or a project page ("code", "project", "implementation", ...), and
    never for hosts that hold papers rather than code (arxiv.org, doi.org, ...).
    """
    seen: set[str] = set()
    out: list[str] = []
    for hit in _hits(repair_pdf_text(text)):
        if hit.url not in seen:
            seen.add(hit.url)
            out.append(hit.url)
    return out


def _hits(text: str) -> Iterator[_Hit]:
    for match in _CANDIDATE.finditer(text):
        url = _strip_punctuation(match.group(0))
        if not url or url.endswith("://"):
            continue
        end = match.start() + len(url)
        if _is_always_candidate(url):
            yield _Hit(url, match.start(), end)
            continue
        host = _host_of(url)
        if not host or host in _NEVER_CODE_HOSTS or host.removeprefix("www.") in _NEVER_CODE_HOSTS:
            continue
        before = text[max(0, match.start() - 120) : match.start()]
        if _CODE_CONTEXT.search(before):
            yield _Hit(url, match.start(), end)


def _host_of(url: str) -> str:
    try:
        return (urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
    except ValueError:
        return ""


def _is_always_candidate(url: str) -> bool:
    host = _host_of(url).removeprefix("www.")
    return (
        host in _GITHUB_HOSTS
        or host in _GITHUB_CONTENT_HOSTS
        or host in _GIST_HOSTS
        or host in _GITLAB_HOSTS
        or host in _BITBUCKET_HOSTS
        or host in ("huggingface.co", "hf.co", "git.io")
        or host.endswith((".github.io", ".gitlab.io"))
    )


# --------------------------------------------------------------------------- links in a PDF

# Well-known libraries and toolboxes that papers cite as tools far more often than they release.
THIRD_PARTY_REPOS = _words(
    "github:pytorch/pytorch github:pytorch/vision github:pytorch/examples "
    "github:pytorch/fairseq github:tensorflow/tensorflow github:tensorflow/models "
    "github:tensorflow/tpu github:keras-team/keras github:google/jax github:jax-ml/jax "
    "github:google/flax github:apache/mxnet github:bvlc/caffe "
    "github:facebookresearch/detectron github:facebookresearch/detectron2 "
    "github:facebookresearch/maskrcnn-benchmark github:facebookresearch/fairseq "
    "github:facebookresearch/pytorch3d github:facebookresearch/faiss "
    "github:open-mmlab/mmdetection github:open-mmlab/mmsegmentation github:open-mmlab/mmcv "
    "github:open-mmlab/mmpose github:open-mmlab/mmdetection3d github:huggingface/transformers "
    "github:huggingface/diffusers github:huggingface/pytorch-image-models "
    "github:rwightman/pytorch-image-models github:ultralytics/yolov5 "
    "github:ultralytics/ultralytics github:openai/clip github:compvis/stable-diffusion "
    "github:nvidia/apex github:lightning-ai/lightning "
    "github:pytorchlightning/pytorch-lightning github:scikit-learn/scikit-learn "
    "github:opencv/opencv"
)

_OFFICIAL_CUES = re.compile(
    r"(?i)(?:\bour\s+(?:source\s+)?(?:code|codes|implementation|models?|project|codebase|"
    r"toolbox|library|framework|software|repository|repo)\b"
    r"|\bcodes?\s+(?:and\s+\w+\s+)?(?:is|are|will\s+be|has\s+been|have\s+been)\b"
    r"|\bcodes?\s*(?:and\s+(?:data|models?|datasets?|weights)\s*)?:"
    r"|\bproject\s+(?:page|website|site|webpage)\b"
    r"|\bimplementation\s+(?:is|will\s+be)\s+(?:publicly\s+)?available\b"
    r"|\b(?:released|available|found)\s+at\b"
    r"|\bwe\s+(?:release|make|open-?source|provide)\b"
    r"|\bgithub\s*:)"
)
_THIRD_PARTY_CUES = re.compile(
    r"(?i)(?:\bbased\s+on\b|\bbuilt\s+(?:on|upon|with)\b|\bwe\s+(?:use|used|adopt|adopted|"
    r"follow|followed|borrow|borrowed|employ|employed|leverage)\b|\busing\b"
    r"|\bimplemented\s+(?:in|with|using)\b|\bprovided\s+by\b|\breleased\s+by\b"
    r"|\bofficial\s+(?:code|implementation)s?\s+of\b|\b(?:taken|obtained|downloaded|borrowed)"
    r"\s+from\b|\bpre-?trained\b|(?<!our )\b(?:codebase|toolbox|library|framework)\b)"
)
_REFERENCES_HEADING = re.compile(
    r"(?im)^[ \t]*(?:\d+\.?[ \t]*)?(?:references|bibliography|literature\s+cited)[ \t]*$"
)
_APPENDIX_HEADING = re.compile(
    r"(?im)^[ \t]*(?:[A-Z]\.?[ \t]+)?(?:appendix|appendices|supplementary\s+material)\b"
)
_FOOTNOTE_PREFIX = re.compile(r"^[ \t]*(?:\d{1,2}|[*∗†‡§¶])[ \t]*(?:[A-Za-z][A-Za-z ]{0,30}:\s*)?$")
_CONTEXT_BEFORE = 160
_NEAR = 90


def links_from_pdf(paper_id: str, pages: list[str]) -> list[CodeLink]:
    """Code links found in a paper's text, one per repository (or per URL when rejected).

    ``pages`` is the text of each page (``scraper.pdf.extract_pages``). A link is ``official``
    (the paper's own code) when, outside the references section, it is close after a phrase such
    as "code is available", "our code", "project page", "released at", or sits on the first two
    pages or in a footnote, and no nearer phrase marks it as a tool ("based on", "we use", "built
    upon", "pre-trained", ...). Links to well-known libraries (:data:`THIRD_PARTY_REPOS`) are
    official only right after an ownership phrase. Links that are not repositories (user pages,
    project pages, unknown hosts) are returned too, with ``rejected`` set and ``repo=None``.
    Repeated links are merged: official if any occurrence is.
    """
    texts = [repair_pdf_text(page) for page in pages]
    ref_spans = _reference_spans(texts)
    links: list[CodeLink] = []
    index: dict[str, int] = {}
    for page_no, text in enumerate(texts):
        for hit in _hits(text):
            repo, reason = normalize_repo_url(hit.url)
            before = _collapse(text[max(0, hit.start - _CONTEXT_BEFORE) : hit.start])
            if reason and reason.startswith("unknown host") and _PROJECT_CONTEXT.search(before):
                reason = REASON_PROJECT_PAGE
            in_refs = any(lo <= hit.start < hi for lo, hi in ref_spans.get(page_no, ()))
            official = not in_refs and _looks_official(
                before,
                repo,
                first_pages=page_no < 2,
                footnote=_is_footnote(text, hit.start),
            )
            key = repo.repo_id if repo else hit.url.lower()
            if key in index:
                old = links[index[key]]
                if official and not old.official:
                    links[index[key]] = replace(old, official=True)
                continue
            index[key] = len(links)
            links.append(
                CodeLink(
                    paper_id=paper_id,
                    url=hit.url,
                    found_in="pdf",
                    repo=repo,
                    official=official,
                    rejected=reason,
                )
            )
    return links


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _looks_official(
    before: str, repo: RepoRef | None, *, first_pages: bool, footnote: bool
) -> bool:
    official_at = _last_match_end(_OFFICIAL_CUES, before)
    tool_at = _last_match_end(_THIRD_PARTY_CUES, before)
    near_official = official_at is not None and len(before) - official_at <= _NEAR
    near_tool = tool_at is not None and len(before) - tool_at <= _NEAR
    tool_is_closer = near_tool and (official_at is None or (tool_at or 0) >= official_at)
    if repo is not None and repo.repo_id in THIRD_PARTY_REPOS:
        return near_official and not tool_is_closer
    if tool_is_closer:
        return False
    return near_official or first_pages or footnote


def _last_match_end(pattern: re.Pattern[str], text: str) -> int | None:
    end = None
    for match in pattern.finditer(text):
        end = match.end()
    return end


def _is_footnote(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return _FOOTNOTE_PREFIX.match(text[line_start:start]) is not None


def _reference_spans(texts: Sequence[str]) -> dict[int, list[tuple[int, int]]]:
    """Per page, the character spans that belong to a references section.

    A section starts after each "References"/"Bibliography" heading line and runs to the next
    "Appendix"/"Supplementary material" heading, or to the end of the document.
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    for first_page, text in enumerate(texts):
        for heading in _REFERENCES_HEADING.finditer(text):
            page_no, offset = first_page, heading.end()
            while page_no < len(texts):
                end_match = _APPENDIX_HEADING.search(texts[page_no], offset)
                end = end_match.start() if end_match else len(texts[page_no])
                spans.setdefault(page_no, []).append((offset, end))
                if end_match:
                    break
                page_no, offset = page_no + 1, 0
    return spans
