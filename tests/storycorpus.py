"""A small bilingual corpus for similar articles and story grouping (written for Tolk).

Four stories told in Dutch and in English (translations of each other), one of
them also by a second English source (a near-duplicate in other words), and
unrelated articles in both languages. Ids: ``<story>-<lang>[-<source>]``.
"""

from __future__ import annotations

from index.ingest.documents import Document

STORIES = [
    ("bridge-nl", "nl", "Brug in Rotterdam weken dicht voor onderhoud",
     "De Van Brienenoordbrug in Rotterdam gaat vanaf maandag zes weken dicht voor groot "
     "onderhoud. Automobilisten moeten rekening houden met lange files en worden omgeleid "
     "via de Algeracorridor. Rijkswaterstaat vervangt de voegovergangen van de brug.",
     "2024-05-02", "NOS"),
    ("bridge-en", "en", "Rotterdam bridge closed for weeks of maintenance",
     "The Van Brienenoord bridge in Rotterdam will close for six weeks from Monday for "
     "major maintenance. Drivers should expect long traffic jams and will be diverted via "
     "the Algera corridor. The road authority is replacing the bridge's expansion joints.",
     "2024-05-02", "DutchNews"),
    ("bridge-en-wire", "en", "Major Rotterdam bridge shuts for six weeks",
     "Motorists face long delays as the Van Brienenoord bridge in Rotterdam shuts for six "
     "weeks of maintenance starting Monday, with traffic sent through the Algera corridor "
     "while its expansion joints are replaced.",
     "2024-05-02", "Wire"),
    ("vaccine-nl", "nl", "Nieuw vaccin tegen malaria goedgekeurd",
     "De Wereldgezondheidsorganisatie heeft een tweede vaccin tegen malaria goedgekeurd. "
     "Het vaccin is goedkoper te maken dan het eerste en kan volgens onderzoekers elk jaar "
     "tienduizenden levens van kinderen in Afrika redden.",
     "2024-05-03", "NOS"),
    ("vaccine-en", "en", "New malaria vaccine approved",
     "The World Health Organization has approved a second vaccine against malaria. The "
     "vaccine is cheaper to make than the first one and, according to researchers, could "
     "save tens of thousands of children's lives in Africa every year.",
     "2024-05-03", "DutchNews"),
    ("farmers-nl", "nl", "Boeren protesteren met trekkers in Den Haag",
     "Honderden boeren zijn woensdag met hun trekkers naar Den Haag gereden om te "
     "protesteren tegen de nieuwe stikstofregels. De politie sloot enkele snelwegen af en "
     "er ontstonden lange files rond de stad.",
     "2024-05-04", "NOS"),
    ("farmers-en", "en", "Farmers protest with tractors in The Hague",
     "Hundreds of farmers drove their tractors to The Hague on Wednesday to protest against "
     "the new nitrogen rules. Police closed several motorways and long traffic jams formed "
     "around the city.",
     "2024-05-04", "DutchNews"),
    ("eclipse-nl", "nl", "Zonsverduistering trekt duizenden kijkers",
     "Duizenden mensen keken maandag in Noord-Amerika naar een totale zonsverduistering. "
     "Op sommige plaatsen werd het midden op de dag enkele minuten helemaal donker.",
     "2024-04-08", "NOS"),
    ("eclipse-en", "en", "Solar eclipse draws thousands of viewers",
     "Thousands of people in North America watched a total solar eclipse on Monday. In "
     "some places it became completely dark for a few minutes in the middle of the day.",
     "2024-04-08", "DutchNews"),
    ("chess-nl", "nl", "Schaakkampioen wint toernooi in Wijk aan Zee",
     "Een jonge grootmeester uit India heeft het schaaktoernooi in Wijk aan Zee gewonnen "
     "na een spannende laatste ronde tegen de titelverdediger.",
     "2024-01-28", "NOS"),
    ("bakery-en", "en", "Village bakery celebrates hundred years",
     "A family bakery in a small village in Yorkshire celebrated its hundredth anniversary "
     "with free bread for every customer on Saturday.",
     "2024-03-16", "Wire"),
]


def story_documents() -> list[Document]:
    return [Document(id=i, language=lang, language_confidence=1.0, title=title, text=text,
                     original=text, date=date, source=source)
            for i, lang, title, text, date, source in STORIES]


def story_records() -> list[dict]:
    """The same documents as API / JSONL records."""
    return [{"id": i, "language": lang, "title": title, "text": text, "date": date,
             "source": source} for i, lang, title, text, date, source in STORIES]
