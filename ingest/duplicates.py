"""Near-duplicate articles: the same wire story in several outlets, a page fetched again with a
changed footer. Found when ingest builds an index generation, answered once.

Each article's text is cut into overlapping five-word shingles and summarised by a MinHash;
locality-sensitive hashing (datasketch) finds the pairs whose estimated Jaccard similarity is
at least SIMILAR, without comparing every pair. Copies form groups; a group's canonical article
is the earliest published (then the first by name), and the others are its copies: retrieval
answers from the canonical one and each citation lists the copies.
"""

import re
from collections.abc import Iterable

SIMILAR = 0.8
PERMUTATIONS = 64
SHINGLE_WORDS = 5
WORD = re.compile(r"\w+")


def shingles(text: str) -> list[bytes]:
    words = WORD.findall(text.lower())
    count = max(1, len(words) - SHINGLE_WORDS + 1)
    return list({" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(count)})


def canonical_copies(articles: Iterable[tuple[str, int, str]]) -> dict[str, str]:
    """For (source, published_day, text) of every article, each article that has copies mapped
    to its group's canonical source (the canonical one to itself); articles with none are absent."""
    # Imported here: datasketch brings scipy (0.7 s), which services that only open an index skip.
    from datasketch import MinHash, MinHashLSH

    signatures: dict[str, MinHash] = {}
    dated: dict[str, int] = {}
    lsh = MinHashLSH(threshold=SIMILAR, num_perm=PERMUTATIONS)
    for source, day, text in articles:
        words = shingles(text)
        if not words[0]:
            continue
        signature = MinHash(num_perm=PERMUTATIONS, seed=1)
        signature.update_batch(words)
        signatures[source], dated[source] = signature, day
        lsh.insert(source, signature)
    parent = {source: source for source in signatures}

    def root(source: str) -> str:
        while parent[source] != source:
            parent[source] = parent[parent[source]]
            source = parent[source]
        return source

    for source, signature in signatures.items():
        for other in lsh.query(signature):
            # LSH finds likely pairs; the estimate decides.
            if other != source and signature.jaccard(signatures[other]) >= SIMILAR:
                parent[root(other)] = root(source)
    groups: dict[str, list[str]] = {}
    for source in signatures:
        groups.setdefault(root(source), []).append(source)
    found: dict[str, str] = {}
    for members in groups.values():
        if len(members) > 1:
            # The earliest published is the original; an undated one counts as the latest.
            first = min(members, key=lambda s: (dated[s] or 99999999, s))
            found |= {member: first for member in members}
    return found
