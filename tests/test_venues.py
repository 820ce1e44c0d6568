"""Every venue through the real pipeline: ``fwcensus run --venue V --years Y [--source S]``.

Each case serves the saved fixture files of the venue's source at the real URLs (through the
rewrite map), one generated PDF per paper (some with a code link on the first page) and GitHub
API JSON plus a codeload tarball for every linked repository (a PyTorch, TensorFlow, JAX or
framework-free tree, or a 404). It runs the CLI and checks the database: papers per year, the
official code links and where each was found (the source's own code field or the PDF), the
links rejected, every repository's status, the frameworks of every paper, and which hosts the
run asked (``--source NAME`` asks that source and GitHub only). Further tests run the
aggregators (``--source pwc``, ``arxiv``, ``paperlists``) on papers a first run stored, and
ranges of years.

Repository kinds (scraper.demo.world.repo_files): P PyTorch, T TensorFlow, J JAX, N no
deep-learning framework, M missing (GitHub answers 404).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from fixtureweb import (
    ATOM,
    FIXTURES,
    HTML,
    JSON,
    XML,
    CliSession,
    fixture,
    framework_stars,
    github_repos,
    local_path,
    misses,
    paper_pdf,
    prefixes,
    publication_times,
    query,
    robots,
)

from scraper.demo.server import Resource

CVF = "https://openaccess.thecvf.com"
NEURIPS = "https://proceedings.neurips.cc/paper_files/paper"
NEURIPS_DB = "https://datasets-benchmarks-proceedings.neurips.cc/paper_files/paper"
ECVA = "https://www.ecva.net"
ORV1 = "https://api.openreview.net/notes?"
ORV2 = "https://api2.openreview.net/notes?"
ACL_XML = "https://raw.githubusercontent.com/acl-org/acl-anthology/master/data/xml"
ACL = "https://aclanthology.org"
PAPERLISTS = "https://raw.githubusercontent.com/papercopilot/paperlists/main"
GH = "https://github.com"
PMLR_ASSETS = "https://raw.githubusercontent.com/mlresearch/v267/main/assets"
_TYPES = {".html": HTML, ".json": JSON, ".xml": XML}


def orv1(target: str, by: str = "invitation") -> str:
    """First page of an OpenReview API 1 listing (as scraper.sources.openreview asks it)."""
    if by == "venueid":
        return f"{ORV1}content.venueid={target}&offset=0&limit=1000"
    return f"{ORV1}invitation={target}&details=directReplies&offset=0&limit=1000"


def orv2(venueid: str) -> str:
    return f"{ORV2}content.venueid={venueid}&offset=0&limit=1000"


def or_pdf(forum: str) -> str:
    return f"https://openreview.net/pdf?id={forum}"


@dataclass(frozen=True)
class Case:
    """One CLI run on a fresh database and what it must leave there."""

    name: str
    args: tuple[str, ...]  # after ``run``
    hosts: frozenset[str]  # local prefixes (one per real host) the run asks
    pages: Mapping[str, str]  # real URL -> fixture file (relative to tests/fixtures)
    pdfs: Mapping[str, str | None]  # real PDF URL -> code URL on its first page
    repos: Mapping[str, str]  # GitHub full name -> kind
    papers: Mapping[int, int]  # year -> papers stored
    links: Mapping[str, tuple[str, ...]]  # native id -> "found_in repo_id" of official links
    rejected: int  # links stored as rejected (not a repository)
    statuses: Mapping[str, str]  # repo id -> status
    frameworks: Mapping[str, str]  # native id -> its frameworks, "+"-joined
    absent: frozenset[str] = field(default_factory=frozenset)  # real URLs asked, not there

    @property
    def venue(self) -> str:
        return self.args[self.args.index("--venue") + 1]

    def resources(self) -> dict[str, Resource]:
        web = {**robots(), **framework_stars()}
        for url, name in self.pages.items():
            web[local_path(url)] = fixture(name, _TYPES[Path(name).suffix])
        for url, code in self.pdfs.items():
            web[local_path(url)] = paper_pdf(url.rsplit("/", 1)[-1], code)
        web.update(github_repos(self.repos, publication_times(self.venue, self.papers)))
        return web


def cvf_pdf(folder: str, stem: str) -> str:
    return f"{CVF}/{folder}/papers/{stem}.pdf"


CVPR19 = {
    "Pavllo": (
        "Pavllo_3D_Human_Pose_Estimation_in_Video_With_Temporal_Convolutions_and_CVPR_2019_paper"
    ),
    "Kirillov": "Kirillov_Panoptic_Feature_Pyramid_Networks_CVPR_2019_paper",
    "Karras": (
        "Karras_A_Style-Based_Generator_Architecture_for_Generative"
        "_Adversarial_Networks_CVPR_2019_paper"
    ),
    "Park": "Park_Semantic_Image_Synthesis_With_Spatially-Adaptive_Normalization_CVPR_2019_paper",
    "Sun": (
        "Sun_Deep_High-Resolution_Representation_Learning_for_Human_Pose_Estimation_CVPR_2019_paper"
    ),
    "DeepSDF": (
        "Park_DeepSDF_Learning_Continuous_Signed_Distance_Functions_for_Shape"
        "_Representation_CVPR_2019_paper"
    ),
}
ICCV17 = {
    "He": "He_Mask_R-CNN_ICCV_2017_paper",
    "Lin": "Lin_Focal_Loss_for_ICCV_2017_paper",
    "Zhu": "Zhu_Unpaired_Image-To-Image_Translation_ICCV_2017_paper",
    "Selvaraju": "Selvaraju_Grad-CAM_Visual_Explanations_ICCV_2017_paper",
}
WACV24 = {
    "Tran": "Tran_Efficient_Few-Shot_Segmentation_With_Prototype_Refinement_WACV_2024_paper",
    "Okafor": "Okafor_Robust_Thermal_Pedestrian_Detection_at_Night_WACV_2024_paper",
    "Berg": "Berg_Self-Supervised_Depth_From_Rolling_Shutter_Video_WACV_2024_paper",
}
CVPR23 = {
    "Hu": "Hu_Planning-Oriented_Autonomous_Driving_CVPR_2023_paper",
    "Ruiz": (
        "Ruiz_DreamBooth_Fine_Tuning_Text-to-Image_Diffusion_Models_for"
        "_Subject-Driven_Generation_CVPR_2023_paper"
    ),
    "Gupta": (
        "Gupta_Visual_Programming_Compositional_Visual_Reasoning_Without_Training_CVPR_2023_paper"
    ),
    "Meng": "Meng_On_Distillation_of_Guided_Diffusion_Models_CVPR_2023_paper",
    "Chowdhury": "Chowdhury_What_Can_Human_Sketches_Do_for_Object_Detection_CVPR_2023_paper",
    "Chen": (
        "Chen_MobileNeRF_Exploiting_the_Polygon_Rasterization_Pipeline_for"
        "_Efficient_Neural_Field_CVPR_2023_paper"
    ),
}

CVPR_2019 = Case(
    name="cvpr-2019-day-pages",
    args=("--venue", "cvpr", "--years", "2019"),
    hosts=frozenset({"/cvf", "/api", "/codeload"}),
    pages={
        f"{CVF}/CVPR2019?day=all": "cvf/error_1525.html",  # the site's error page, with a 200
        f"{CVF}/CVPR2019": "cvf/cvpr2019.html",
        f"{CVF}/CVPR2019?day=2019-06-18": "cvf/cvpr2019_day_2019-06-18.html",
        f"{CVF}/CVPR2019?day=2019-06-19": "cvf/cvpr2019_day_2019-06-19.html",
        f"{CVF}/CVPR2019?day=2019-06-20": "cvf/cvpr2019_day_2019-06-20.html",
    },
    pdfs={
        cvf_pdf("content_CVPR_2019", CVPR19["Pavllo"]): f"{GH}/facebookresearch/VideoPose3D",
        cvf_pdf("content_CVPR_2019", CVPR19["Kirillov"]): None,
        cvf_pdf("content_CVPR_2019", CVPR19["Karras"]): f"{GH}/NVlabs/stylegan",
        cvf_pdf("content_CVPR_2019", CVPR19["Park"]): f"{GH}/NVlabs/SPADE",
        cvf_pdf("content_CVPR_2019", CVPR19["Sun"]): (
            f"{GH}/leoxiaobin/deep-high-resolution-net.pytorch"
        ),
        cvf_pdf("content_CVPR_2019", CVPR19["DeepSDF"]): f"{GH}/facebookresearch/DeepSDF",
    },
    repos={
        "facebookresearch/VideoPose3D": "P",
        "NVlabs/stylegan": "T",
        "NVlabs/SPADE": "P",
        "leoxiaobin/deep-high-resolution-net.pytorch": "P",
        "facebookresearch/DeepSDF": "M",
    },
    papers={2019: 6},  # Kirillov is listed on two day pages: one paper
    links={
        CVPR19["Pavllo"]: ("pdf github:facebookresearch/videopose3d",),
        CVPR19["Karras"]: ("pdf github:nvlabs/stylegan",),
        CVPR19["Park"]: ("pdf github:nvlabs/spade",),
        CVPR19["Sun"]: ("pdf github:leoxiaobin/deep-high-resolution-net.pytorch",),
        CVPR19["DeepSDF"]: ("pdf github:facebookresearch/deepsdf",),
    },
    rejected=0,
    statuses={
        "github:facebookresearch/videopose3d": "ok",
        "github:nvlabs/stylegan": "ok",
        "github:nvlabs/spade": "ok",
        "github:leoxiaobin/deep-high-resolution-net.pytorch": "ok",
        "github:facebookresearch/deepsdf": "not_found",
    },
    frameworks={
        CVPR19["Pavllo"]: "pytorch",
        CVPR19["Karras"]: "tensorflow",
        CVPR19["Park"]: "pytorch",
        CVPR19["Sun"]: "pytorch",
    },
)

ICCV_2017 = Case(
    name="iccv-2017-single-page",
    args=("--venue", "iccv", "--years", "2017"),
    hosts=frozenset({"/cvf", "/api", "/codeload"}),
    pages={f"{CVF}/ICCV2017": "cvf/iccv2017.html"},
    pdfs={
        cvf_pdf("content_iccv_2017", ICCV17["He"]): f"{GH}/facebookresearch/Detectron",
        cvf_pdf("content_iccv_2017", ICCV17["Lin"]): None,
        cvf_pdf("content_iccv_2017", ICCV17["Zhu"]): f"{GH}/junyanz/pytorch-CycleGAN-and-pix2pix",
        cvf_pdf("content_iccv_2017", ICCV17["Selvaraju"]): f"{GH}/ramprs/grad-cam",
    },
    repos={
        "facebookresearch/Detectron": "N",
        "junyanz/pytorch-CycleGAN-and-pix2pix": "P",
        "ramprs/grad-cam": "T",
    },
    papers={2017: 4},
    links={
        ICCV17["He"]: ("pdf github:facebookresearch/detectron",),
        ICCV17["Zhu"]: ("pdf github:junyanz/pytorch-cyclegan-and-pix2pix",),
        ICCV17["Selvaraju"]: ("pdf github:ramprs/grad-cam",),
    },
    rejected=0,
    statuses={
        "github:facebookresearch/detectron": "ok",
        "github:junyanz/pytorch-cyclegan-and-pix2pix": "ok",
        "github:ramprs/grad-cam": "ok",
    },
    frameworks={ICCV17["Zhu"]: "pytorch", ICCV17["Selvaraju"]: "tensorflow"},
    absent=frozenset({f"{CVF}/ICCV2017?day=all"}),  # old years have no ?day=all listing
)

WACV_2024 = Case(
    name="wacv-2024",
    args=("--venue", "wacv", "--years", "2024"),
    hosts=frozenset({"/cvf", "/api", "/codeload"}),
    pages={f"{CVF}/WACV2024": "venues/wacv2024.html"},
    pdfs={
        cvf_pdf("content/WACV2024", WACV24["Tran"]): f"{GH}/mtran/fewshot-proto",
        cvf_pdf("content/WACV2024", WACV24["Okafor"]): None,
        cvf_pdf("content/WACV2024", WACV24["Berg"]): f"{GH}/lberg/rs-depth",
    },
    repos={"mtran/fewshot-proto": "P", "lberg/rs-depth": "J"},
    papers={2024: 3},
    links={
        WACV24["Tran"]: ("pdf github:mtran/fewshot-proto",),
        WACV24["Berg"]: ("pdf github:lberg/rs-depth",),
    },
    rejected=0,
    statuses={"github:mtran/fewshot-proto": "ok", "github:lberg/rs-depth": "ok"},
    frameworks={WACV24["Tran"]: "pytorch", WACV24["Berg"]: "jax"},
    absent=frozenset({f"{CVF}/WACV2024?day=all"}),
)

ECCV_2024 = Case(
    name="eccv-2024",
    args=("--venue", "eccv", "--years", "2024"),
    hosts=frozenset({"/ecva", "/api", "/codeload"}),
    pages={f"{ECVA}/papers.php": "ecva/papers.html"},
    pdfs={
        f"{ECVA}/papers/eccv_2024/papers_ECCV/papers/00004.pdf": f"{GH}/unlearn-lab/forget-free",
        f"{ECVA}/papers/eccv_2024/papers_ECCV/papers/01129.pdf": f"{GH}/lidar-group/range-pn",
        f"{ECVA}/papers/eccv_2024/papers_ECCV/papers/08171.pdf": None,
    },
    repos={"unlearn-lab/forget-free": "P", "lidar-group/range-pn": "T"},
    papers={2024: 3},
    links={
        "4_ECCV_2024_paper": ("pdf github:unlearn-lab/forget-free",),
        "1129_ECCV_2024_paper": ("pdf github:lidar-group/range-pn",),
    },
    rejected=0,
    statuses={"github:unlearn-lab/forget-free": "ok", "github:lidar-group/range-pn": "ok"},
    frameworks={"4_ECCV_2024_paper": "pytorch", "1129_ECCV_2024_paper": "tensorflow"},
)

NEURIPS_2021_2022 = Case(
    name="neurips-2021-2022-two-hosts",
    args=("--venue", "neurips", "--years", "2021-2022"),
    hosts=frozenset({"/neurips", "/neurips-db", "/api", "/codeload"}),
    pages={
        f"{NEURIPS}/2021": "neurips/year_2021.html",
        f"{NEURIPS_DB}/2021": "neurips/db_2021.html",
        f"{NEURIPS}/2022": "neurips/year_2022_classic.html",
    },
    pdfs={
        f"{NEURIPS}/2021/file/82e6e8f8a81a16c4cd65e54ddc28a2ac-Paper.pdf": None,
        f"{NEURIPS}/2021/file/2b745fb82d04a4b268c22688e9e9c7d7-Paper.pdf": (
            f"{GH}/kzl/decision-transformer"
        ),
        f"{NEURIPS_DB}/2021/file/2a9d90a8b1711b6dfea4ccb791274c5f-Paper-round1.pdf": (
            f"{GH}/synthtext-med/synthtext-med"
        ),
        f"{NEURIPS_DB}/2021/file/7f4d46f0019f9c82f8fed6266ad722ca-Paper-round2.pdf": (
            f"{GH}/robograsp/bench"
        ),
        f"{NEURIPS_DB}/2021/file/7f4d46f0019f9c82f8fed6266ad722ca-Paper-round1.pdf": None,
        f"{NEURIPS}/2022/file/08aaf6a799f0cc94d42ef7c81d86a97c-Paper-Conference.pdf": (
            f"{GH}/cot-lab/cot-revisited"
        ),
        f"{NEURIPS}/2022/file/bd09aea7be651c398e3df040e7855c74-Paper-Conference.pdf": (
            f"{GH}/fluid-fields/neural-fluids"
        ),
        f"{NEURIPS}/2022/file/0be5469d4c7d7609028c5b4e9d42d7b2-Paper-Datasets_and_Benchmarks.pdf": (
            None
        ),
    },
    repos={
        "kzl/decision-transformer": "P",
        "synthtext-med/synthtext-med": "N",
        "robograsp/bench": "T",
        "cot-lab/cot-revisited": "J",
        "fluid-fields/neural-fluids": "P",
    },
    papers={2021: 5, 2022: 3},  # 2021: two main papers, three from the D&B host
    links={
        "2b745fb82d04a4b268c22688e9e9c7d7": ("pdf github:kzl/decision-transformer",),
        "2a9d90a8b1711b6dfea4ccb791274c5f-round1": ("pdf github:synthtext-med/synthtext-med",),
        "7f4d46f0019f9c82f8fed6266ad722ca-round2": ("pdf github:robograsp/bench",),
        "08aaf6a799f0cc94d42ef7c81d86a97c": ("pdf github:cot-lab/cot-revisited",),
        "bd09aea7be651c398e3df040e7855c74": ("pdf github:fluid-fields/neural-fluids",),
    },
    rejected=0,
    statuses={
        "github:kzl/decision-transformer": "ok",
        "github:synthtext-med/synthtext-med": "ok",
        "github:robograsp/bench": "ok",
        "github:cot-lab/cot-revisited": "ok",
        "github:fluid-fields/neural-fluids": "ok",
    },
    frameworks={
        "2b745fb82d04a4b268c22688e9e9c7d7": "pytorch",
        "7f4d46f0019f9c82f8fed6266ad722ca-round2": "tensorflow",
        "08aaf6a799f0cc94d42ef7c81d86a97c": "jax",
        "bd09aea7be651c398e3df040e7855c74": "pytorch",
    },
)

NEURIPS_2024_2025 = Case(
    name="neurips-2024-2025-volume-books",
    args=("--venue", "neurips", "--years", "2024-2025"),
    hosts=frozenset({"/neurips", "/api", "/codeload"}),
    pages={
        f"{NEURIPS}/2024": "neurips/year_2024.html",
        f"{NEURIPS}/2025": "neurips/year_2025.html",  # Creative AI only; "see also" the volume
        f"{NEURIPS}/2025/vol38-main-conference": "neurips/year_2025_vol38_main.html",
    },
    pdfs={
        f"{NEURIPS}/2024/file/b64a6137de5e0a0d4a21cd6a42128d63-Paper-Conference.pdf": (
            f"{GH}/tabdiff/impute"
        ),
        f"{NEURIPS}/2024/file/22de9aa16c721aebafe7110dade3c005-Paper-Conference.pdf": None,
        f"{NEURIPS}/2024/file/caa40ccb04ee6523aaf4692401105af3-Paper-Datasets_and_Benchmarks_Track.pdf": (  # noqa: E501
            f"{GH}/oceanbench/oceanbench"
        ),
        f"{NEURIPS}/2024/file/00f3b50ec613b235faf8c79f64ef0f50-Paper-Datasets_and_Benchmarks_Track.pdf": (  # noqa: E501
            None
        ),
        f"{NEURIPS}/2025/file/c56b3c9ad847104895ab3be8cc117e44-Paper-Conference.pdf": (
            f"{GH}/ttt-lab/long-context"
        ),
        f"{NEURIPS}/2025/file/26e1933d3566a5e7f196c09737048b8a-Paper-Conference.pdf": None,
        f"{NEURIPS}/2025/file/ab3ef74774385ad0128f446e2836fb46-Paper-Datasets_and_Benchmarks_Track.pdf": (  # noqa: E501
            f"{GH}/cityscenes/cityscenes-3d"
        ),
        f"{NEURIPS}/2025/file/c56b3c9ad847104895ab3be8cc117e44-Paper-Datasets_and_Benchmarks_Track.pdf": (  # noqa: E501
            None
        ),
    },
    repos={
        "tabdiff/impute": "P",
        "oceanbench/oceanbench": "N",
        "ttt-lab/long-context": "J",
        "cityscenes/cityscenes-3d": "P",
    },
    papers={2024: 4, 2025: 4},  # main + D&B; 2025's Creative AI and position papers left out
    links={
        "b64a6137de5e0a0d4a21cd6a42128d63": ("pdf github:tabdiff/impute",),
        "caa40ccb04ee6523aaf4692401105af3-Datasets_and_Benchmarks_Track": (
            "pdf github:oceanbench/oceanbench",
        ),
        "c56b3c9ad847104895ab3be8cc117e44": ("pdf github:ttt-lab/long-context",),
        "ab3ef74774385ad0128f446e2836fb46-Datasets_and_Benchmarks_Track": (
            "pdf github:cityscenes/cityscenes-3d",
        ),
    },
    rejected=0,
    statuses={
        "github:tabdiff/impute": "ok",
        "github:oceanbench/oceanbench": "ok",
        "github:ttt-lab/long-context": "ok",
        "github:cityscenes/cityscenes-3d": "ok",
    },
    frameworks={
        "b64a6137de5e0a0d4a21cd6a42128d63": "pytorch",
        "c56b3c9ad847104895ab3be8cc117e44": "jax",
        "ab3ef74774385ad0128f446e2836fb46-Datasets_and_Benchmarks_Track": "pytorch",
    },
)

ICML_2019 = Case(
    name="icml-2019-pmlr-software-links",
    args=("--venue", "icml", "--years", "2019"),
    hosts=frozenset({"/pmlr", "/api", "/codeload"}),
    pages={"https://proceedings.mlr.press/v97/": "pmlr/v97.html"},
    pdfs={  # the v97 page links its PDFs with http://
        "http://proceedings.mlr.press/v97/aberg19a/aberg19a.pdf": f"{GH}/gaberg/ares-sde",
        "http://proceedings.mlr.press/v97/baptiste19a/baptiste19a.pdf": (
            f"{GH}/baptiste/route-graphs"
        ),
        "http://proceedings.mlr.press/v97/chen19c/chen19c.pdf": None,
        "http://proceedings.mlr.press/v97/dunn19a/dunn19a.pdf": None,
    },
    repos={
        "gaberg/ares-sde": "P",
        "baptiste/route-graphs": "J",
        "wchen/stein-mcmc": "T",
        "kdunn/mf-bo": "M",
    },
    papers={2019: 4},
    links={
        "aberg19a": ("pdf github:gaberg/ares-sde", "pmlr github:gaberg/ares-sde"),
        "baptiste19a": ("pdf github:baptiste/route-graphs",),
        "chen19c": ("pmlr github:wchen/stein-mcmc",),  # Software: .../tree/master
        "dunn19a": ("pmlr github:kdunn/mf-bo",),  # Code: https://www.github.com/...
    },
    rejected=0,
    statuses={
        "github:gaberg/ares-sde": "ok",
        "github:baptiste/route-graphs": "ok",
        "github:wchen/stein-mcmc": "ok",
        "github:kdunn/mf-bo": "not_found",
    },
    frameworks={"aberg19a": "pytorch", "baptiste19a": "jax", "chen19c": "tensorflow"},
)

ICML_2025 = Case(
    name="icml-2025-pmlr-assets",
    args=("--venue", "icml", "--years", "2025"),
    hosts=frozenset({"/pmlr", "/raw", "/api", "/codeload"}),
    pages={"https://proceedings.mlr.press/v267/": "pmlr/v267.html"},
    pdfs={
        f"{PMLR_ASSETS}/aaltonen25a/aaltonen25a.pdf": (f"{GH}/fbonetti/private-median"),
        f"{PMLR_ASSETS}/bauer25b/bauer25b.pdf": (f"{GH}/bauer-lab/verifier-scaling"),
        f"{PMLR_ASSETS}/costa25a/costa25a.pdf": None,
    },
    repos={"fbonetti/private-median": "P", "bauer-lab/verifier-scaling": "P"},
    papers={2025: 3},
    links={
        "aaltonen25a": (
            "pdf github:fbonetti/private-median",
            "pmlr github:fbonetti/private-median",
        ),
        "bauer25b": ("pdf github:bauer-lab/verifier-scaling",),
        "costa25a": ("pmlr gitlab:icosta/repro-audit",),
    },
    rejected=0,
    statuses={
        "github:fbonetti/private-median": "ok",
        "github:bauer-lab/verifier-scaling": "ok",
        "gitlab:icosta/repro-audit": "unsupported",  # GitLab is not scanned yet
    },
    frameworks={"aaltonen25a": "pytorch", "bauer25b": "pytorch"},
)

ICLR_2017_2020 = Case(
    name="iclr-2017-2020-api1-decisions",
    args=("--venue", "iclr", "--years", "2017-2020"),
    hosts=frozenset({"/orv1", "/openreview", "/api", "/codeload"}),
    pages={
        orv1("ICLR.cc/2017/conference/-/submission"): "openreview/iclr2017_submission.json",
        orv1("ICLR.cc/2018/Conference/-/Blind_Submission"): "openreview/iclr2018_blind.json",
        orv1("ICLR.cc/2019/Conference/-/Blind_Submission"): "openreview/iclr2019_blind.json",
        orv1("ICLR.cc/2020/Conference/-/Blind_Submission"): "openreview/iclr2020_blind.json",
    },
    pdfs={
        or_pdf("S1VaB4cex"): f"{GH}/lukaszkaiser/rare-events",
        or_pdf("B1Poster17"): None,
        or_pdf("SyAbc1-RW"): f"{GH}/vqa-lab/counting",
        or_pdf("rJOral-AW"): f"{GH}/tkarras/progressive_growing_of_gans",
        or_pdf("B1xsqj09Fm"): f"{GH}/ajbrock/BigGAN-PyTorch",
        or_pdf("rkePoster9"): None,
        or_pdf("BkgzMCVtPB"): None,
        or_pdf("SJgSpot20x"): None,
    },
    repos={
        "lukaszkaiser/rare-events": "T",
        "vqa-lab/counting": "P",
        "tkarras/progressive_growing_of_gans": "T",
        "ajbrock/BigGAN-PyTorch": "P",
        "PetarV-/DGI": "P",
        "rl-group/agent57-lite": "M",
    },
    papers={2017: 2, 2018: 2, 2019: 2, 2020: 2},
    links={
        "S1VaB4cex": ("pdf github:lukaszkaiser/rare-events",),
        "SyAbc1-RW": ("openreview github:vqa-lab/counting", "pdf github:vqa-lab/counting"),
        "rJOral-AW": ("pdf github:tkarras/progressive_growing_of_gans",),
        "B1xsqj09Fm": ("pdf github:ajbrock/biggan-pytorch",),
        "rkePoster9": ("openreview github:petarv-/dgi",),
        "BkgzMCVtPB": ("openreview github:rl-group/agent57-lite",),
    },
    rejected=0,
    statuses={
        "github:lukaszkaiser/rare-events": "ok",
        "github:vqa-lab/counting": "ok",
        "github:tkarras/progressive_growing_of_gans": "ok",
        "github:ajbrock/biggan-pytorch": "ok",
        "github:petarv-/dgi": "ok",
        "github:rl-group/agent57-lite": "not_found",
    },
    frameworks={
        "S1VaB4cex": "tensorflow",
        "SyAbc1-RW": "pytorch",
        "rJOral-AW": "tensorflow",
        "B1xsqj09Fm": "pytorch",
        "rkePoster9": "pytorch",
    },
)

ICLR_2023_2024 = Case(
    name="iclr-2023-2024-api1-and-api2",
    args=("--venue", "iclr", "--years", "2023-2024"),
    hosts=frozenset({"/orv1", "/orv2", "/openreview", "/api", "/codeload"}),
    pages={
        orv1("ICLR.cc/2023/Conference", by="venueid"): "openreview/iclr2023_venueid.json",
        orv2("ICLR.cc/2024/Conference"): "openreview/iclr2024_accepted.json",
    },
    pdfs={
        or_pdf("DeepTop5aa"): f"{GH}/ashawkey/stable-dreamfusion",
        or_pdf("PosterY23a"): None,
        or_pdf("Ab3dEf9GhK"): None,
        or_pdf("Zq9Rt2LmNp"): f"{GH}/arith-probe/probe",
        or_pdf("Kp4Lm5Nb6V"): f"{GH}/kim-lab/sparse-attn",
    },
    repos={
        "ashawkey/stable-dreamfusion": "P",
        "fastflow-lab/FastFlow": "J",
        "arith-probe/probe": "N",
        "kim-lab/sparse-attn": "T",
    },
    papers={2023: 2, 2024: 3},
    links={
        "DeepTop5aa": ("pdf github:ashawkey/stable-dreamfusion",),
        "Ab3dEf9GhK": ("openreview github:fastflow-lab/fastflow",),
        "Zq9Rt2LmNp": ("pdf github:arith-probe/probe",),
        "Kp4Lm5Nb6V": ("openreview github:kim-lab/sparse-attn", "pdf github:kim-lab/sparse-attn"),
    },
    rejected=0,
    statuses={
        "github:ashawkey/stable-dreamfusion": "ok",
        "github:fastflow-lab/fastflow": "ok",
        "github:arith-probe/probe": "ok",
        "github:kim-lab/sparse-attn": "ok",
    },
    frameworks={"DeepTop5aa": "pytorch", "Ab3dEf9GhK": "jax", "Kp4Lm5Nb6V": "tensorflow"},
)

ACL_2019_2020 = Case(
    name="acl-2019-2020-old-and-new-collections",
    args=("--venue", "acl", "--years", "2019-2020"),
    hosts=frozenset({"/raw", "/aclweb", "/api", "/codeload"}),
    pages={f"{ACL_XML}/P19.xml": "acl/P19.xml", f"{ACL_XML}/2020.acl.xml": "acl/2020.acl.xml"},
    pdfs={
        f"{ACL}/P19-1002.pdf": f"{GH}/lizekang/ITDD",
        f"{ACL}/P19-1003.pdf": f"{GH}/multi-turn/dialogue-rewrite",
        f"{ACL}/P19-1004.pdf": None,
        f"{ACL}/P19-1005.pdf": None,
        f"{ACL}/2020.acl-main.1.pdf": None,
    },
    repos={
        "lizekang/ITDD": "P",
        "multi-turn/dialogue-rewrite": "T",
        "chinnadhurai/ParlAI": "P",
        "lgelderloos/cds_ads": "M",
    },
    papers={2019: 4, 2020: 1},
    links={
        "P19-1002": ("acl github:lizekang/itdd", "pdf github:lizekang/itdd"),
        "P19-1003": ("pdf github:multi-turn/dialogue-rewrite",),
        "P19-1004": ("acl github:chinnadhurai/parlai",),
        "2020.acl-main.1": ("acl github:lgelderloos/cds_ads",),
    },
    rejected=2,  # the Software.zip attachments of P19-1004 and 2020.acl-main.1
    statuses={
        "github:lizekang/itdd": "ok",
        "github:multi-turn/dialogue-rewrite": "ok",
        "github:chinnadhurai/parlai": "ok",
        "github:lgelderloos/cds_ads": "not_found",
    },
    frameworks={"P19-1002": "pytorch", "P19-1003": "tensorflow", "P19-1004": "pytorch"},
    absent=frozenset({f"{ACL_XML}/2020.findings.xml"}),  # no Findings file: not an error
)

ACL_2022 = Case(
    name="acl-2022-with-findings",
    args=("--venue", "acl", "--years", "2022"),
    hosts=frozenset({"/raw", "/aclweb", "/api", "/codeload"}),
    pages={
        f"{ACL_XML}/2022.acl.xml": "acl/2022.acl.xml",
        f"{ACL_XML}/2022.findings.xml": "acl/2022.findings.xml",
    },
    pdfs={
        f"{ACL}/2022.acl-long.1.pdf": f"{GH}/amodaresi/AdapLeR",
        f"{ACL}/2022.acl-long.3.pdf": None,
        f"{ACL}/2022.acl-short.1.pdf": None,
        f"{ACL}/2022.findings-acl.1.pdf": None,
        f"{ACL}/2022.findings-acl.2.pdf": None,
    },
    repos={"amodaresi/AdapLeR": "P", "benzakenelad/BitFit": "P", "wangxin/compile-gen": "T"},
    papers={2022: 5},  # long 1 and 3 (retracted, kept), short 1, two Findings papers
    links={
        "2022.acl-long.1": ("acl github:amodaresi/adapler", "pdf github:amodaresi/adapler"),
        "2022.acl-short.1": ("acl github:benzakenelad/bitfit",),
        "2022.findings-acl.2": ("acl github:wangxin/compile-gen",),
    },
    rejected=2,  # software.zip attachments of 2022.acl-long.1 and 2022.findings-acl.1
    statuses={
        "github:amodaresi/adapler": "ok",
        "github:benzakenelad/bitfit": "ok",
        "github:wangxin/compile-gen": "ok",
    },
    frameworks={
        "2022.acl-long.1": "pytorch",
        "2022.acl-short.1": "pytorch",
        "2022.findings-acl.2": "tensorflow",
    },
)

EMNLP_2019 = Case(
    name="emnlp-2019",
    args=("--venue", "emnlp", "--years", "2019"),
    hosts=frozenset({"/raw", "/aclweb", "/api", "/codeload"}),
    pages={f"{ACL_XML}/D19.xml": "acl/D19.xml"},
    pdfs={f"{ACL}/D19-1002.pdf": None, f"{ACL}/D19-1010.pdf": f"{GH}/sparse-maps/l1-sparse"},
    repos={"sarahwie/attention": "P", "sparse-maps/l1-sparse": "N"},
    papers={2019: 2},  # volume 1; the workshop volume 55 is left out
    links={
        "D19-1002": ("acl github:sarahwie/attention",),
        "D19-1010": ("pdf github:sparse-maps/l1-sparse",),
    },
    rejected=0,
    statuses={"github:sarahwie/attention": "ok", "github:sparse-maps/l1-sparse": "ok"},
    frameworks={"D19-1002": "pytorch"},
)

NAACL_2022 = Case(
    name="naacl-2022-with-findings",
    args=("--venue", "naacl", "--years", "2022"),
    hosts=frozenset({"/raw", "/aclweb", "/api", "/codeload"}),
    pages={
        f"{ACL_XML}/2022.naacl.xml": "venues/2022.naacl.xml",
        f"{ACL_XML}/2022.findings.xml": "acl/2022.findings.xml",  # its NAACL volume
    },
    pdfs={
        f"{ACL}/2022.naacl-main.1.pdf": f"{GH}/mabrams/social-norms",
        f"{ACL}/2022.naacl-main.2.pdf": None,
        f"{ACL}/2022.naacl-main.3.pdf": None,
        f"{ACL}/2022.findings-naacl.1.pdf": None,
    },
    repos={"mabrams/social-norms": "P", "AMDonati/RL-NLP": "T"},
    papers={2022: 4},  # main 1-3 and the Findings paper; SRW and demo volumes left out
    links={
        "2022.naacl-main.1": ("pdf github:mabrams/social-norms",),
        "2022.naacl-main.2": ("acl github:amdonati/rl-nlp",),
    },
    rejected=1,  # 2022.naacl-main.2.software.zip
    statuses={"github:mabrams/social-norms": "ok", "github:amdonati/rl-nlp": "ok"},
    frameworks={"2022.naacl-main.1": "pytorch", "2022.naacl-main.2": "tensorflow"},
)

NEURIPS_2021_OPENREVIEW = Case(
    name="neurips-2021-source-openreview",
    args=("--venue", "neurips", "--years", "2021", "--source", "openreview"),
    hosts=frozenset({"/orv1", "/openreview", "/api", "/codeload"}),  # no proceedings
    pages={
        orv1("NeurIPS.cc/2021/Conference/-/Blind_Submission"): "openreview/neurips2021_blind.json",
        orv1("NeurIPS.cc/2021/Track/Datasets_and_Benchmarks/Round1/-/Submission"): (
            "openreview/neurips2021_db_round1.json"
        ),
        orv1("NeurIPS.cc/2021/Track/Datasets_and_Benchmarks/Round2/-/Submission"): (
            "openreview/neurips2021_db_round2.json"
        ),
    },
    pdfs={
        or_pdf("-K4tIyQLaY"): None,  # the paper listed twice: the note with the lower number
        or_pdf("xXYjxli-2i"): f"{GH}/gh-lab/stoch-graph",
        or_pdf("OralPaper1"): f"{GH}/oral-lab/oral",
        or_pdf("R1accepted"): None,
        or_pdf("mbW_GT3ZN-"): None,
    },
    repos={"twice/transformers": "P", "gh-lab/stoch-graph": "T", "oral-lab/oral": "J"},
    papers={2021: 5},
    links={
        "-K4tIyQLaY": ("openreview github:twice/transformers",),
        "xXYjxli-2i": ("openreview github:gh-lab/stoch-graph", "pdf github:gh-lab/stoch-graph"),
        "OralPaper1": ("pdf github:oral-lab/oral",),
    },
    rejected=0,
    statuses={
        "github:twice/transformers": "ok",
        "github:gh-lab/stoch-graph": "ok",
        "github:oral-lab/oral": "ok",
    },
    frameworks={"-K4tIyQLaY": "pytorch", "xXYjxli-2i": "tensorflow", "OralPaper1": "jax"},
)

ICML_2025_OPENREVIEW = Case(
    name="icml-2025-source-openreview",
    args=("--venue", "icml", "--years", "2025", "--source", "openreview"),
    hosts=frozenset({"/orv2", "/openreview", "/api", "/codeload"}),  # no PMLR
    pages={
        orv2("ICML.cc/2025/Conference"): "openreview/icml2025_main_p1.json",
        orv2("ICML.cc/2025/Position_Paper_Track"): "openreview/icml2025_position.json",
    },
    pdfs={
        or_pdf("Hx1aaaaaaa"): f"{GH}/sato-lab/routing-laws",
        or_pdf("Hx2bbbbbbb"): None,
        or_pdf("nDFpl2lhoH"): None,
    },
    repos={"sato-lab/routing-laws": "P"},
    papers={2025: 3},
    links={
        "Hx1aaaaaaa": (
            "openreview github:sato-lab/routing-laws",
            "pdf github:sato-lab/routing-laws",
        )
    },
    rejected=0,
    statuses={"github:sato-lab/routing-laws": "ok"},
    frameworks={"Hx1aaaaaaa": "pytorch"},
)

WACV_2025_PAPERLISTS = Case(
    name="wacv-2025-source-paperlists",
    args=("--venue", "wacv", "--years", "2025", "--source", "paperlists"),
    hosts=frozenset({"/raw", "/api", "/codeload"}),  # no CVF: PDFs are not read
    pages={f"{PAPERLISTS}/wacv/wacv2025.json": "paperlists/wacv2025.json"},
    pdfs={},  # an aggregator run reads no PDFs
    repos={
        "littlewhitesea/360PanT": "P",
        "Christina200/Online-LoRA-official": "T",
        "JLiangLab/LeADER": "M",
        "Etdihatthoc/Multi-VSL": "J",
    },
    papers={2025: 6},
    links={
        "ca6d1b4547": ("paperlists github:littlewhitesea/360pant",),
        "5b1e0f3c2a": ("paperlists github:christina200/online-lora-official",),
        "0d6c2a8e11": ("paperlists github:jlianglab/leader",),
        "9a8b7c6d5e": ("paperlists github:etdihatthoc/multi-vsl",),
    },
    rejected=1,  # ORFormer's github.io project page
    statuses={
        "github:littlewhitesea/360pant": "ok",
        "github:christina200/online-lora-official": "ok",
        "github:jlianglab/leader": "not_found",
        "github:etdihatthoc/multi-vsl": "ok",
    },
    frameworks={"ca6d1b4547": "pytorch", "5b1e0f3c2a": "tensorflow", "9a8b7c6d5e": "jax"},
)

CASES = [
    CVPR_2019,
    ICCV_2017,
    WACV_2024,
    ECCV_2024,
    NEURIPS_2021_2022,
    NEURIPS_2024_2025,
    ICML_2019,
    ICML_2025,
    ICLR_2017_2020,
    ICLR_2023_2024,
    ACL_2019_2020,
    ACL_2022,
    EMNLP_2019,
    NAACL_2022,
    NEURIPS_2021_OPENREVIEW,
    ICML_2025_OPENREVIEW,
    WACV_2025_PAPERLISTS,
]


# --------------------------------------------------------------------------- database reads


@dataclass(frozen=True)
class Facts:
    """What a test checks in the database after a run."""

    papers: dict[int, int]  # year -> papers
    links: dict[str, tuple[str, ...]]  # native id -> "found_in repo_id" of official links
    rejected: int
    statuses: dict[str, str]  # repo id -> status
    frameworks: dict[str, str]  # native id -> "+"-joined frameworks of its official repos


def read_facts(db: Path) -> Facts:
    con = duckdb.connect(str(db), read_only=True)
    try:
        links: dict[str, tuple[str, ...]] = {}
        for native_id, link in con.execute(
            "SELECT p.native_id, c.found_in || ' ' || c.repo_id FROM code_links c "
            "JOIN papers p USING (paper_id) WHERE c.official AND c.rejected IS NULL "
            "ORDER BY 1, 2"
        ).fetchall():
            links[native_id] = (*links.get(native_id, ()), link)
        return Facts(
            papers=dict(con.execute("SELECT year, count(*) FROM papers GROUP BY 1").fetchall()),
            links=links,
            rejected=con.execute(
                "SELECT count(*) FROM code_links WHERE rejected IS NOT NULL"
            ).fetchall()[0][0],
            statuses=dict(con.execute("SELECT repo_id, status FROM repos").fetchall()),
            frameworks=dict(
                con.execute(
                    "SELECT p.native_id, string_agg(DISTINCT f.framework, '+' "
                    "ORDER BY f.framework) FROM paper_frameworks f JOIN papers p "
                    "USING (paper_id) GROUP BY 1"
                ).fetchall()
            ),
        )
    finally:
        con.close()


def expected(case: Case) -> Facts:
    return Facts(
        dict(case.papers),
        dict(case.links),
        case.rejected,
        dict(case.statuses),
        dict(case.frameworks),
    )


# --------------------------------------------------------------------------- every venue


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_venue_end_to_end(case: Case, tmp_path: Path) -> None:
    with CliSession(case.resources(), tmp_path) as session:
        result, hits = session.run(*case.args)
        web = session.web
    assert result.exit_code == 0, result.output
    assert f"papers listed {sum(case.papers.values())} " in result.output
    assert query(session.db, "SELECT status FROM runs") == [("ok",)]
    assert read_facts(session.db) == expected(case)
    # every repository scanned is also scanned as of its conference (the same commit here)
    assert {repo for repo, status in case.statuses.items() if status == "ok"} == {
        repo for (repo,) in query(session.db, "SELECT repo_id FROM repo_snapshots")
    }
    # every PDF read once; nothing else asked for that the site does not have
    assert {url: hits[local_path(url)] for url in case.pdfs} == dict.fromkeys(case.pdfs, 1)
    assert misses(web) == {local_path(url) for url in case.absent}
    assert prefixes(hits) == case.hosts  # --source NAME asks that source (and GitHub) only


# --------------------------------------------------------------------------- aggregators


def pwc_archive(directory: Path) -> bytes:
    """The Papers with Code archive as parquet, made from the saved rows of the pwc fixture."""
    target = directory / "pwc.parquet"
    rows = FIXTURES / "pwc" / "links-between-papers-and-code.json"
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_json_auto('{rows}')) TO '{target}' (FORMAT parquet)")
    finally:
        con.close()
    return target.read_bytes()


HF_FILE = (
    "https://huggingface.co/datasets/pwc-archive/links-between-paper-and-code/resolve/main/"
    "data/train-00000-of-00001.parquet"
)
HF_CDN = "https://cdn-lfs.hf.co/repos/5f/0c/5f0c2e7d/6d1e9a0b?response-content-disposition=attach"


def pwc_resources(directory: Path) -> dict[str, Resource]:
    """The archive's Hugging Face URL, redirecting to its CDN (as huggingface.co does)."""
    return {
        local_path(HF_FILE): Resource(b"", "text/plain", 302, {"Location": HF_CDN}),
        local_path(HF_CDN): Resource(pwc_archive(directory), "application/octet-stream"),
    }


CVPR_2023 = Case(
    name="cvpr-2023-day-all",
    args=("--venue", "cvpr", "--years", "2023"),
    hosts=frozenset({"/cvf", "/api", "/codeload"}),
    pages={f"{CVF}/CVPR2023?day=all": "cvf/cvpr2023_day_all.html"},
    pdfs={
        cvf_pdf("content/CVPR2023", CVPR23["Hu"]): None,  # UniAD: code via the aggregators
        cvf_pdf("content/CVPR2023", CVPR23["Ruiz"]): None,
        cvf_pdf("content/CVPR2023", CVPR23["Gupta"]): f"{GH}/allenai/visprog",
        cvf_pdf("content/CVPR2023", CVPR23["Meng"]): None,
        cvf_pdf("content/CVPR2023", CVPR23["Chowdhury"]): f"{GH}/pinakinathc/sketch-detect",
        cvf_pdf("content/CVPR2023", CVPR23["Chen"]): f"{GH}/google-research/jax3d",
    },
    repos={
        "allenai/visprog": "P",
        "pinakinathc/sketch-detect": "T",
        "google-research/jax3d": "J",
        "OpenDriveLab/UniAD": "P",
    },
    papers={2023: 6},  # the entry without a title or link is skipped
    links={
        CVPR23["Gupta"]: ("pdf github:allenai/visprog",),
        CVPR23["Chowdhury"]: ("pdf github:pinakinathc/sketch-detect",),
        CVPR23["Chen"]: ("pdf github:google-research/jax3d",),
    },
    rejected=0,
    statuses={
        "github:allenai/visprog": "ok",
        "github:pinakinathc/sketch-detect": "ok",
        "github:google-research/jax3d": "ok",
    },
    frameworks={
        CVPR23["Gupta"]: "pytorch",
        CVPR23["Chowdhury"]: "tensorflow",
        CVPR23["Chen"]: "jax",
    },
)
ARXIV_CVPR_2023 = (
    "https://export.arxiv.org/api/query?id_list=2208.00277,2208.12242,2211.11559,2212.10156,"
    "2303.15149&max_results=5"
)


def test_pwc_then_arxiv_add_links_to_stored_papers(tmp_path: Path) -> None:
    resources = {
        **CVPR_2023.resources(),
        **pwc_resources(tmp_path),
        local_path(ARXIV_CVPR_2023): fixture("arxiv/id_list_batch.xml", ATOM),
    }
    hu = CVPR23["Hu"]
    with CliSession(resources, tmp_path) as session:
        first, _ = session.run(*CVPR_2023.args)
        assert first.exit_code == 0, first.output
        assert read_facts(session.db) == expected(CVPR_2023)

        # Papers with Code: UniAD's official repository (by arXiv id) and a community one
        second, hits = session.run("--venue", "cvpr", "--years", "2023", "--source", "pwc")
        assert second.exit_code == 0, second.output
        assert prefixes(hits) == {"/hf", "/hf-cdn", "/api", "/codeload"}
        assert hits[local_path(HF_CDN)] == 1
        facts = read_facts(session.db)
        assert facts.papers == {2023: 6}
        assert facts.links[hu] == ("pwc github:opendrivelab/uniad",)
        assert facts.statuses["github:opendrivelab/uniad"] == "ok"
        assert facts.frameworks[hu] == "pytorch"
        assert query(
            session.db,
            "SELECT repo_id, official, source_framework FROM code_links "
            "WHERE found_in = 'pwc' ORDER BY 1",
        ) == [
            ("github:opendrivelab/uniad", True, "pytorch"),
            ("github:someone/uniad-reimplementation", False, "pytorch"),
        ]
        assert "github:someone/uniad-reimplementation" not in facts.statuses  # never scanned

        # arXiv: the comment "Code: https://github.com/OpenDriveLab/UniAD" of 2212.10156
        third, hits = session.run("--venue", "cvpr", "--years", "2023", "--source", "arxiv")
        assert third.exit_code == 0, third.output
        assert prefixes(hits) == {"/arxiv"}  # UniAD is scanned already: no GitHub request
        facts = read_facts(session.db)
        assert facts.links[hu] == (
            "arxiv github:opendrivelab/uniad",
            "pwc github:opendrivelab/uniad",
        )
        assert sum(len(v) for v in facts.links.values()) == 5
    assert query(session.db, "SELECT status FROM runs ORDER BY run_id") == [("ok",)] * 3


def test_pwc_matches_papers_without_arxiv_id_by_title(tmp_path: Path) -> None:
    """ACL papers carry no arXiv id: "Attention is not not Explanation" is found by title."""
    resources = {**EMNLP_2019.resources(), **pwc_resources(tmp_path)}
    with CliSession(resources, tmp_path) as session:
        assert session.run(*EMNLP_2019.args)[0].exit_code == 0
        result, hits = session.run("--venue", "emnlp", "--years", "2019", "--source", "pwc")
    assert result.exit_code == 0, result.output
    assert prefixes(hits) == {"/hf", "/hf-cdn"}  # sarahwie/attention was scanned by the first run
    facts = read_facts(session.db)
    assert facts.links["D19-1002"] == (
        "acl github:sarahwie/attention",
        "pwc github:sarahwie/attention",
    )
    assert facts.frameworks == {"D19-1002": "pytorch"}


def test_paperlists_merges_into_papers_listed_by_the_venue(tmp_path: Path) -> None:
    """paperlists' CVPR 2019 file names three papers CVF listed (matched by title, their code
    links attached there) and two more (added)."""
    resources = {
        **CVPR_2019.resources(),
        local_path(f"{PAPERLISTS}/cvpr/cvpr2019.json"): fixture("paperlists/cvpr2019.json", JSON),
        **github_repos(
            {
                "facebookresearch/detectron2": "P",
                "alexsax/midlevel-reps": "P",
                "StanfordVL/taskonomy": "T",
            },
            publication_times("cvpr", [2019]),
        ),
    }
    with CliSession(resources, tmp_path) as session:
        assert session.run(*CVPR_2019.args)[0].exit_code == 0
        result, hits = session.run("--venue", "cvpr", "--years", "2019", "--source", "paperlists")
    assert result.exit_code == 0, result.output
    assert prefixes(hits) == {"/raw", "/api", "/codeload"}
    facts = read_facts(session.db)
    assert facts.papers == {2019: 8}
    assert facts.links == {
        **CVPR_2019.links,
        CVPR19["Pavllo"]: (
            "paperlists github:facebookresearch/videopose3d",
            "pdf github:facebookresearch/videopose3d",
        ),
        CVPR19["Kirillov"]: ("paperlists github:facebookresearch/detectron2",),
        CVPR19["DeepSDF"]: (
            "paperlists github:facebookresearch/deepsdf",
            "pdf github:facebookresearch/deepsdf",
        ),
        "1411": (
            "paperlists github:alexsax/midlevel-reps",
            "paperlists github:stanfordvl/taskonomy",
        ),
    }
    assert facts.statuses == {
        **CVPR_2019.statuses,
        "github:facebookresearch/detectron2": "ok",
        "github:alexsax/midlevel-reps": "ok",
        "github:stanfordvl/taskonomy": "ok",
    }
    assert facts.frameworks == {
        **CVPR_2019.frameworks,
        CVPR19["Kirillov"]: "pytorch",
        "1411": "pytorch+tensorflow",
    }
    assert query(
        session.db,
        "SELECT native_id, matched_by FROM paper_sources WHERE source = 'paperlists' ORDER BY 1",
    ) == [
        ("1034", "title-exact"),  # Kirillov
        ("1411", "self"),
        ("2154", "self"),
        ("3321", "title-exact"),  # DeepSDF
        ("877", "title-exact"),  # Pavllo
    ]


# --------------------------------------------------------------------------- years and errors


def test_year_without_a_pmlr_volume_is_reported_not_a_crash(tmp_path: Path) -> None:
    """ICML 2012 predates the PMLR volume table: one line naming the year, no traceback
    (run_cli fails the test on an uncaught exception), no request, no paper."""
    with CliSession(ICML_2019.resources(), tmp_path) as session:
        result, hits = session.run("--venue", "icml", "--years", "2012")
    assert "icml 2012" in result.output.lower()
    assert not hits
    assert read_facts(session.db).papers == {}


ECCV_2022_PDFS = {
    f"{ECVA}/papers/eccv_2022/papers_ECCV/papers/136610001.pdf": None,
    f"{ECVA}/papers/eccv_2022/papers_ECCV/papers/136620210.pdf": None,
}


@pytest.mark.parametrize(
    ("case", "years", "more_pdfs", "papers"),
    [
        (ECCV_2024, "2022-2024", ECCV_2022_PDFS, {2022: 2, 2024: 3}),
        (ICLR_2017_2020, "2016-2017", {}, {2017: 2}),
    ],
    ids=["eccv-2022-2024", "iclr-2016-2017"],
)
def test_a_range_skips_years_without_an_edition(
    case: Case,
    years: str,
    more_pdfs: dict[str, str | None],
    papers: dict[int, int],
    tmp_path: Path,
) -> None:
    venue = case.args[1]
    resources = {
        **case.resources(),
        **{local_path(url): paper_pdf("A paper", code) for url, code in more_pdfs.items()},
    }
    with CliSession(resources, tmp_path) as session:
        result, _ = session.run("--venue", venue, "--years", years)
    assert result.exit_code == 0, result.output
    assert query(session.db, "SELECT status FROM runs") == [("ok",)]
    assert query(session.db, "SELECT stage, item FROM failures") == []
    assert read_facts(session.db).papers == papers


def test_a_spent_github_quota_for_framework_stars_does_not_crash_the_run(tmp_path: Path) -> None:
    spent = Resource(
        b'{"message": "API rate limit exceeded"}',
        JSON,
        403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"},  # reset in 2100
    )
    resources = {**ICCV_2017.resources(), **dict.fromkeys(framework_stars(), spent)}
    with CliSession(resources, tmp_path) as session:
        result, _ = session.run(*ICCV_2017.args)
    assert result.exit_code == 0, result.output
    assert query(session.db, "SELECT status FROM runs") != [("failed",)]
    assert read_facts(session.db) == expected(ICCV_2017)  # the venue's work is all kept
    stars = query(session.db, "SELECT count(*) FROM failures WHERE stage = 'stars'")
    assert stars == [(len(framework_stars()),)]
