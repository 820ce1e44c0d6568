"""Code-link normalising, PDF URL repair, URL finding and official/third-party marking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.links import (
    REASON_GIST,
    REASON_PROJECT_PAGE,
    REASON_USER_PAGE,
    find_urls,
    is_project_page,
    links_from_pdf,
    normalize_repo_url,
    repair_pdf_text,
)
from scraper.models import CodeLink, RepoRef

# ----------------------------------------------------------------------------- normalize_repo_url


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Open-MMLab/MMDetection",
        "http://github.com/open-mmlab/mmdetection",
        "github.com/open-mmlab/mmdetection",
        "www.github.com/open-mmlab/mmdetection",
        "https://www.github.com/open-mmlab/mmdetection/",
        "https://github.com/open-mmlab/mmdetection.git",
        "https://github.com/open-mmlab/mmdetection/tree/main/configs/yolox",
        "https://github.com/open-mmlab/mmdetection/blob/master/README.md#installation",
        "https://github.com/open-mmlab/mmdetection#readme",
        "https://github.com/open-mmlab/mmdetection?tab=readme-ov-file",
        "https://github.com/open-mmlab/mmdetection/issues/123",
        "https://github.com/open-mmlab/mmdetection).",
        "(https://github.com/open-mmlab/mmdetection),",
        '"https://github.com/open-mmlab/mmdetection";',
        "https://github.com/open-mmlab/mmdetection]",
        "<https://github.com/open-mmlab/mmdetection>",
        "  https://github.com/open-mmlab/mmdetection\n",
        "[code](https://github.com/open-mmlab/mmdetection)",
        "[![github](/images/github_icon.svg) open-mmlab/mmdetection]"
        "(https://github.com/open-mmlab/mmdetection)",
        "[![Code](https://img.shields.io/badge/code-GitHub-blue)]"
        "(https://github.com/open-mmlab/mmdetection)",
        '<a href="https://github.com/open-mmlab/mmdetection">code</a>',
        "Code: https://github.com/open-mmlab/mmdetection",
        "git@github.com:open-mmlab/mmdetection.git",
        "git+https://github.com/open-mmlab/mmdetection.git",
        "https://raw.githubusercontent.com/open-mmlab/mmdetection/main/setup.py",
        "https://codeload.github.com/open-mmlab/mmdetection/tar.gz/main",
    ],
)
def test_github_forms_normalise_to_one_repo(url: str) -> None:
    assert normalize_repo_url(url) == (RepoRef("github", "open-mmlab", "mmdetection"), None)


def test_repo_id_and_slug() -> None:
    repo, _ = normalize_repo_url("https://github.com/NVlabs/stylegan2-ada-pytorch")
    assert repo is not None
    assert repo.repo_id == "github:nvlabs/stylegan2-ada-pytorch"
    assert repo.slug == "nvlabs/stylegan2-ada-pytorch"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://github.com/facebookresearch", REASON_USER_PAGE),
        ("github.com/kaiminghe/", REASON_USER_PAGE),
        ("https://github.com/orgs/facebookresearch/repositories", REASON_USER_PAGE),
        ("https://github.com/users/foo/projects/1", REASON_USER_PAGE),
        ("https://gist.github.com/karpathy/d4dee566867f8291f086", REASON_GIST),
        ("https://foo.github.io/myproject/", REASON_PROJECT_PAGE),
        ("nvlabs.github.io/stylegan2", REASON_PROJECT_PAGE),
        ("https://huggingface.co/spaces/org/demo", REASON_PROJECT_PAGE),
        ("https://huggingface.co/facebook/sam-vit-huge", REASON_PROJECT_PAGE),
        ("https://sites.google.com/view/my-project", REASON_PROJECT_PAGE),
        ("https://gitlab.com/gitlab-org", REASON_USER_PAGE),
        ("https://bitbucket.org/someteam", REASON_USER_PAGE),
    ],
)
def test_pages_that_are_not_repositories(url: str, reason: str) -> None:
    assert normalize_repo_url(url) == (None, reason)


@pytest.mark.parametrize(
    ("url", "reason_part"),
    [
        ("https://github.com/features/copilot", "GitHub 'features' page"),
        ("https://github.com/topics/deep-learning", "GitHub 'topics' page"),
        ("https://github.com/sponsors/someone", "GitHub 'sponsors' page"),
        ("https://github.com/marketplace/actions/x", "GitHub 'marketplace' page"),
        ("https://github.com/settings/tokens", "GitHub 'settings' page"),
        ("https://github.com/about", "GitHub 'about' page"),
        ("https://github.com", "GitHub home page"),
        ("https://git.io/JfMKx", "URL shortener"),
        ("https://bit.ly/3abcdef", "URL shortener"),
        ("https://example.org/code/release.zip", "unknown host example.org"),
        ("http://127.0.0.1:8000/a/b", "not a public web address"),
        ("http://localhost/a/b", "not a public web address"),
        ("http://[::1]/a/b", "not a public web address"),
        ("file:///etc/passwd", "not a web address"),
        ("ftp://github.com/a/b", "not a web address"),
        ("mailto:someone@example.org", "not a web address"),
        ("", "empty URL"),
        ("see the supplementary material", "not a web address"),
        ("https://github.com/-bad-/repo", "malformed"),
        ("https://github.com/owner/.git", "malformed"),
        ("https://github.com/owner/re%20po", "malformed"),
    ],
)
def test_rejected_links_say_why(url: str, reason_part: str) -> None:
    repo, reason = normalize_repo_url(url)
    assert repo is None
    assert reason is not None and reason_part in reason


def test_gitlab_keeps_subgroups_in_owner() -> None:
    expected = RepoRef("gitlab", "group/sub", "project")
    for url in [
        "https://gitlab.com/Group/Sub/Project",
        "gitlab.com/group/sub/project.git",
        "https://gitlab.com/group/sub/project/-/tree/main/src",
        "https://gitlab.com/group/sub/project/-/blob/main/README.md",
        "https://gitlab.com/group/sub/project/tree/master",  # older GitLab URLs had no "/-/"
    ]:
        assert normalize_repo_url(url) == (expected, None), url
    assert normalize_repo_url("https://gitlab.com/inria/hello") == (
        RepoRef("gitlab", "inria", "hello"),
        None,
    )
    assert normalize_repo_url("https://gitlab.com/explore/projects")[0] is None


def test_bitbucket_repositories() -> None:
    expected = RepoRef("bitbucket", "team", "slug")
    for url in [
        "https://bitbucket.org/Team/Slug",
        "https://bitbucket.org/team/slug/src/master/README.md",
        "bitbucket.org/team/slug.git",
    ]:
        assert normalize_repo_url(url) == (expected, None), url


def test_is_project_page() -> None:
    assert is_project_page("https://jonbarron.github.io/")
    assert not is_project_page("https://github.com/google/mipnerf")


@given(st.text(max_size=200))
def test_normalize_never_raises(text: str) -> None:
    repo, reason = normalize_repo_url(text)
    assert (repo is None) != (reason is None)


# ----------------------------------------------------------------------------- repair_pdf_text


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        (
            "code: https://github.com/open-\nmmlab/mmdetection",
            "code: https://github.com/open-mmlab/mmdetection",
        ),
        ("github.com/foo/\nbar-baz now", "github.com/foo/bar-baz now"),
        ("https://git\nhub.com/foo/bar", "https://github.com/foo/bar"),
        ("https://git-\nhub.com/foo/bar", "https://github.com/foo/bar"),
        ("https: //github. com/x/y", "https://github.com/x/y"),
        ("https://\ngithub.com/x/y", "https://github.com/x/y"),
        (
            "https://github.com/facebook\nresearch/detectron2",
            "https://github.com/facebookresearch/detectron2",
        ),
        ("https://github.com\n/foo/bar", "https://github.com/foo/bar"),
        (
            "https://github.com/foo/bar\n/tree/main/configs",
            "https://github.com/foo/bar/tree/main/configs",
        ),
        ("https://github.com/foo/my_\nrepo", "https://github.com/foo/my_repo"),
        ("https://www.cs.\ncmu.edu/~x/code", "https://www.cs.cmu.edu/~x/code"),
        ("1https://github.com/\nfoo/\nbar-\nbaz", "1https://github.com/foo/bar-baz"),
        ("https://github.com/ﬁlter/ﬂow", "https://github.com/filter/flow"),
    ],
)
def test_repair_joins_broken_urls(broken: str, fixed: str) -> None:
    assert repair_pdf_text(broken) == fixed


@pytest.mark.parametrize(
    "text",
    [
        "Code: https://github.com/foo/bar\nWe train on ImageNet.",
        "available at https://github.com/foo/bar.\nThe results show",
        "available at https://github.com/foo/bar.\nwe then",
        "see https://example.com.\nwe then",
        "profile https://github.com/facebook\nresearch on vision",  # a user page, then a word
        "state-of-\nthe-art methods",  # ordinary hyphenation is not our business
        "line one\nline two",
        "https://github.com/foo/bar\n\nNew paragraph",
    ],
)
def test_repair_leaves_complete_urls_and_prose_alone(text: str) -> None:
    assert repair_pdf_text(text) == text


# ----------------------------------------------------------------------------- find_urls


def test_find_urls_in_order_deduplicated_and_cleaned() -> None:
    text = (
        "Our code is at https://github.com/open-\nmmlab/mmdetection. See also\n"
        "github.com/foo/bar, (https://github.com/open-mmlab/mmdetection) and "
        "https://foo.github.io/proj/. Models: https://huggingface.co/foo/bar.\n"
        "We compare with [12] (arXiv:2101.00001, https://arxiv.org/abs/2101.00001)."
    )
    assert find_urls(text) == [
        "https://github.com/open-mmlab/mmdetection",
        "github.com/foo/bar",
        "https://foo.github.io/proj/",
        "https://huggingface.co/foo/bar",
    ]


def test_find_urls_other_hosts_only_with_code_context() -> None:
    text = (
        "The dataset is at https://data.example.org/set.zip. "
        "Project page: https://vision.example.edu/~ann/proj. "
        "The implementation can be downloaded from http://www.example.com/code.tar.gz"
    )
    assert find_urls(text) == [
        "https://vision.example.edu/~ann/proj",
        "http://www.example.com/code.tar.gz",
    ]
    assert find_urls("Source code: https://arxiv.org/abs/1234.56789") == []


def test_find_urls_glued_to_words_and_footnote_numbers() -> None:
    text = "available athttps://github.com/a/b and 2github.com/c/d"
    assert find_urls(text) == ["https://github.com/a/b", "github.com/c/d"]


# ----------------------------------------------------------------------------- links_from_pdf


def _by_repo(links: list[CodeLink]) -> dict[str, CodeLink]:
    return {(link.repo.repo_id if link.repo else link.url): link for link in links}


def test_links_from_pdf_official_and_third_party() -> None:
    pages = [
        "Fast Things\nAnonymous\nAbstract\nWe do things. Code is available at https://github.com/\n"
        "AnnLab/fast-things.\n",
        "1. Introduction\nMany methods exist.\n",
        "4. Experiments\nOur implementation is based on https://github.com/open-mmlab/mmdetection\n"
        "and we use the pre-trained weights from https://github.com/someone/weights-repo.\n"
        "We compare with the public code at https://github.com/other/baseline too.\n"
        "1https://github.com/third/footnote-baseline\n",
        "References\n[1] A. Paszke et al. PyTorch. https://github.com/pytorch/pytorch\n"
        "[2] B. C. Some method. https://github.com/other/cited-method\n",
        "Appendix\nA. More details. Our code and models: https://github.com/annlab/extras\n",
    ]
    links = _by_repo(links_from_pdf("cvpr:2023:x", pages))
    official = {key for key, link in links.items() if link.official}
    assert official == {
        "github:annlab/fast-things",  # first page, "code is available at"
        "github:third/footnote-baseline",  # footnote
        "github:annlab/extras",  # after the references, "our code"
    }
    assert set(links) == {
        "github:annlab/fast-things",
        "github:open-mmlab/mmdetection",  # "based on": a tool
        "github:someone/weights-repo",  # "pre-trained ... from"
        "github:other/baseline",  # mid-paper, no ownership phrase
        "github:third/footnote-baseline",
        "github:pytorch/pytorch",  # references
        "github:other/cited-method",  # references
        "github:annlab/extras",
    }
    first = links["github:annlab/fast-things"]
    assert first.url == "https://github.com/AnnLab/fast-things"
    assert all(link.found_in == "pdf" and link.paper_id == "cvpr:2023:x" for link in links.values())


def test_tool_repo_is_official_only_when_the_paper_releases_it() -> None:
    released = [
        "Detectron2\nAbstract\nOur code is available at https://github.com/facebookresearch/detectron2\n"
    ]
    cited = [
        "Something\nAbstract\nWe build on https://github.com/facebookresearch/detectron2 here.\n"
    ]
    bare = ["Something\nAbstract\nhttps://github.com/huggingface/transformers\n"]
    assert links_from_pdf("p", released)[0].official is True
    assert links_from_pdf("p", cited)[0].official is False
    assert links_from_pdf("p", bare)[0].official is False  # first page alone is not enough


def test_rejected_links_are_kept_with_a_reason() -> None:
    pages = [
        "Title\nProject page: https://annlab.github.io/fast/ and code: https://github.com/annlab\n"
        "Website for the project https://www.annlab.org/fast\n"
    ]
    links = links_from_pdf("p", pages)
    assert [(link.url, link.repo, link.rejected) for link in links] == [
        ("https://annlab.github.io/fast/", None, REASON_PROJECT_PAGE),
        ("https://github.com/annlab", None, REASON_USER_PAGE),
        ("https://www.annlab.org/fast", None, REASON_PROJECT_PAGE),
    ]


def test_repeated_link_is_merged_and_official_if_any_occurrence_is() -> None:
    pages = [
        "Title\nAbstract\nnothing here\n",
        "x\n",
        "We compare to https://github.com/ann/fast.\n",
        "Code is available at https://github.com/Ann/Fast/tree/main\n",
    ]
    links = links_from_pdf("p", pages)
    assert len(links) == 1
    assert links[0].url == "https://github.com/ann/fast"  # the first form seen
    assert links[0].official is True


def test_no_links_in_plain_text() -> None:
    assert links_from_pdf("p", ["Just a title\nand some text about PyTorch.\n"]) == []
    assert links_from_pdf("p", []) == []
