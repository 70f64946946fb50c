"""Messages → campaigns: near-duplicate text (MinHash LSH) joined with shared landing pages.

Two messages are one campaign when their normalised texts' estimated Jaccard similarity is
at least `SIMILARITY`, or when they advertise the same landing page (host and path, see
`features._join_key`); the relation is closed transitively with union-find. A landing page
that would join more than `MAX_JOIN_GROUPS` different templates is infrastructure many
senders share (a list server's footer link, a hosting front page), not one campaign's
offer: it joins nothing and is listed in `shared_pages` (its domain still links campaigns
in the graph).

Cost stays near-linear: each message queries the LSH index (a bounded number of bucket
look-ups) and is compared with the candidates it returns; a message that is a near-copy
(`COVERED`) of a message already indexed is not indexed itself, so the index holds one
entry per distinct variant, not per copy, and a 10,000-copy campaign costs 10,000 look-ups
rather than 50 million comparisons. Exact copies of one normalised text share one entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from checker.campaigns.features import NUM_PERM, SCHEME, MessageFacts

SIMILARITY = 0.5  # estimated Jaccard of 4-word shingles: one template
COVERED = 0.9  # so close to an indexed message that indexing this one adds nothing
MAX_CANDIDATES = 200  # candidates compared per message (bucket floods are cut here)
MEDOID_SAMPLE = 200  # members compared when choosing a campaign's medoid
MAX_JOIN_GROUPS = 8  # templates one landing page may join


class UnionFind:
    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the earlier message stays the root


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHash signatures."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


@dataclass
class Grouping:
    """Incremental grouping: `add(facts)` per message, then `groups()`."""

    def __post_init__(self) -> None:
        from datasketch import MinHashLSH

        self.sets = UnionFind()
        self.lsh = MinHashLSH(threshold=SIMILARITY, num_perm=NUM_PERM)
        self.indexed: dict[int, np.ndarray] = {}  # message index → signature (indexed ones)
        self.by_text: dict[str, int] = {}  # normalised text digest → first message
        self.pages: dict[str, list[int]] = {}  # landing page join key → messages
        self.shared_pages: dict[str, int] = {}  # pages that joined nothing: templates
        self.comparisons = 0

    def add(self, facts: MessageFacts | None) -> int:
        """Place one message (None: not audited, a campaign of its own); returns its index."""
        index = self.sets.add()
        if facts is None:
            return index
        for key in facts.join_keys:
            self.pages.setdefault(key, []).append(index)
        if facts.signature is None:
            return index
        first = self.by_text.setdefault(facts.text_key, index)
        if first != index:  # the same normalised text: nothing new to index
            self.sets.union(first, index)
            return index
        self._place(index, facts.signature)
        return index

    def _place(self, index: int, values: bytes) -> None:
        from datasketch import LeanMinHash, MinHash

        signature = np.frombuffer(values, dtype=np.uint64)
        minhash = LeanMinHash(MinHash(num_perm=NUM_PERM, hashvalues=signature, scheme=SCHEME))
        best = 0.0
        for key in list(self.lsh.query(minhash))[:MAX_CANDIDATES]:
            self.comparisons += 1
            score = similarity(signature, self.indexed[key])
            if score >= SIMILARITY:
                self.sets.union(key, index)
                best = max(best, score)
        if best < COVERED:
            self.lsh.insert(index, minhash)
            self.indexed[index] = signature

    def _join_pages(self) -> None:
        """Join the templates that share a landing page (once, after the text grouping)."""
        for key, indexes in self.pages.items():
            templates = {self.sets.find(i) for i in indexes}
            if len(templates) > MAX_JOIN_GROUPS:
                self.shared_pages[key] = len(templates)
                continue
            for index in indexes[1:]:
                self.sets.union(indexes[0], index)
        self.pages = {}

    def groups(self) -> dict[int, list[int]]:
        """Root → member indexes (in input order)."""
        self._join_pages()
        found: dict[int, list[int]] = {}
        for index in range(len(self.sets.parent)):
            found.setdefault(self.sets.find(index), []).append(index)
        return found


def medoid(members: list[int], signatures: dict[int, bytes | None]) -> int:
    """The member most similar on average to the others (estimated Jaccard), over an
    evenly spaced sample of at most MEDOID_SAMPLE members; ties go to the earliest.
    Members without text are skipped unless every member lacks it."""
    with_text = [m for m in members if signatures.get(m) is not None]
    if len(with_text) <= 2:
        return (with_text or members)[0]
    step = max(1, len(with_text) // MEDOID_SAMPLE)
    sample = with_text[::step][:MEDOID_SAMPLE]
    matrix = np.stack([np.frombuffer(signatures[m], dtype=np.uint64) for m in sample])
    scores = [(np.count_nonzero(matrix == matrix[i], axis=1).sum(), -i)
              for i in range(len(sample))]
    return sample[-max(scores)[1]]


def group(facts: Iterable[MessageFacts | None]) -> dict[int, list[int]]:
    grouping = Grouping()
    for item in facts:
        grouping.add(item)
    return grouping.groups()
