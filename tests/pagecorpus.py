"""A small test corpus for the search page: the seeds plus generated documents.

Fifteen short generated articles (8 English, 7 Dutch) all mention Putin /
Poetin, so the query ``Putin`` has more than one page of hits (10 a page),
and one English document carries ``<script>`` markup in its title and text to
check that the page shows it as text.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SEEDS, build_index

XSS_TITLE = "<script>alert(1)</script> Xylophone concert report"
XSS_TEXT = ("The xylophone concert in Vienna was reviewed by critics. "
            "<script>alert(1)</script> <img src=x onerror=alert(2)> "
            "The orchestra played music from many countries and the hall was full.")

_EN_TOPICS = [
    ("talks in Geneva", "Diplomats met in Geneva to discuss the crisis and a possible ceasefire."),
    ("gas exports", "European ministers discussed gas exports and energy prices this week."),
    ("sanctions package", "The European Union prepared a new package of economic sanctions."),
    ("troops at the border", "Satellite images showed troops and tanks near the border."),
    ("a phone call with Paris",
     "The French president spoke by phone about the security of Europe."),
    ("the grain harvest", "Farmers worried about the grain harvest and rising fertiliser costs."),
    ("state television", "State television broadcast a long speech about history and security."),
    ("the Black Sea fleet", "Naval exercises of the fleet took place in the Black Sea."),
]
_NL_TOPICS = [
    ("overleg in Genève", "Diplomaten kwamen in Genève bijeen om over de crisis te praten."),
    ("de gasprijs", "Europese ministers spraken deze week over de gasprijs en de export van gas."),
    ("nieuwe sancties", "De Europese Unie bereidt een nieuw pakket economische sancties voor."),
    ("troepen bij de grens", "Op satellietbeelden zijn troepen en tanks bij de grens te zien."),
    ("een telefoongesprek", "De Franse president sprak telefonisch over de veiligheid van Europa."),
    ("de graanoogst",
     "Boeren maken zich zorgen over de graanoogst en de hoge kosten van kunstmest."),
    ("de staatstelevisie", "De staatstelevisie zond een lange toespraak over geschiedenis uit."),
]


def generated_documents() -> list[dict]:
    docs = []
    for n, (topic, sentence) in enumerate(_EN_TOPICS, 1):
        docs.append({
            "id": f"gen-en-{n:02d}", "language": "en", "date": f"2022-03-{n:02d}",
            "title": f"Putin and {topic}",
            "text": (f"President Vladimir Putin commented on {topic} on Monday. {sentence} "
                     f"Analysts said the statement was carefully worded. Report number {n} "
                     "of a series on the week's news."),
        })
    for n, (topic, sentence) in enumerate(_NL_TOPICS, 1):
        docs.append({
            "id": f"gen-nl-{n:02d}", "language": "nl", "date": f"2022-03-{n + 10:02d}",
            "title": f"Poetin en {topic}",
            "text": (f"President Vladimir Poetin reageerde maandag op {topic}. {sentence} "
                     f"Volgens deskundigen was de verklaring zorgvuldig geformuleerd. Dit is "
                     f"bericht nummer {n} in een reeks over het nieuws van de week."),
        })
    docs.append({"id": "xss", "language": "en", "date": "2022-03-20", "title": XSS_TITLE,
                 "text": XSS_TEXT})
    return docs


def build_page_index(directory: Path) -> Path:
    """Index the seeds and the generated documents into ``directory/index``."""
    directory.mkdir(parents=True, exist_ok=True)
    extra = directory / "extra.jsonl"
    with extra.open("w", encoding="utf-8") as f:
        for doc in generated_documents():
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return build_index(directory / "index", SEEDS, extra)
