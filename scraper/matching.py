"""Matching aggregator records to papers, and merging paper lists from several sources (pure).

Two jobs:

* :func:`match_records` attaches each :class:`~scraper.models.LinkRecord` (paperlists, Papers
  with Code, arXiv) to at most one :class:`~scraper.models.Paper`: by arXiv id, then the
  source's native id, then the exact normalised title, then a fuzzy title comparison.
* :func:`merge_papers` folds several lists of papers for one venue-year (proceedings,
  OpenReview, paperlists...) into one entry per real paper.

The fuzzy step is a character n-gram TF-IDF cosine (``char_wb``, 3-5 grams), computed in bulk
for all titles at once. A high cosine alone is not enough: titles such as "Attention is not
Explanation" / "Attention is not not Explanation" or "YOLOv2" / "YOLOv3" look alike and are
different papers, so the words that differ must also pair up as spelling variants
("Towards"/"Toward", "Modelling"/"Modeling") with the same digits. A title that differs only by
a subtitle ("UniAD: Planning-oriented Autonomous Driving" vs "Planning-oriented Autonomous
Driving") matches when the shared part is long. Ties are never resolved by guessing.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from difflib import SequenceMatcher

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from scraper.models import LinkRecord, Paper

HOW_ARXIV = "arxiv"
HOW_NATIVE_ID = "native_id"
HOW_TITLE_EXACT = "title-exact"
HOW_TITLE_FUZZY = "title-fuzzy"

TIE_MARGIN = 0.01  # two candidates closer than this are a tie: neither is chosen
_CHUNK = 512  # query rows per similarity block (bounds memory: 512 x n_targets floats)
_IDF_MIN_TITLES = 50  # below this many titles, IDF weights are noise: plain n-gram counts
_SUBTITLE_MIN_WORDS = 3
_SUBTITLE_MIN_CHARS = 30
_VARIANT_RATIO = 0.8
# Words whose presence or absence never makes two titles different papers.
_MINOR_WORDS = frozenset(
    ["a", "an", "the", "of", "for", "and", "on", "in", "with", "to", "via", "by", "from", "at"]
)

# --------------------------------------------------------------------------- normalising

_LATEX_ACCENT = re.compile(r"""\\[`'^"~=.uvHckbdrt]\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))""")
_LATEX_WRAPPER = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|textnormal|text|mathrm|mathbf|"
    r"mathcal|mathit|mathsf|mathbb|mathtt|mathfrak|bm|boldsymbol|operatorname|mbox|hbox)"
    r"\s*\{([^{}]*)\}"
)
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)\s*")
_LATEX_ESCAPE = re.compile(r"\\([&%$#_{}])")
_LATEX_SYMBOLS = {"ell": "l", "times": "x", "ldots": " ", "dots": " ", "cdot": " "}
_HYPHENS = re.compile("[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad]")
_NOT_WORD = re.compile(r"[\W_]+")
_SUBTITLE_SPLIT = re.compile("\\s*(?::|\\s[-\u2013\u2014]\\s)\\s*")
_DIGITS = re.compile(r"\d+")


def normalize_title(title: str) -> str:
    """A title reduced to what identifies it: lower-case words separated by single spaces.

    Undoes HTML entities and LaTeX (``{BERT}``, ``\\emph{x}``, ``\\"o``, ``$\\ell_1$``), folds
    unicode (accents, ligatures, full-width forms; Greek letters become their names, so ``α``
    and ``$\\alpha$`` agree), joins hyphenated words (``Pre-training`` = ``Pretraining``; any
    unicode dash counts), turns ``&`` into ``and`` and every other punctuation mark into a
    space. ``"Towards Real-Time Detection: A {S}urvey"`` -> ``"towards realtime detection a
    survey"``.
    """
    text = html.unescape(title or "")
    text = _latex_to_text(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = "".join(_fold_char(ch) for ch in unicodedata.normalize("NFKD", text))
    text = text.replace("&", " and ")
    text = _HYPHENS.sub("", text)
    text = _NOT_WORD.sub(" ", text.casefold())
    return " ".join(text.split())


def _latex_to_text(text: str) -> str:
    if "\\" not in text and "$" not in text and "{" not in text:
        return text
    text = _LATEX_ESCAPE.sub(r"\1", text)
    text = _LATEX_ACCENT.sub(lambda m: m.group(1) or m.group(2), text)
    for _ in range(3):  # nested wrappers: \textbf{\emph{x}}
        text = _LATEX_WRAPPER.sub(r"\1", text)
    text = _LATEX_COMMAND.sub(lambda m: _LATEX_SYMBOLS.get(m.group(1), m.group(1)), text)
    return re.sub(r"[{}$^_]", "", text)


def _fold_char(ch: str) -> str:
    if unicodedata.combining(ch):
        return ""
    if "\u0370" <= ch <= "\u03ff":  # Greek letter -> its name ("alpha"), as LaTeX writes it
        name = unicodedata.name(ch, "")
        if "LETTER" in name:
            return name.split()[-1].lower()
    return ch


def _subtitle_parts(title: str) -> list[str]:
    """The normalised main title and subtitle(s) when the title has a ':' or ' - ' split."""
    parts = [normalize_title(p) for p in _SUBTITLE_SPLIT.split(html.unescape(title or ""))]
    parts = [p for p in parts if p]
    return parts if len(parts) > 1 else []


def _squash(title: str) -> str:
    """The exact-comparison key: a normalised title without spaces, so that "Transformer-Based"
    (joined to "transformerbased") equals "Transformer Based"."""
    return title.replace(" ", "")


def _long_enough(part: str) -> bool:
    return len(part) >= _SUBTITLE_MIN_CHARS and len(part.split()) >= _SUBTITLE_MIN_WORDS


def _words_compatible(a: str, b: str) -> bool:
    """Whether two normalised titles differ only by spelling variants and minor words.

    Words left over after removing the common ones must pair up one to one as variants
    ("towards"/"toward", "modelling"/"modeling", "graph"/"graphs": same digits, similar
    spelling). Minor words ("a", "the", "of"...) may be left over alone. Anything else ("not",
    "without", "v2" vs "v3") means different papers.
    """
    if _squash(a) == _squash(b):
        return True
    left = _multiset_minus(a.split(), b.split())
    right = _multiset_minus(b.split(), a.split())
    left = [w for w in left if w not in _MINOR_WORDS]
    right = [w for w in right if w not in _MINOR_WORDS]
    if _pair_up(left, right):
        return True
    # A word split or joined differently ("transformerbased" vs "transformer based") next to
    # another variant: compare what is left as one run of letters.
    return bool(left and right) and _is_variant("".join(left), "".join(right))


def _pair_up(left: list[str], right: list[str]) -> bool:
    if len(left) != len(right):
        return False
    unpaired = list(right)
    for word in left:
        partner = next((w for w in unpaired if _is_variant(word, w)), None)
        if partner is None:
            return False
        unpaired.remove(partner)
    return True


def _multiset_minus(words: list[str], other: list[str]) -> list[str]:
    remaining = list(other)
    out: list[str] = []
    for word in words:
        if word in remaining:
            remaining.remove(word)
        else:
            out.append(word)
    return out


def _is_variant(a: str, b: str) -> bool:
    if _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    if min(len(a), len(b)) < 4:
        return False
    return SequenceMatcher(None, a, b).ratio() >= _VARIANT_RATIO


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class _Key:
    """What matching looks at, taken from a Paper or a LinkRecord."""

    arxiv_id: str | None
    native_id: str | None
    title: str  # normalised
    raw_title: str
    venue: str | None
    year: int | None
    # Further ids and normalised titles the same paper is known by (merge_papers: the
    # entries folded into it), looked up exactly like native_id and title.
    other_ids: tuple[str, ...] = ()
    other_titles: tuple[str, ...] = ()


def _key(item: Paper | LinkRecord) -> _Key:
    raw = item.title or ""
    return _Key(
        arxiv_id=_clean_arxiv(item.arxiv_id),
        native_id=(item.native_id or "").strip() or None,
        title=normalize_title(raw),
        raw_title=raw,
        venue=item.venue.lower() if item.venue else None,
        year=item.year,
    )


def _clean_arxiv(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip().lower().removeprefix("arxiv:")
    return re.sub(r"v\d+$", "", text) or None


def _compatible(query: _Key, target: _Key) -> bool:
    """Same venue-year when both say, and no conflicting arXiv ids."""
    if query.venue and target.venue and query.venue != target.venue:
        return False
    if query.year and target.year and query.year != target.year:
        return False
    return not (query.arxiv_id and target.arxiv_id and query.arxiv_id != target.arxiv_id)


# --------------------------------------------------------------------------- matching core


@dataclass(frozen=True)
class _Hit:
    target: int
    how: str
    score: float


class _Index:
    """Exact-lookup tables over the targets."""

    def __init__(self, targets: Sequence[_Key]) -> None:
        self.targets = targets
        self.by_arxiv: dict[str, list[int]] = defaultdict(list)
        self.by_native: dict[str, list[int]] = defaultdict(list)
        self.by_title: dict[str, list[int]] = defaultdict(list)
        self.by_part: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(targets):
            if t.arxiv_id:
                self.by_arxiv[t.arxiv_id].append(i)
            for native in dict.fromkeys((t.native_id, *t.other_ids)):
                if native:
                    self.by_native[native].append(i)
            for title in dict.fromkeys(_squash(x) for x in (t.title, *t.other_titles)):
                if title:
                    self.by_title[title].append(i)
            for part in _subtitle_parts(t.raw_title):
                if _long_enough(part):
                    self.by_part[_squash(part)].append(i)

    def exact(self, query: _Key) -> _Hit | None:
        if query.arxiv_id:
            hit = self._unique(query, self.by_arxiv.get(query.arxiv_id, []), HOW_ARXIV)
            if hit:
                return hit
        if query.native_id:
            hit = self._unique(query, self.by_native.get(query.native_id, []), HOW_NATIVE_ID)
            if hit:
                return hit
        if query.title:
            candidates = self.by_title.get(_squash(query.title), [])
            return self._unique(query, candidates, HOW_TITLE_EXACT)
        return None

    def subtitle(self, query: _Key) -> _Hit | None:
        """A title equal to the other's main title or subtitle (only one side has a split)."""
        found: set[int] = set()
        if query.title and _long_enough(query.title):
            found.update(self.by_part.get(_squash(query.title), []))
        for part in _subtitle_parts(query.raw_title):
            if _long_enough(part):
                found.update(self.by_title.get(_squash(part), []))
        return self._unique(query, sorted(found), HOW_TITLE_FUZZY)

    def _unique(self, query: _Key, candidates: list[int], how: str) -> _Hit | None:
        ok = [i for i in candidates if _compatible(query, self.targets[i])]
        return _Hit(ok[0], how, 1.0) if len(ok) == 1 else None


def _fuzzy(targets: Sequence[_Key], queries: Sequence[_Key], threshold: float) -> dict[int, _Hit]:
    """Best fuzzy target for each query (by position in ``queries``), ties left out."""
    usable_q = [i for i, q in enumerate(queries) if q.title]
    usable_t = [i for i, t in enumerate(targets) if t.title]
    if not usable_q or not usable_t:
        return {}
    corpus = [targets[i].title for i in usable_t] + [queries[i].title for i in usable_q]
    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        lowercase=False,
        use_idf=len(corpus) >= _IDF_MIN_TITLES,
    )
    matrix = vectorizer.fit_transform(corpus)
    t_matrix = matrix[: len(usable_t)]
    q_matrix = matrix[len(usable_t) :]
    out: dict[int, _Hit] = {}
    for start in range(0, len(usable_q), _CHUNK):
        block = (q_matrix[start : start + _CHUNK] @ t_matrix.T).toarray()
        for row, scores in enumerate(block):
            qi = usable_q[start + row]
            hit = _pick(queries[qi], scores, usable_t, targets, threshold)
            if hit:
                out[qi] = hit
    return out


def _pick(
    query: _Key,
    scores: np.ndarray,
    usable_t: list[int],
    targets: Sequence[_Key],
    threshold: float,
) -> _Hit | None:
    order = np.flatnonzero(scores >= threshold)
    passing: list[tuple[float, int]] = []
    for col in order[np.argsort(-scores[order], kind="stable")]:
        ti = usable_t[int(col)]
        target = targets[ti]
        if _compatible(query, target) and _words_compatible(query.title, target.title):
            passing.append((float(scores[col]), ti))
            if len(passing) == 2:
                break
    if not passing:
        return None
    if len(passing) == 2 and passing[0][0] - passing[1][0] < TIE_MARGIN:
        return None
    return _Hit(passing[0][1], HOW_TITLE_FUZZY, passing[0][0])


def _match_keys(
    targets: Sequence[_Key], queries: Sequence[_Key], threshold: float
) -> dict[int, _Hit]:
    index = _Index(targets)
    hits: dict[int, _Hit] = {}
    pending: list[int] = []
    for qi, query in enumerate(queries):
        hit = index.exact(query)
        if hit:
            hits[qi] = hit
        else:
            pending.append(qi)
    fuzzy = _fuzzy(targets, [queries[i] for i in pending], threshold)
    for pos, qi in enumerate(pending):
        hit = fuzzy.get(pos) or index.subtitle(queries[qi])
        if hit:
            hits[qi] = hit
    return hits


# --------------------------------------------------------------------------- public API


def match_records(
    papers: list[Paper], records: list[LinkRecord], threshold: float = 0.9
) -> list[tuple[Paper, LinkRecord, str]]:
    """Attach each record to at most one paper: ``(paper, record, how)`` in record order.

    ``how`` is ``"arxiv"`` (same arXiv id, versions ignored), ``"native_id"`` (same source
    id), ``"title-exact"`` (same :func:`normalize_title`) or ``"title-fuzzy"`` (TF-IDF cosine
    >= ``threshold`` with only spelling-variant word differences, or a title that differs
    only by a subtitle). Each step is tried only when the earlier ones found no single paper;
    several equally good papers mean no match. A record that names a venue/year only matches
    papers of that venue/year, and an arXiv id that contradicts the paper's blocks the title
    steps. A paper may receive any number of records.
    """
    if not papers or not records:
        return []
    hits = _match_keys([_key(p) for p in papers], [_key(r) for r in records], threshold)
    return [(papers[hits[i].target], records[i], hits[i].how) for i in sorted(hits)]


def merge_papers(lists: list[list[Paper]]) -> list[tuple[Paper, list[str]]]:
    """One entry per real paper across several sources' lists, with every source that saw it.

    Lists are folded in order: each paper of a later list is matched (as in
    :func:`match_records`, restricted to the same venue and year) to the papers gathered so
    far, or added as a new one. The kept record is the first list's; fields it leaves empty
    (arXiv id, OpenReview id, PDF, abstract...) are filled from the later sources, and code URLs
    are united. A fuzzy match claims an earlier paper only once per list, so two different
    papers of one list never fold into the same entry by resemblance alone.
    """
    merged: list[Paper] = []
    keys: list[_Key] = []
    seen_by: list[list[str]] = []
    for papers in lists:
        incoming = [_key(p) for p in papers]
        hits = _match_keys(keys, incoming, 0.9) if keys else {}
        hits = _one_fuzzy_claim_per_target(hits)
        for i, paper in enumerate(papers):
            hit = hits.get(i)
            if hit is None:
                merged.append(paper)
                keys.append(incoming[i])
                seen_by.append(_names([], paper.source))
                continue
            merged[hit.target] = _fill_gaps(merged[hit.target], paper)
            keys[hit.target] = _with_alias(_key(merged[hit.target]), keys[hit.target], incoming[i])
            seen_by[hit.target] = _names(seen_by[hit.target], paper.source)
    return list(zip(merged, seen_by, strict=True))


def _with_alias(key: _Key, before: _Key, absorbed: _Key) -> _Key:
    """``key`` that also answers to the ids and titles of what was folded into it."""
    ids = (*before.other_ids, before.native_id, absorbed.native_id, *absorbed.other_ids)
    titles = (*before.other_titles, before.title, absorbed.title)
    return replace(
        key,
        other_ids=tuple(dict.fromkeys(i for i in ids if i and i != key.native_id)),
        other_titles=tuple(dict.fromkeys(t for t in titles if t and t != key.title)),
    )


def _one_fuzzy_claim_per_target(hits: dict[int, _Hit]) -> dict[int, _Hit]:
    best: dict[int, tuple[float, int]] = {}
    for qi, hit in hits.items():
        if hit.how == HOW_TITLE_FUZZY:
            current = best.get(hit.target)
            if current is None or hit.score > current[0]:
                best[hit.target] = (hit.score, qi)
    return {
        qi: hit
        for qi, hit in hits.items()
        if hit.how != HOW_TITLE_FUZZY or best[hit.target][1] == qi
    }


def _names(names: list[str], source: str) -> list[str]:
    name = source or "unknown"
    return names if name in names else [*names, name]


def _fill_gaps(kept: Paper, other: Paper) -> Paper:
    changes: dict[str, object] = {}
    for f in fields(Paper):
        if f.name in ("venue", "year", "native_id", "title", "source", "code_urls"):
            continue
        if getattr(kept, f.name) in (None, "", ()) and getattr(other, f.name) not in (None, "", ()):
            changes[f.name] = getattr(other, f.name)
    extra = tuple(u for u in other.code_urls if u not in kept.code_urls)
    if extra:
        changes["code_urls"] = kept.code_urls + extra
    return replace(kept, **changes) if changes else kept


def match_titles(
    titles: Sequence[str], candidates: Sequence[str], threshold: float = 0.9
) -> list[int | None]:
    """For each title, the position of the candidate that is the same title (exact, fuzzy or
    subtitle, as in :func:`match_records`), or None. Vectorised in bulk."""
    targets = [_Key(None, None, normalize_title(c), c, None, None) for c in candidates]
    queries = [_Key(None, None, normalize_title(t), t, None, None) for t in titles]
    if not targets or not queries:
        return [None] * len(queries)
    hits = _match_keys(targets, queries, threshold)
    return [hits[i].target if i in hits else None for i in range(len(queries))]


def best_title_match(title: str, candidates: Sequence[str], threshold: float = 0.9) -> int | None:
    """Position of the candidate that is the same title as ``title``, or None when none is,
    or two are equally good."""
    return match_titles([title], candidates, threshold)[0]


def map_to_existing(
    existing: list[Paper], new: list[Paper], threshold: float = 0.9
) -> dict[str, tuple[str, str]]:
    """Which newly listed papers are papers already stored (listed by another source).

    Returns ``{new paper_id: (existing paper_id, how)}``. A new paper whose id is already
    stored is the same record (re-listed) and is not in the result. Matching: OpenReview id,
    then :func:`match_records` (arXiv id, exact and fuzzy title within the same venue-year).
    """
    stored = {p.paper_id for p in existing}
    todo = [p for p in new if p.paper_id not in stored]
    if not todo or not existing:
        return {}
    out: dict[str, tuple[str, str]] = {}
    by_openreview = {p.openreview_id: p.paper_id for p in existing if p.openreview_id}
    rest = []
    for paper in todo:
        hit = by_openreview.get(paper.openreview_id) if paper.openreview_id else None
        if hit:
            out[paper.paper_id] = (hit, "openreview_id")
        else:
            rest.append(paper)
    records = [
        LinkRecord(
            source=p.source,
            url="",
            title=p.title,
            arxiv_id=p.arxiv_id,
            native_id=p.paper_id,
            venue=p.venue,
            year=p.year,
        )
        for p in rest
    ]
    taken = {existing_id for existing_id, _ in out.values()}
    for paper, record, how in match_records(existing, records, threshold):
        # one stored paper absorbs at most one new paper; a second claimant stays separate
        if record.native_id and paper.paper_id not in taken:
            taken.add(paper.paper_id)
            out[record.native_id] = (paper.paper_id, how)
    return out
