"""The demo world: a small, fixed fixture web shaped like the real sites.

CVF Open Access listing pages (both layouts: per-day pages with a broken ``?day=all`` for
CVPR 2021, working ``?day=all`` pages for later years), one PDF per paper (with its code link
in the text, sometimes split across lines as PDF extraction leaves it), GitHub API JSON and
codeload tarballs for one repository per paper.

Every paper is described by one letter, so the expected numbers are easy to count by hand
(the end-to-end test asserts them):

====  ==========================================================================
P     official repo in PyTorch            T   official repo in TensorFlow
B     repo with PyTorch *and* TensorFlow   J   repo in JAX (Flax)
K     repo in standalone Keras             N   repo with no deep-learning framework
M     link to a repo that does not exist   Z   repo over the size cap (by metadata)
L     PyTorch repo, URL split over 2 lines X   no code link at all
R     only a third-party repo cited in the references (not official)
U     a GitHub user page (recorded as a rejected link)
====  ==========================================================================
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import tarfile
from dataclasses import dataclass

from scraper.demo.pdfwriter import make_pdf
from scraper.demo.server import Resource
from scraper.reference import VenueSizes, load_venue_dates

# venue, year -> one letter per paper (see the module docstring).
WORLD: dict[tuple[str, int], str] = {
    ("cvpr", 2021): "PPPTTTTBNMXXR",
    ("cvpr", 2022): "PPPPPPPPPPPPTTTTBJKNMXXXXUZL",
    ("cvpr", 2023): "PPPPPPPPPPPPPPPPPPPPPPPPPTTTTBJJNMXXXXXRLL",
    ("iccv", 2021): "PPPPTTTNXX",
    ("iccv", 2023): "PPPPPPPTJXXX",
}
# Venue-years with a papercopilot/paperlists file: it adds code links for the X papers there
# (papers whose PDF has no link), in the messy forms the real files have.
PAPERLISTS = {("iccv", 2023)}
# CVPR 2021 uses the per-day layout whose ``?day=all`` page is an error page (as on the site).
DAY_LAYOUT = {("cvpr", 2021): ("2021-06-21", "2021-06-22")}
DEMO_ORG = "demo-lab"

_WORDS_A = [
    "Learning",
    "Towards",
    "Rethinking",
    "Revisiting",
    "Scaling",
    "Efficient",
    "Robust",
    "Self-Supervised",
    "Neural",
    "Sparse",
    "Dense",
    "Unified",
    "Generalizable",
]
_WORDS_B = [
    "Object Detection",
    "Depth Estimation",
    "Image Synthesis",
    "Video Segmentation",
    "Point Cloud Registration",
    "Pose Estimation",
    "Optical Flow",
    "Scene Graphs",
    "Visual Grounding",
    "Super-Resolution",
    "3D Reconstruction",
    "Tracking",
]
_WORDS_C = [
    "with Transformers",
    "from Few Labels",
    "in the Wild",
    "at Scale",
    "via Diffusion",
    "without Supervision",
    "under Domain Shift",
    "for Robots",
]
_FIRST = [
    "Wei",
    "Anna",
    "Carlos",
    "Yuki",
    "Fatima",
    "Jonas",
    "Priya",
    "Lucas",
    "Mei",
    "Omar",
    "Sofia",
    "Hiroshi",
    "Élodie",
    "Kwame",
]
_LAST = [
    "Zhang",
    "Müller",
    "Garcia",
    "Tanaka",
    "Khan",
    "Schmidt",
    "Patel",
    "Silva",
    "Chen",
    "Haddad",
    "Rossi",
    "Suzuki",
    "Dubois",
    "Mensah",
]


@dataclass(frozen=True)
class DemoPaper:
    venue: str
    year: int
    index: int
    kind: str

    @property
    def conf(self) -> str:
        return self.venue.upper()

    @property
    def title(self) -> str:
        i = self.index + 7 * self.year + (0 if self.venue == "cvpr" else 3)
        return (
            f"{_WORDS_A[i % len(_WORDS_A)]} {_WORDS_B[(i // 2) % len(_WORDS_B)]} "
            f"{_WORDS_C[(i // 3) % len(_WORDS_C)]}"
        )

    @property
    def authors(self) -> list[str]:
        i = self.index + self.year
        return [
            f"{_FIRST[(i + k) % len(_FIRST)]} {_LAST[(i * 3 + k) % len(_LAST)]}"
            for k in range(1 + i % 3)
        ]

    @property
    def stem(self) -> str:
        last = self.authors[0].split()[-1]
        words = "_".join(w.strip("-") for w in self.title.split()[:4])
        return f"{last}_{words}_{self.index}_{self.conf}_{self.year}_paper"

    @property
    def prefix(self) -> str:
        return f"/content/{self.conf}{self.year}"

    @property
    def repo(self) -> str | None:
        if self.kind == "X" and (self.venue, self.year) in PAPERLISTS:
            return f"{self.venue}{self.year}-paper{self.index:02d}-x"  # known to paperlists
        if self.kind in "XRU":
            return None
        return f"{self.venue}{self.year}-paper{self.index:02d}-{self.kind.lower()}"


def papers() -> list[DemoPaper]:
    return [DemoPaper(v, y, i, k) for (v, y), kinds in WORLD.items() for i, k in enumerate(kinds)]


# --- CVF pages ------------------------------------------------------------------------------

_PAGE_HEAD = """<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}</title>
<link rel="stylesheet" type="text/css" href="/static/css/openaccess.css">
</head>
<body>
<div id="header">
<div id="header_left">
<a href="/menu"><img src="/img/cvf-s.jpg" width="175" border="0" alt="CVF"></a>
</div>
<div id="header_right"><div id="header_title">
<a href="/menu">CVF Open Access</a></div></div>
</div>
<div class="clear"></div>
<div id="content">
"""
_PAGE_TAIL = "</div>\n</body>\n</html>\n"


def _paper_entry(p: DemoPaper) -> str:
    esc = html.escape
    authors = "\n".join(
        f'<form id="form-{esc(a.replace(" ", "-"))}" action="/{p.conf}{p.year}_search" '
        f'method="post" class="authsearch">\n'
        f'<input type="hidden" name="query_author" value="{esc(a)}">\n'
        f'<a href="#" onclick="this.parentNode.submit()">{esc(a)}</a>,\n</form>'
        for a in p.authors
    )
    arxiv = ""
    if p.index % 3 == 0:
        arxiv_id = f"{p.year % 100:02d}{p.index + 1:02d}.0{p.index + 11:03d}"
        arxiv = f'\n[<a href="http://arxiv.org/abs/{arxiv_id}">arXiv</a>]'
    supp = ""
    if p.index % 2 == 0:
        supp = (
            f'\n[<a href="{p.prefix}/supplemental/{p.stem.removesuffix("_paper")}'
            f'_supplemental.pdf">supp</a>]'
        )
    bib_key = f"{p.authors[0].split()[-1]}_{p.year}_{p.conf}"
    page = f"{p.prefix}/html/{p.stem}.html"
    toggle = "$(this).siblings('.bibref').slideToggle()"
    return f"""<dt class="ptitle"><br><a href="{page}">{esc(p.title)}</a></dt>
<dd>
{authors}
</dd>
<dd>
[<a href="{p.prefix}/papers/{p.stem}.pdf">pdf</a>]{supp}{arxiv}
<div class="link2">[<a class="fakelink" onclick="{toggle}">bibtex</a>]
<div class="bibref pre-white-space">@InProceedings{{{bib_key},
    author    = {{{esc(" and ".join(p.authors))}}},
    title     = {{{esc(p.title)}}},
    booktitle = {{Proceedings of the IEEE/CVF Conference ({p.conf})}},
    month     = {{June}},
    year      = {{{p.year}}}
}}</div>
</div>
</dd>
"""


def _listing(title: str, entries: list[DemoPaper]) -> str:
    body = "<dl>\n" + "".join(_paper_entry(p) for p in entries) + "</dl>\n"
    return _PAGE_HEAD.format(title=title) + body + _PAGE_TAIL


def _day_index(venue: str, year: int, days: tuple[str, ...]) -> str:
    conf = venue.upper()
    links = "\n".join(
        f'<dd><a href="{conf}{year}?day={d}">Day {i + 1}: {d}</a></dd>' for i, d in enumerate(days)
    )
    return (
        _PAGE_HEAD.format(title=f"{conf} {year} Open Access Repository")
        + (f'<dl>\n<dd><a href="{conf}{year}?day=all">All Papers</a></dd>\n{links}\n</dl>\n')
        + _PAGE_TAIL
    )


_ERROR_1525 = (
    "<html><head><title>Error 1525</title></head><body><h1>Error 1525</h1>"
    "<p>The request could not be satisfied.</p></body></html>"
)


# --- PDFs -------------------------------------------------------------------------------------

# What the paper text says about frameworks (the mention-counting method reads this).
MENTIONS = {
    "P": "We implement our method in PyTorch.",
    "L": "We implement our method in PyTorch.",
    "Z": "We implement our method in PyTorch.",
    "T": "Our models are trained with TensorFlow.",
    "B": "We provide PyTorch and TensorFlow implementations.",
    "J": "Our implementation uses JAX and Flax.",
    "K": "We use Keras with the TensorFlow backend.",
    "X": "All experiments use PyTorch.",
}


def _pdf_pages(p: DemoPaper) -> list[list[str]]:
    first = [
        p.title,
        ", ".join(p.authors),
        "",
        "Abstract",
        "We study a problem of lasting interest and propose a simple method.",
        "Experiments on standard benchmarks show consistent gains.",
    ]
    if p.kind in "PTBJKNMZ":
        first.append(f"Code is available at https://github.com/{DEMO_ORG}/{p.repo}.")
    elif p.kind == "L":
        url = f"https://github.com/{DEMO_ORG}/{p.repo}"
        cut = url.index(p.repo or "") + 9  # inside the repository name, after a hyphen
        first += [f"Our code is released at {url[:cut]}", f"{url[cut:]} for research use."]
    elif p.kind == "U":
        first.append(f"More results on our page https://github.com/{DEMO_ORG}.")
    body = [
        "1. Introduction",
        "Deep networks have changed the field.",
        "We build on prior work and train on eight GPUs.",
    ]
    if p.kind in MENTIONS:
        body.append(MENTIONS[p.kind])
    refs = [
        "References",
        "[1] A. Author. A classic paper. In CVPR, 2016.",
        "[2] B. Author. Another one. In ICCV, 2019.",
    ]
    if p.kind == "R":
        refs.append("[3] PyTorch. https://github.com/pytorch/pytorch, 2019.")
    return [first, body, refs]


# --- repositories -------------------------------------------------------------------------------

_TORCH_MODEL = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.conv(x), 1).flatten(1))
"""
_TORCH_TRAIN = """import argparse

import torch
from torch.utils.data import DataLoader
from tensorboardX import SummaryWriter

from models.net import Net


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    writer = SummaryWriter()
    print(args, opt, writer)


if __name__ == "__main__":
    main()
"""
_TF_MODEL = """import tensorflow as tf


def build_model(num_classes=10):
    return tf.keras.Sequential([
        tf.keras.layers.Conv2D(16, 3, activation="relu"),
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(num_classes),
    ])
"""
_TF_TRAIN = """import numpy as np
import tensorflow as tf

from model import build_model

flags = tf.compat.v1.flags
model = build_model()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
print(np.zeros(3), flags)
"""
_JAX_MODEL = """import jax
import jax.numpy as jnp
import flax.linen as nn
import optax


class MLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(10)(jax.nn.relu(nn.Dense(64)(x)))


tx = optax.adam(1e-3)
print(jnp.zeros(3), tx)
"""
_KERAS_MODEL = """from keras.models import Sequential
from keras.layers import Dense, Conv2D, Flatten


def build():
    model = Sequential()
    model.add(Conv2D(16, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(Flatten())
    model.add(Dense(10, activation="softmax"))
    return model
"""
_NUMPY_CODE = """import numpy as np
from scipy import optimize
from sklearn.linear_model import LogisticRegression


def fit(x, y):
    return LogisticRegression().fit(np.asarray(x), y), optimize
"""


def repo_files(kind: str, name: str) -> dict[str, str]:
    readme = f"# {name}\n\nOfficial implementation.\n"
    if kind in "PLX":
        return {
            "README.md": readme,
            "models/__init__.py": "",
            "models/net.py": _TORCH_MODEL,
            "train.py": _TORCH_TRAIN,
            "eval.py": _TORCH_TRAIN.replace("Adam", "SGD"),
            "requirements.txt": "torch>=1.8\ntorchvision\ntensorboardX\nnumpy\n",
        }
    if kind == "T":
        return {
            "README.md": readme,
            "model.py": _TF_MODEL,
            "train.py": _TF_TRAIN,
            "eval.py": _TF_TRAIN.replace("adam", "sgd"),
            "requirements.txt": "tensorflow-gpu==1.15\nnumpy\n",
        }
    if kind == "B":
        return {
            "README.md": readme,
            "pytorch/models/net.py": _TORCH_MODEL,
            "pytorch/train.py": _TORCH_TRAIN,
            "pytorch/eval.py": _TORCH_TRAIN.replace("Adam", "SGD"),
            "tensorflow/model.py": _TF_MODEL,
            "tensorflow/train.py": _TF_TRAIN,
            "tensorflow/eval.py": _TF_TRAIN.replace("adam", "sgd"),
            "requirements.txt": "torch\ntensorflow\n",
        }
    if kind == "J":
        return {
            "README.md": readme,
            "model.py": _JAX_MODEL,
            "train.py": _JAX_MODEL,
            "requirements.txt": "jax\nflax\noptax\n",
        }
    if kind == "K":
        return {
            "README.md": readme,
            "model.py": _KERAS_MODEL,
            "train.py": _KERAS_MODEL.replace("build", "train"),
            "requirements.txt": "keras==2.2.4\n",
        }
    if kind == "N":
        return {"README.md": readme, "fit.py": _NUMPY_CODE, "requirements.txt": "numpy\nscipy\n"}
    if kind == "Z":
        return {"README.md": readme, "train.py": _TORCH_TRAIN}
    raise ValueError(f"no repository for kind {kind!r}")


def make_tarball(name: str, files: dict[str, str]) -> tuple[bytes, str]:
    """A codeload-like .tar.gz: one top directory, commit sha in the pax global header."""
    sha = hashlib.sha1(json.dumps(files, sort_keys=True).encode()).hexdigest()
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": sha}
    ) as tar:
        top = tarfile.TarInfo(f"{name}-{sha[:7]}")
        top.type = tarfile.DIRTYPE
        top.mtime = 1_600_000_000
        tar.addfile(top)
        for path, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{sha[:7]}/{path}")
            info.size = len(data)
            info.mtime = 1_600_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), sha


def repo_json(p: DemoPaper, repo_id: int) -> dict[str, object]:
    name = p.repo or ""
    return {
        "id": repo_id,
        "node_id": f"R_demo{repo_id}",
        "name": name,
        "full_name": f"{DEMO_ORG}/{name}",
        "private": False,
        "owner": {"login": DEMO_ORG, "id": 1000, "type": "Organization"},
        "html_url": f"https://github.com/{DEMO_ORG}/{name}",
        "description": f"Official code for \u201c{p.title}\u201d ({p.conf} {p.year})",
        "fork": False,
        "url": f"https://api.github.com/repos/{DEMO_ORG}/{name}",
        "created_at": f"{p.year - 1}-11-{1 + p.index % 27:02d}T10:00:00Z",
        "updated_at": "2026-01-05T08:00:00Z",
        "pushed_at": f"{p.year}-07-01T12:00:00Z",
        "homepage": None,
        "size": 5_000_000 if p.kind == "Z" else 120 + p.index,
        "stargazers_count": 10 * (p.index + 1),
        "watchers_count": 10 * (p.index + 1),
        "language": "Python",
        "forks_count": p.index,
        "archived": p.index % 7 == 0,
        "disabled": False,
        "open_issues_count": 1,
        "license": {"spdx_id": "MIT"},
        "topics": [],
        "visibility": "public",
        "default_branch": "main",
    }


def build() -> dict[str, Resource]:
    """Every URL of the demo web, keyed by local path (``/cvf/CVPR2023?day=all``)."""
    web: dict[str, Resource] = {}
    html_type = "text/html; charset=utf-8"
    web["/cvf/robots.txt"] = Resource(b"User-agent: *\nDisallow: /search\n", "text/plain")
    all_papers = papers()
    for venue, year in WORLD:
        conf = venue.upper()
        entries = [p for p in all_papers if p.venue == venue and p.year == year]
        title = f"{conf} {year} Open Access Repository"
        days = DAY_LAYOUT.get((venue, year))
        if days:
            web[f"/cvf/{conf}{year}"] = Resource(_day_index(venue, year, days).encode(), html_type)
            web[f"/cvf/{conf}{year}?day=all"] = Resource(_ERROR_1525.encode(), html_type)
            for k, day in enumerate(days):
                part = entries[k :: len(days)]
                web[f"/cvf/{conf}{year}?day={day}"] = Resource(
                    _listing(title, part).encode(), html_type
                )
        else:
            page = _listing(title, entries).encode()
            web[f"/cvf/{conf}{year}?day=all"] = Resource(page, html_type)
            web[f"/cvf/{conf}{year}"] = Resource(page, html_type)
        for p in entries:
            web[f"/cvf{p.prefix}/papers/{p.stem}.pdf"] = Resource(
                make_pdf(_pdf_pages(p)), "application/pdf"
            )
    for slug, stars in FRAMEWORK_STARS.items():
        owner, name = slug.split("/")
        web[f"/api/repos/{slug}"] = Resource(
            json.dumps(
                {
                    "id": 1,
                    "name": name,
                    "full_name": slug,
                    "private": False,
                    "fork": False,
                    "owner": {"login": owner},
                    "stargazers_count": stars,
                    "forks_count": stars // 4,
                    "default_branch": "main",
                    "archived": False,
                    "disabled": False,
                    "size": 1,
                    "created_at": "2015-11-07T01:19:20Z",
                    "pushed_at": "2026-11-20T00:00:00Z",
                }
            ).encode(),
            "application/json",
        )
    for venue, year in PAPERLISTS:
        web[f"/raw/papercopilot/paperlists/main/{venue}/{venue}{year}.json"] = Resource(
            json.dumps(_paperlists(venue, year), indent=1).encode(), "text/plain; charset=utf-8"
        )
    for n, p in enumerate(all_papers):
        if not p.repo:
            continue
        if p.kind == "M":
            web[f"/api/repos/{DEMO_ORG}/{p.repo}"] = Resource(
                json.dumps(
                    {
                        "message": "Not Found",
                        "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
                        "status": "404",
                    }
                ).encode(),
                "application/json",
                status=404,
            )
            continue
        web[f"/api/repos/{DEMO_ORG}/{p.repo}"] = Resource(
            json.dumps(repo_json(p, 500_000 + n)).encode(),
            "application/json; charset=utf-8",
            headers={
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": str(4999 - n),
                "X-RateLimit-Reset": "1900000000",
            },
        )
        tar, sha = make_tarball(p.repo, repo_files(p.kind, p.repo))
        web[f"/codeload/{DEMO_ORG}/{p.repo}/tar.gz/HEAD"] = Resource(tar, "application/x-gzip")
        web.update(_publication_commit(p, sha))
    return web


# Star counts the demo's GitHub API gives the frameworks' own repositories (made-up numbers;
# the other framework repositories answer 404 in the demo).
FRAMEWORK_STARS = {"tensorflow/tensorflow": 194_000, "pytorch/pytorch": 97_000}

# The repository of this paper has no commit before its conference ended (created after).
CREATED_AFTER = ("cvpr", 2023, 0)


def _publication_commit(p: DemoPaper, head_sha: str) -> dict[str, Resource]:
    """GitHub's commits?until= answer for the paper's conference date, and the tarball at that
    commit when it is not HEAD: "B" repositories were TensorFlow-only at publication (PyTorch
    came later), so they show up as framework switches."""
    end, _ = load_venue_dates().end(p.venue, p.year)
    url = f"/api/repos/{DEMO_ORG}/{p.repo}/commits?until={end.isoformat()}T23:59:59Z&per_page=1"
    if (p.venue, p.year, p.index) == CREATED_AFTER:
        return {url: Resource(b"[]", "application/json")}
    out = {}
    sha = head_sha
    if p.kind == "B":
        tar, sha = make_tarball(p.repo or "", repo_files("T", p.repo or ""))
        out[f"/codeload/{DEMO_ORG}/{p.repo}/tar.gz/{sha}"] = Resource(tar, "application/x-gzip")
    body = [{"sha": sha, "commit": {"committer": {"date": f"{end.isoformat()}T10:00:00Z"}}}]
    out[url] = Resource(json.dumps(body).encode(), "application/json")
    return out


# Affiliations the demo's paperlists file gives (aff / aff_domain, one entry per author).
AFFILIATIONS = (
    ("Google Research; Stanford University", "google.com; stanford.edu"),
    ("Tsinghua University", "tsinghua.edu.cn"),
)


def _paperlists(venue: str, year: int) -> list[dict[str, object]]:
    """A papercopilot/paperlists file: flat records, a messy ``github`` field."""
    messy = [
        "https://github.com/{}/{}/tree/main",
        "github.com/{}/{}",
        "[code](https://github.com/{}/{})",
    ]
    records = []
    for p in papers():
        if (p.venue, p.year) != (venue, year):
            continue
        github = ""
        if p.kind == "X":
            github = messy[p.index % 3].format(DEMO_ORG, p.repo)
        records.append(
            {
                "id": f"{p.index + 1:05d}",
                "title": p.title,
                "status": "Poster",
                "track": "main",
                "author": "; ".join(p.authors),
                "aff": AFFILIATIONS[p.index % 2][0],
                "aff_domain": AFFILIATIONS[p.index % 2][1],
                "site": f"https://openaccess.thecvf.com{p.prefix}/html/{p.stem}.html",
                "pdf": f"https://openaccess.thecvf.com{p.prefix}/papers/{p.stem}.pdf",
                "github": github,
                "project": "",
                "arxiv": "",
            }
        )
    return records


def venue_years() -> dict[str, list[int]]:
    """Venue -> years the demo world covers."""
    out: dict[str, list[int]] = {}
    for venue, year in WORLD:
        out.setdefault(venue, []).append(year)
    return out


def venue_sizes() -> VenueSizes:
    """The demo's own reference sizes (so the sanity check runs in the demo too)."""
    return VenueSizes({key: len(kinds) for key, kinds in WORLD.items()})
