"""Structured synonym sets: several terms scored as ONE pseudo-term.

A query word and its cross-language counterparts (``Putin`` -> putin,
poetin) form one ``SynonymQuery``. Like Lucene's SynonymQuery and Pirkola's
structured queries, a document's term frequency is the sum of its members'
frequencies (each weighted by the confidence of its link) and the document
frequency is the maximum over the members. So a word with ten translations
counts once, not ten times, against the rest of the query.

A member may be a phrase, its words joined by one space (``prime minist``, the
stems of "prime minister" linked from Dutch ``premier``): it matches where its
words stand at consecutive positions, and its term frequency in a document is
the number of times the phrase occurs there (``index.scoring.vectorphrase``).

The IDF is not computed here: the search module sets ``idf`` from statistics
over both language indexes, which makes scores comparable across them.
"""

from __future__ import annotations

from whoosh import matching
from whoosh.query import Query

from index.scoring.bm25 import K1, B, bm25
from index.scoring.vectorphrase import phrase_frequencies


def member_doc_frequency(reader, fieldname: str, text: str) -> int:
    """Documents holding one member: a term's document frequency, or for a phrase
    member (words joined by a space) the documents where the phrase occurs."""
    if " " not in text:
        return reader.doc_frequency(fieldname, text)
    words = text.split()
    return sum(len(phrase_frequencies(leaf, fieldname, words)[0])
               for leaf, _ in reader.leaf_readers())


class SynonymQuery(Query):
    """Match documents containing any of ``terms`` (``{text: weight}``) in ``fieldname``."""

    def __init__(self, fieldname: str, terms: dict[str, float], boost: float = 1.0,
                 idf: float = 1.0, key=None):
        self.fieldname = fieldname
        self.terms_weights = dict(terms)
        self.boost = boost
        self.idf = idf
        self.key = key  # which query word this set stands for

    def __repr__(self):
        return f"SynonymQuery({self.fieldname!r}, {self.terms_weights!r}, boost={self.boost})"

    def __eq__(self, other):
        return (type(self) is type(other) and self.fieldname == other.fieldname
                and self.terms_weights == other.terms_weights and self.boost == other.boost)

    def __hash__(self):
        return hash((self.fieldname, tuple(sorted(self.terms_weights)), self.boost))

    def is_leaf(self):
        return True

    def terms(self, phrases=False):
        for text in self.terms_weights:
            yield (self.fieldname, text)

    def has_terms(self):
        return True

    def doc_freq(self, reader) -> int:
        """Document frequency of the set in one index: max over its members."""
        return max((member_doc_frequency(reader, self.fieldname, t) for t in self.terms_weights),
                   default=0)

    def estimate_size(self, reader):
        return sum(reader.doc_frequency(self.fieldname, t) for t in self.terms_weights)

    def normalize(self):
        return self

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        children = []
        for text, weight in self.terms_weights.items():
            if " " in text:
                ids, tfs = phrase_frequencies(reader, self.fieldname, text.split())
                if len(ids):
                    children.append((matching.ListMatcher(ids.tolist(), all_weights=None,
                                                          weights=tfs.tolist()), weight, text))
            elif (self.fieldname, text) in reader:
                children.append((reader.postings(self.fieldname, text), weight, text))
        if not children:
            return matching.NullMatcher()
        # The whole index's average, not this segment's (as Whoosh's BM25F does): scores
        # must not depend on how the index happens to be split into segments.
        avg_length = searcher.get_parent().avg_field_length(self.fieldname) or 1.0
        field_length = reader.doc_field_length
        fieldname, idf_value, boost = self.fieldname, self.idf, self.boost

        def score(tf: float, docnum: int) -> float:
            length = field_length(docnum, fieldname, 1)
            return boost * bm25(tf, idf_value, length, avg_length, K1, B)

        return SynonymMatcher(children, score, fieldname)


class SynonymMatcher(matching.Matcher):
    """Union of term matchers whose weighted frequencies add up to one score."""

    def __init__(self, children, score, fieldname):
        self._children = children  # [(matcher, weight, text)]
        self._score = score
        self._fieldname = fieldname
        self._id = None
        self._find_id()

    def _find_id(self):
        ids = [m.id() for m, _, _ in self._children if m.is_active()]
        self._id = min(ids) if ids else None

    def is_active(self):
        return self._id is not None

    def id(self):
        return self._id

    def next(self):
        current = self._id
        for m, _, _ in self._children:
            if m.is_active() and m.id() == current:
                m.next()
        self._find_id()

    def skip_to(self, target):
        for m, _, _ in self._children:
            if m.is_active() and m.id() < target:
                m.skip_to(target)
        self._find_id()

    def weight(self):
        current = self._id
        return sum(w * m.weight() for m, w, _ in self._children
                   if m.is_active() and m.id() == current)

    def score(self):
        return self._score(self.weight(), self._id)

    def supports(self, astype):
        return False

    def supports_block_quality(self):
        return False

    def max_quality(self):
        return float("inf")

    def matching_terms(self, id=None):
        current = self._id if id is None else id
        for m, _, text in self._children:
            if m.is_active() and m.id() == current:
                yield (self._fieldname, text)

    def term_matchers(self):
        for m, _, _ in self._children:
            yield from m.term_matchers()

    def children(self):
        return [m for m, _, _ in self._children]

    def copy(self):
        return SynonymMatcher([(m.copy(), w, t) for m, w, t in self._children],
                              self._score, self._fieldname)

    def replace(self, minquality=0):
        if not self.is_active():
            return matching.NullMatcher()
        return self

    def all_ids(self):
        while self.is_active():
            yield self.id()
            self.next()

    def depth(self):
        return 1
