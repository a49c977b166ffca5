"""A small news corpus in every format, with dates and URLs (tests of articles, time, the page)."""

import json
import shutil
from pathlib import Path

from tests.conftest import CNN, CORPUS, MEDUZA

PAGE = """<!doctype html><html><head><title>NATO chief warns Russia | Example News</title>
<meta property="og:title" content="NATO chief warns Russia over Ukraine">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2022-01-12T14:30:00+01:00">
<meta property="article:section" content="World">
<link rel="canonical" href="https://news.example.com/world/nato-warns">
</head><body><nav>Home | World | Sport | Subscribe</nav>
<article><h1>NATO chief warns Russia over Ukraine</h1>
<p>NATO Secretary General Jens Stoltenberg said on Wednesday that Ukraine's membership was a
matter for Ukraine and the 30 allies.</p>
<p>"Russia has no veto," he told reporters in Brussels after a meeting of the NATO-Russia
Council that lasted four hours.</p>
<p>The talks ended without agreement, and the next meeting has not been scheduled by either side.</p>
</article><footer>Copyright 2022 Example News. Subscribe to our newsletter.</footer></body></html>
"""
RECORDS = [
    {
        "id": "budget-2023",
        "title": "Finance minister unveils budget",
        "text": "The finance minister said on Tuesday that the budget would cut income tax by two percent.\n"
        "Opposition leaders called the plan reckless and said it would widen the deficit.",
        "published": "2023-03-14",
        "url": "https://news.example.com/budget",
        "authors": ["Ann Writer"],
        "section": "Politics",
    },
    {"title": "A record with no text", "published": "2023-03-15"},
    {
        "title": "Harbour reopens after storm",
        "body": "The harbour reopened on Friday after a storm closed it for three days.\n\n"
        "Port officials said 40 ships had waited offshore.",
        "date": "Fri, 17 Mar 2023 09:00:00 GMT",
        "author": "Bo Reporter and Cy Writer",
    },
]
FRONTED = """---
title: Lighthouse keeper retires
published: 2019-07-02
url: https://news.example.com/lighthouse
authors: Dee Writer
section: Local
---
Lighthouse keeper retires

The last keeper of the island lighthouse retired after 41 years of service.
"""


# One wire story run by two outlets: the second a day later, with its own headline and footer.
WIRE = (
    "Engineers reopened the Kessel river bridge on Monday after it had been closed for eleven weeks.\n"
    "The regional transport authority said repairs to the main span cost 3.2 million euros and were "
    "finished two weeks ahead of schedule.\n"
    "Around 18,000 vehicles crossed the bridge each day before a crack was found in a steel girder in "
    "January, forcing drivers onto a detour of more than forty kilometres.\n"
    "Local businesses said the closure had cut their takings by a third over the winter months."
)
WIRE_COPIES = {
    "wire/first.json": {"title": "Kessel bridge reopens", "text": WIRE, "published": "2023-02-01"},
    "wire/reprint.json": {
        "title": "Bridge back in use after repairs",
        "text": WIRE + "\nReporting by the Regional Press Agency.",
        "published": "2023-02-02",
    },
}


def write_corpus(corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    for source in (MEDUZA, CNN):
        shutil.copy(CORPUS / source, corpus / source)
    (corpus / "web").mkdir()
    (corpus / "web" / "nato.html").write_text(PAGE, encoding="utf-8")
    (corpus / "archive.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    museum = {
        "title": "Museum buys painting",
        "content": "The city museum bought the painting for two million pounds, its director said.",
        "published": "2021-06-01T10:00:00Z",
        "url": "javascript:alert(1)",
    }
    (corpus / "museum.json").write_text(json.dumps(museum), encoding="utf-8")
    (corpus / "lighthouse.txt").write_text(FRONTED, encoding="utf-8")
    (corpus / "wire").mkdir()
    for source, record in WIRE_COPIES.items():
        (corpus / source).write_text(json.dumps(record), encoding="utf-8")
