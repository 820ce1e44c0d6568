"""From per-file evidence to a verdict: primary framework, frameworks used, confidence, reasons.

Pure: a list of :class:`Hit` in, a :class:`Verdict` out.

The rule, meant to match what a careful person reading the repository would conclude:

1. **Score.** Each file that imports a framework (``.py``, notebook or Lua code) adds its path
   weight (see :mod:`scraper.detect.paths`: own code 1.0, examples 0.5, tests/setup 0.3, docs
   0.2, conversion scripts 0.1, vendored code 0.05, generated code 0). Declarations —
   requirements files, setup.py/setup.cfg/pyproject/Pipfile/environment.yml entries, notebook
   ``!pip install`` lines, Dockerfile base images and install commands — add 0.5 x the file's
   path weight each, capped at 0.9 in total, so one own-code import always beats any amount of
   declarations. Likewise the files of weight < 0.3 (docs, conversion scripts, vendored and
   generated code) add at most 0.9 per framework in total: a copy of a 400-file framework in
   the tree must not outweigh the paper's own files. A framework's *own files* are its
   importing files of weight >= 0.5. A file's
   role comes from its path, unless the scan knows better (a copy of a third-party package
   deeper in the tree is vendored code; see :mod:`scraper.detect.scan`). A framework seen
   only in docs, conversion scripts, vendored or generated code (weight < 0.3) and never
   declared is not counted at all: a C++ library with one docs example importing torch does
   not use PyTorch.
2. **Keras on TensorFlow.** When one own file imports both ``keras`` (standalone) and
   ``tensorflow`` (Keras code reaching into its TensorFlow backend), keras's score is added to
   tensorflow's for choosing the primary, and keras cannot be primary (it is still listed when
   it passes rule 4). Keras and TensorFlow code in separate files (a Keras demo next to a
   TensorFlow one) are scored apart. ``tf.keras`` and ``tf_keras`` are tensorflow from the
   start.
3. **Primary** = the highest score; ties go to more own files, then more occurrences, then
   the alias table's order. No score at all: ``primary`` is None.
4. **Used** = the primary plus every other framework whose score is at least 15% of the
   primary's and that is imported by at least 2 own files (or by 1 own file when its score is
   at least half the primary's). Declarations alone never make a second framework "used".
5. **Confidence** (0..1) = base x (0.55 + 0.45 x amount) x share^0.75, where base is 0.95
   when the primary is imported by code, 0.6 when it is only declared and 0.5 for only a
   Docker image; amount = 1 - exp(-score / 1.5) (one own file ~0.49, three ~0.86); share = the
   primary's score over the sum of all scores. x0.7 when no own file imports it (only tests,
   vendored code...). The caller lowers it further for incomplete scans.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from scraper.detect.paths import OWN_CODE_WEIGHT, ROLE_WEIGHTS, path_role, role_weight
from scraper.models import FrameworkEvidence

CODE_SOURCES = ("code", "notebook")
DECLARATION_WEIGHT = 0.5
DECLARATION_CAP = 0.9
AUX_CAP = 0.9  # total weight of docs/converter/vendored/generated files per framework
SECONDARY_SHARE = 0.15
SECONDARY_MIN_OWN_FILES = 2
STRONG_SECONDARY_SHARE = 0.5
TOP_FILES = 5
MIN_COUNTED_WEIGHT = ROLE_WEIGHTS["test"]  # below: docs, converters, vendored, generated code


@dataclass(frozen=True)
class Hit:
    """Evidence of one framework in one file.

    ``source``: 'code' (a .py or .lua file), 'notebook', 'requirement' (any declaration of a
    package) or 'config' (a Dockerfile base image, a Caffe prototxt). ``names``: what was seen
    (import roots, package names, image names). ``role``: the file's role when the scan knows
    better than its path (see :func:`scraper.detect.paths.path_role`); None = from the path.
    """

    framework: str
    path: str
    source: str
    occurrences: int = 1
    names: tuple[str, ...] = ()
    role: str | None = None


def hit_role(hit: Hit) -> str:
    return hit.role or path_role(hit.path)


def hit_weight(hit: Hit) -> float:
    return ROLE_WEIGHTS[hit.role] if hit.role else role_weight(hit.path)


@dataclass
class Verdict:
    primary: str | None = None
    frameworks: list[str] = field(default_factory=list)
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    evidence: list[FrameworkEvidence] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class _Tally:
    code: dict[str, Hit] = field(default_factory=dict)  # path -> merged hit
    declared: dict[str, Hit] = field(default_factory=dict)
    code_score: float = 0.0
    aux_score: float = 0.0  # files of weight < MIN_COUNTED_WEIGHT, capped at AUX_CAP
    declared_score: float = 0.0
    own_files: int = 0
    occurrences: int = 0

    @property
    def score(self) -> float:
        return (
            self.code_score
            + min(AUX_CAP, self.aux_score)
            + min(DECLARATION_CAP, self.declared_score)
        )

    @property
    def counted(self) -> bool:
        """False when only docs, converters, vendored or generated code import it."""
        return bool(self.declared) or any(
            hit_weight(h) >= MIN_COUNTED_WEIGHT for h in self.code.values()
        )

    def own_paths(self) -> set[str]:
        return {p for p, h in self.code.items() if hit_weight(h) >= OWN_CODE_WEIGHT}


def _merge(into: dict[str, Hit], hit: Hit) -> None:
    old = into.get(hit.path)
    if old is None:
        into[hit.path] = hit
    else:
        names = tuple(dict.fromkeys(old.names + hit.names))
        into[hit.path] = Hit(
            hit.framework, hit.path, old.source, old.occurrences + hit.occurrences, names, old.role
        )


def _tally(hits: list[Hit]) -> dict[str, _Tally]:
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for hit in hits:
        tally = tallies[hit.framework]
        _merge(tally.code if hit.source in CODE_SOURCES else tally.declared, hit)
    for tally in tallies.values():
        for hit in tally.code.values():
            weight = hit_weight(hit)
            if weight < MIN_COUNTED_WEIGHT:
                tally.aux_score += weight
            else:
                tally.code_score += weight
            tally.own_files += weight >= OWN_CODE_WEIGHT
            tally.occurrences += hit.occurrences
        for hit in tally.declared.values():
            tally.declared_score += DECLARATION_WEIGHT * max(hit_weight(hit), 0.2)
            tally.occurrences += hit.occurrences
    return dict(tallies)


def _ranked(hits: dict[str, Hit]) -> list[Hit]:
    return sorted(hits.values(), key=lambda h: (-hit_weight(h), -h.occurrences, h.path))


def _file_list(hits: list[Hit], limit: int = 3) -> str:
    paths = [h.path for h in hits[:limit]]
    return ", ".join(paths) + (", ..." if len(hits) > limit else "")


def _names(hits: list[Hit], limit: int = 4) -> str:
    names = list(dict.fromkeys(n for h in hits for n in h.names))
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _files(n: int, more: str = "") -> str:
    return f"1 {more}file imports" if n == 1 else f"{n} {more}files import"


def _evidence(framework: str, tally: _Tally) -> list[FrameworkEvidence]:
    groups: dict[str, list[Hit]] = defaultdict(list)
    for hit in tally.code.values():
        if hit_weight(hit) < OWN_CODE_WEIGHT:
            groups["import_aux"].append(hit)
        else:
            groups["notebook" if hit.source == "notebook" else "import"].append(hit)
    for hit in tally.declared.values():
        groups[hit.source].append(hit)
    rows = []
    for kind in ("import", "notebook", "import_aux", "requirement", "config"):
        group = groups.get(kind)
        if not group:
            continue
        ranked = sorted(group, key=lambda h: (-hit_weight(h), -h.occurrences, h.path))
        rows.append(
            FrameworkEvidence(
                framework=framework,
                kind=kind,
                files=len(group),
                occurrences=sum(h.occurrences for h in group),
                top_files=[h.path for h in ranked[:TOP_FILES]],
            )
        )
    return rows


def describe(framework: str, tally: _Tally) -> list[str]:
    """Short human-readable lines for one framework's evidence."""
    lines = []
    ranked = _ranked(tally.code)
    own = [h for h in ranked if hit_weight(h) >= OWN_CODE_WEIGHT]
    aux = [h for h in ranked if hit_weight(h) < OWN_CODE_WEIGHT]
    if own:
        lines.append(f"{_files(len(own))} {_names(own)} ({_file_list(own)})")
    if aux:
        roles = "/".join(sorted({hit_role(h) for h in aux}))
        more = "more " if own else ""
        lines.append(
            f"{_files(len(aux), more)} {_names(aux)} only in {roles} code "
            f"({_file_list(aux)}): weighted down"
        )
    declared = _ranked(tally.declared)
    requirements = [h for h in declared if h.source == "requirement"]
    configs = [h for h in declared if h.source == "config"]
    if requirements:
        verb = "lists" if len(requirements) == 1 else "list"
        lines.append(f"{_file_list(requirements)} {verb} {_names(requirements)}")
    if configs:
        lines.append(f"{_file_list(configs)} use{'s' if len(configs) == 1 else ''} "
                     f"{_names(configs)}")  # fmt: skip
    return [f"{framework}: {line}" for line in lines]


def decide(hits: list[Hit], order: tuple[str, ...]) -> Verdict:
    """Apply the rule in the module docstring to the hits of one repository."""
    tallies = _tally(hits)
    verdict = Verdict(scores={fw: round(t.score, 3) for fw, t in tallies.items()})
    for framework in sorted(tallies, key=lambda f: order.index(f) if f in order else len(order)):
        verdict.evidence.extend(_evidence(framework, tallies[framework]))
    if not tallies:
        return verdict
    effective = {fw: t.score for fw, t in tallies.items() if t.score > 0 and t.counted}
    merged_keras = (
        "keras" in effective
        and "tensorflow" in effective
        and bool(tallies["keras"].own_paths() & tallies["tensorflow"].own_paths())
    )
    if merged_keras:
        effective["tensorflow"] += effective.pop("keras")
    if not effective:  # only generated, vendored or docs code mentions a framework
        verdict.reasons.extend(_not_counted(fw, t) for fw, t in tallies.items())
        return verdict

    def rank(fw: str) -> tuple[float, int, int, int]:
        position = order.index(fw) if fw in order else len(order)
        t = tallies[fw]
        return (-effective[fw], -t.own_files, -t.occurrences, position)

    primary = min(effective, key=rank)
    top = effective[primary]
    used = [primary]
    for fw in sorted(tallies, key=lambda f: (-tallies[f].score, f)):
        if fw == primary:
            continue
        t = tallies[fw]
        if t.score >= SECONDARY_SHARE * top and (
            t.own_files >= SECONDARY_MIN_OWN_FILES
            or (t.own_files >= 1 and t.score >= STRONG_SECONDARY_SHARE * top)
        ):
            used.append(fw)
    verdict.primary = primary
    verdict.frameworks = used
    verdict.confidence = _confidence(tallies[primary], top, sum(effective.values()))
    for fw in used:
        verdict.reasons.extend(describe(fw, tallies[fw]))
    if merged_keras:
        verdict.reasons.append(
            "keras is imported together with tensorflow: tensorflow is the primary framework"
        )
    for fw in sorted(tallies, key=lambda f: -tallies[f].score):
        if fw not in used and not (merged_keras and fw == "keras"):
            verdict.reasons.append(_not_counted(fw, tallies[fw]))
    return verdict


def _not_counted(framework: str, tally: _Tally) -> str:
    if not tally.code:
        where = _file_list(_ranked(tally.declared))
        return f"{framework} not counted: only declared ({where}), never imported"
    if tally.own_files == 0:
        roles = "/".join(sorted({hit_role(h) for h in tally.code.values()}))
        return (
            f"{framework} not counted: imported only outside the main code, in {roles} code "
            f"({_file_list(_ranked(tally.code))})"
        )
    return (
        f"{framework} not counted: {tally.own_files} own file"
        f"{'s' if tally.own_files != 1 else ''} ({_file_list(_ranked(tally.code))}), "
        "too little next to the primary framework"
    )


def _confidence(tally: _Tally, score: float, total: float) -> float:
    if tally.code:
        base = 0.95
    elif any(h.source == "requirement" for h in tally.declared.values()):
        base = 0.6
    else:
        base = 0.5
    amount = 1.0 - math.exp(-score / 1.5)
    share = score / total if total > 0 else 0.0
    value = base * (0.55 + 0.45 * amount) * share**0.75
    if tally.code and tally.own_files == 0:
        value *= 0.7
    return round(min(max(value, 0.0), 1.0), 3)
