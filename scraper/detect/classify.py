"""From per-file evidence to a verdict: primary framework, frameworks used, confidence, reasons.

Pure: a list of :class:`Hit` in, a :class:`Verdict` out (:func:`decide`). A scan feeds its
hits in batches to :class:`Evidence` instead, which keeps per-framework summaries of bounded
size (counts, scores, the files and names the reasons show) and gives the same verdict.

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
6. **Backends** (applied by the scan, :mod:`scraper.detect.backends`; the table's
   ``[multi_backend]`` and ``[backend_settings]``). A multi-backend library votes only for the
   backend it is shown to use: transformers/diffusers through TF*/Flax* classes and
   ``modeling_tf_``/``modeling_flax_`` modules; dgl through ``dgl.nn.pytorch``/
   ``dgl.nn.tensorflow``/``dgl.nn.mxnet`` imports; and an import of dgl or tensorlayerx that
   shows no backend of its own votes for the one a literal DGLBACKEND / TL_BACKEND setting in
   the repository's own code chooses. A bare ``import dgl`` with neither does not vote, even
   though DGL defaults to PyTorch: the other imports decide (nearly every DGL file imports
   torch or tensorflow for its model), and a vote from the default would only double what they
   show or invent evidence where they show none. Standalone **Keras** stays keras whatever its
   backend; a visible KERAS_BACKEND or keras.json setting is noted ("keras backend: theano
   (KERAS_BACKEND in run.sh)", and ``ScanResult.backends``). For **Keras 3** (declared
   ``keras>=3``, or ``keras.ops``/``keras.config``/``keras_core`` used) that is itself used,
   the backend's framework is appended to the frameworks used, after the others: it is run
   by the repository, but the setting alone adds no score, so it is never primary (only
   imports of it can make it so, by rules 1-4). Keras 1/2 backends (theano, cntk) are only
   noted: that code is Keras code that ran on either backend unchanged. Checks
   (``keras.backend.backend() == "theano"``) are not settings.
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
    """The hits of one framework in one batch, merged by path."""

    code: dict[str, Hit] = field(default_factory=dict)  # path -> merged hit
    declared: dict[str, Hit] = field(default_factory=dict)


def _merge(into: dict[str, Hit], hit: Hit) -> None:
    old = into.get(hit.path)
    if old is None:
        into[hit.path] = hit
    else:
        names = tuple(dict.fromkeys(old.names + hit.names))
        into[hit.path] = Hit(
            hit.framework, hit.path, old.source, old.occurrences + hit.occurrences, names, old.role
        )


# -- bounded summaries ---------------------------------------------------------------------------

# What ranks a file in the reasons and evidence rows: weight, then occurrences, then path.
Key = tuple[float, int, str]
CODE_KINDS = ("import", "notebook", "import_aux")
DECLARED_KINDS = ("requirement", "config")
TOP_KEEP = max(TOP_FILES, 3)  # best files kept per kind: evidence rows show 5, reasons 3
NAMES_KEEP = 8  # names kept per kind: reasons show the first 4 and whether there are more


@dataclass
class _Group:
    """One framework's files of one evidence kind, in bounded form: counts, the best
    ``TOP_KEEP`` files, the best-ranked ``NAMES_KEEP`` names and the roles seen. Everything
    the reasons and evidence rows show, whatever the number of files."""

    files: int = 0
    occurrences: int = 0
    top: list[tuple[Key, str]] = field(default_factory=list)  # sorted, best first
    names: dict[str, tuple[Key, int]] = field(default_factory=dict)  # name -> first seen at
    roles: set[str] = field(default_factory=set)

    def add_batch(self, items: list[tuple[Key, Hit, str]]) -> None:
        """Add ``(key, hit, role)`` items, each a different file."""
        self.files += len(items)
        ranked = sorted(items, key=_first)
        self.top = _best(self.top, [(key, hit.path) for key, hit, _ in ranked[:TOP_KEEP]])
        names = self.names
        for key, hit, role in ranked:
            self.occurrences += hit.occurrences
            self.roles.add(role)
            for index, name in enumerate(hit.names):
                seen = names.get(name)
                if seen is None or (key, index) < seen:
                    names[name] = (key, index)
        self.names = _best_names(names)

    def merge(self, other: _Group) -> None:
        self.files += other.files
        self.occurrences += other.occurrences
        self.top = _best(self.top, other.top)
        self.roles |= other.roles
        names = dict(self.names)
        for name, seen in other.names.items():
            old = names.get(name)
            if old is None or seen < old:
                names[name] = seen
        self.names = _best_names(names)


def _first(item: tuple[Key, Hit, str]) -> Key:
    return item[0]


def _best(a: list[tuple[Key, str]], b: list[tuple[Key, str]]) -> list[tuple[Key, str]]:
    return sorted(a + b)[:TOP_KEEP] if a else b[:TOP_KEEP]


def _best_names(names: dict[str, tuple[Key, int]]) -> dict[str, tuple[Key, int]]:
    if len(names) <= NAMES_KEEP:
        return names
    return dict(sorted(names.items(), key=lambda kv: kv[1])[:NAMES_KEEP])


def _view(*groups: _Group | None) -> _Group:
    """Several kinds seen as one (own code = import + notebook, all code, all declarations)."""
    view = _Group()
    for group in groups:
        if group is not None:
            view.merge(group)
    return view


@dataclass
class _Summary:
    """One framework's evidence in a repository, bounded (see :class:`Evidence`)."""

    code_score: float = 0.0
    aux_score: float = 0.0  # files of weight < MIN_COUNTED_WEIGHT, capped at AUX_CAP
    declared_score: float = 0.0
    own_files: int = 0
    occurrences: int = 0
    counted_code: bool = False  # a code file of weight >= MIN_COUNTED_WEIGHT imports it
    groups: dict[str, _Group] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return (
            self.code_score
            + min(AUX_CAP, self.aux_score)
            + min(DECLARATION_CAP, self.declared_score)
        )

    @property
    def has_code(self) -> bool:
        return any(kind in self.groups for kind in CODE_KINDS)

    @property
    def has_declared(self) -> bool:
        return any(kind in self.groups for kind in DECLARED_KINDS)

    @property
    def counted(self) -> bool:
        """False when only docs, converters, vendored or generated code import it."""
        return self.has_declared or self.counted_code

    def group(self, kind: str) -> _Group | None:
        return self.groups.get(kind)

    def own(self) -> _Group:
        return _view(self.group("import"), self.group("notebook"))

    def code(self) -> _Group:
        return _view(*(self.group(kind) for kind in CODE_KINDS))

    def declared(self) -> _Group:
        return _view(*(self.group(kind) for kind in DECLARED_KINDS))

    def merge(self, other: _Summary) -> None:
        self.code_score += other.code_score
        self.aux_score += other.aux_score
        self.declared_score += other.declared_score
        self.own_files += other.own_files
        self.occurrences += other.occurrences
        self.counted_code = self.counted_code or other.counted_code
        for kind, group in other.groups.items():
            mine = self.groups.get(kind)
            if mine is None:
                self.groups[kind] = group
            else:
                mine.merge(group)


def _summarize(hits: list[Hit]) -> tuple[dict[str, _Summary], set[frozenset[str]]]:
    """Summaries of one batch of hits (merged by path within the batch), and the pairs of
    frameworks imported together by one own file."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for hit in hits:
        tally = tallies[hit.framework]
        _merge(tally.code if hit.source in CODE_SOURCES else tally.declared, hit)
    summaries: dict[str, _Summary] = {}
    own_files: dict[str, list[str]] = defaultdict(list)
    for framework, tally in tallies.items():
        summary = _Summary()
        kinds: dict[str, list[tuple[Key, Hit, str]]] = defaultdict(list)
        for hit in tally.code.values():
            role = hit_role(hit)
            weight = ROLE_WEIGHTS[role]
            if weight < MIN_COUNTED_WEIGHT:
                summary.aux_score += weight
            else:
                summary.code_score += weight
                summary.counted_code = True
            own = weight >= OWN_CODE_WEIGHT
            summary.own_files += own
            summary.occurrences += hit.occurrences
            if own:
                own_files[hit.path].append(framework)
                kind = "notebook" if hit.source == "notebook" else "import"
            else:
                kind = "import_aux"
            kinds[kind].append(((-weight, -hit.occurrences, hit.path), hit, role))
        for hit in tally.declared.values():
            role = hit_role(hit)
            weight = ROLE_WEIGHTS[role]
            summary.declared_score += DECLARATION_WEIGHT * max(weight, 0.2)
            summary.occurrences += hit.occurrences
            kinds[hit.source].append(((-weight, -hit.occurrences, hit.path), hit, role))
        for kind, items in kinds.items():
            group = _Group()
            group.add_batch(items)
            summary.groups[kind] = group
        summaries[framework] = summary
    pairs = {
        frozenset((a, b))
        for frameworks in own_files.values()
        if len(frameworks) > 1
        for a in frameworks
        for b in frameworks
        if a != b
    }
    return summaries, pairs


class Evidence:
    """A repository's hits, summarised as they come: memory bounded by the number of
    frameworks, not of files.

    Hits are added in batches; hits of one file must be in one batch (they are merged by
    path within it). One batch of every hit gives exactly what :func:`decide` gives for
    them. Scores, counts and the shown files and names stay exact over several batches too.
    """

    def __init__(self) -> None:
        self.summaries: dict[str, _Summary] = {}
        self.own_pairs: set[frozenset[str]] = set()

    def add(self, hits: list[Hit]) -> None:
        summaries, pairs = _summarize(hits)
        for framework, summary in summaries.items():
            mine = self.summaries.get(framework)
            if mine is None:
                self.summaries[framework] = summary
            else:
                mine.merge(summary)
        self.own_pairs |= pairs

    def verdict(self, order: tuple[str, ...]) -> Verdict:
        """Apply the rule in the module docstring."""
        tallies = self.summaries
        verdict = Verdict(scores={fw: round(t.score, 3) for fw, t in tallies.items()})
        for framework in sorted(
            tallies, key=lambda f: order.index(f) if f in order else len(order)
        ):
            verdict.evidence.extend(_evidence(framework, tallies[framework]))
        if not tallies:
            return verdict
        effective = {fw: t.score for fw, t in tallies.items() if t.score > 0 and t.counted}
        merged_keras = (
            "keras" in effective
            and "tensorflow" in effective
            and frozenset(("keras", "tensorflow")) in self.own_pairs
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


def _file_list(group: _Group, limit: int = 3) -> str:
    paths = [path for _, path in group.top[:limit]]
    return ", ".join(paths) + (", ..." if group.files > limit else "")


def _names(group: _Group, limit: int = 4) -> str:
    names = sorted(group.names, key=group.names.__getitem__)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _files(n: int, more: str = "") -> str:
    return f"1 {more}file imports" if n == 1 else f"{n} {more}files import"


def _evidence(framework: str, summary: _Summary) -> list[FrameworkEvidence]:
    rows = []
    for kind in CODE_KINDS + DECLARED_KINDS:
        group = summary.group(kind)
        if group is None:
            continue
        rows.append(
            FrameworkEvidence(
                framework=framework,
                kind=kind,
                files=group.files,
                occurrences=group.occurrences,
                top_files=[path for _, path in group.top[:TOP_FILES]],
            )
        )
    return rows


def describe(framework: str, summary: _Summary) -> list[str]:
    """Short human-readable lines for one framework's evidence."""
    lines = []
    own = summary.own()
    aux = summary.group("import_aux")
    if own.files:
        lines.append(f"{_files(own.files)} {_names(own)} ({_file_list(own)})")
    if aux is not None:
        roles = "/".join(sorted(aux.roles))
        more = "more " if own.files else ""
        lines.append(
            f"{_files(aux.files, more)} {_names(aux)} only in {roles} code "
            f"({_file_list(aux)}): weighted down"
        )
    requirements = summary.group("requirement")
    configs = summary.group("config")
    if requirements is not None:
        verb = "lists" if requirements.files == 1 else "list"
        lines.append(f"{_file_list(requirements)} {verb} {_names(requirements)}")
    if configs is not None:
        lines.append(f"{_file_list(configs)} use{'s' if configs.files == 1 else ''} "
                     f"{_names(configs)}")  # fmt: skip
    return [f"{framework}: {line}" for line in lines]


def decide(hits: list[Hit], order: tuple[str, ...]) -> Verdict:
    """Apply the rule in the module docstring to the hits of one repository."""
    evidence = Evidence()
    evidence.add(hits)
    return evidence.verdict(order)


def _not_counted(framework: str, summary: _Summary) -> str:
    if not summary.has_code:
        where = _file_list(summary.declared())
        return f"{framework} not counted: only declared ({where}), never imported"
    code = summary.code()
    if summary.own_files == 0:
        roles = "/".join(sorted(code.roles))
        return (
            f"{framework} not counted: imported only outside the main code, in {roles} code "
            f"({_file_list(code)})"
        )
    return (
        f"{framework} not counted: {summary.own_files} own file"
        f"{'s' if summary.own_files != 1 else ''} ({_file_list(code)}), "
        "too little next to the primary framework"
    )


def _confidence(summary: _Summary, score: float, total: float) -> float:
    if summary.has_code:
        base = 0.95
    elif summary.group("requirement") is not None:
        base = 0.6
    else:
        base = 0.5
    amount = 1.0 - math.exp(-score / 1.5)
    share = score / total if total > 0 else 0.0
    value = base * (0.55 + 0.45 * amount) * share**0.75
    if summary.has_code and summary.own_files == 0:
        value *= 0.7
    return round(min(max(value, 0.0), 1.0), 3)
