"""Language detection on short items: accuracy per length, and what is refused.

Items are made from the FLORES-200 devtest sentences (nld_Latn / eng_Latn, 1,012
aligned lines each, read from TOLK_PARALLEL_DIR or ../shared/data; never copied
into the repo): the first 1, 2, 3 and 5 words, headline-like items (the first
clause cut to at most 6 words, without its final punctuation; the first 4 words
in Title Case, as English headlines are written) and whole sentences.

Two conditions: an empty index (model, stopwords, dictionary headwords only), and
an index of other text: the vocabulary of the *other* half of FLORES (items from
lines 0-505 are decided with the vocabulary of lines 506-1011 and the other way
round), so no sentence is decided with its own words in the index.

Then the refusal rule: German, French, Spanish and Afrikaans sentences written
for this benchmark, whole and cut to 3, 5 and 8 words: how many are refused as
another language (at length they should be; short ones should not).

    .venv/bin/python bench/language_accuracy.py
    .venv/bin/python bench/language_accuracy.py --benchmarks BENCHMARKS.md   # also its section there
    .venv/bin/python bench/language_accuracy.py --flores /path/to/flores200_devtest_nl_en
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.ingest.language import (LanguageError, LanguageOptions,  # noqa: E402
                                   detect_language)
from index.ingest.language_evidence import Vocabulary  # noqa: E402

DEFAULT_FLORES = ROOT.parent / "shared" / "data" / "flores200_devtest_nl_en"

# Written for this benchmark (not from any corpus): news-like sentences.
FOREIGN = {
    "de": [
        "Die Bundesregierung hat am Dienstag beschlossen, die Hilfen für die Kommunen deutlich zu erhöhen.",
        "Nach dem schweren Unwetter sind in mehreren Dörfern die Keller vollgelaufen und Straßen gesperrt.",
        "Der Bürgermeister kündigte an, dass die neue Brücke erst im kommenden Frühjahr fertig wird.",
        "Viele Pendler mussten heute Morgen wegen eines Streiks bei der Bahn auf das Auto umsteigen.",
        "Die Polizei sucht weiterhin nach Zeugen, die den Unfall auf der Autobahn beobachtet haben.",
        "Im Finale setzte sich die Mannschaft nach Verlängerung mit zwei zu eins gegen den Titelverteidiger durch.",
        "Die Preise für Lebensmittel sind im vergangenen Monat so stark gestiegen wie seit Jahren nicht.",
        "Wissenschaftler warnen, dass die Gletscher in den Alpen schneller schmelzen als bisher angenommen.",
        "Der Konzern will bis zum Ende des Jahres rund tausend Stellen in der Verwaltung abbauen.",
        "Nach langen Verhandlungen haben sich die Parteien auf einen gemeinsamen Haushalt geeinigt.",
    ],
    "fr": [
        "Le gouvernement a annoncé mardi une hausse importante des aides destinées aux communes rurales.",
        "Après les violents orages, plusieurs villages sont privés d'électricité depuis dimanche soir.",
        "Le maire a expliqué que le nouveau pont ne sera pas terminé avant le printemps prochain.",
        "De nombreux usagers ont dû prendre leur voiture ce matin à cause d'une grève des cheminots.",
        "La police recherche toujours des témoins de l'accident survenu sur l'autoroute vendredi.",
        "En finale, l'équipe s'est imposée deux buts à un après prolongation face au tenant du titre.",
        "Les prix de l'alimentation ont augmenté le mois dernier plus vite que depuis des années.",
        "Des chercheurs avertissent que les glaciers des Alpes fondent plus vite que prévu.",
        "Le groupe compte supprimer environ mille postes administratifs d'ici la fin de l'année.",
        "Après de longues négociations, les partis se sont mis d'accord sur un budget commun.",
    ],
    "es": [
        "El Gobierno anunció el martes un aumento importante de las ayudas para los municipios rurales.",
        "Tras las fuertes tormentas, varios pueblos siguen sin electricidad desde el domingo por la noche.",
        "El alcalde explicó que el nuevo puente no estará terminado antes de la próxima primavera.",
        "Muchos viajeros tuvieron que usar el coche esta mañana por una huelga de los trenes.",
        "La policía sigue buscando testigos del accidente ocurrido el viernes en la autopista.",
        "En la final, el equipo ganó dos a uno en la prórroga contra el vigente campeón.",
        "Los precios de los alimentos subieron el mes pasado más rápido que en muchos años.",
        "Los científicos advierten que los glaciares de los Alpes se derriten más rápido de lo previsto.",
        "La empresa quiere eliminar unos mil puestos administrativos antes de que termine el año.",
        "Después de largas negociaciones, los partidos acordaron un presupuesto común.",
    ],
    "af": [
        "Die regering het Dinsdag aangekondig dat die steun aan plattelandse munisipaliteite verhoog word.",
        "Ná die hewige storms is verskeie dorpe sedert Sondagaand sonder elektrisiteit.",
        "Die burgemeester het gesê die nuwe brug sal nie voor die volgende lente klaar wees nie.",
        "Baie pendelaars moes vanoggend met hul motors ry weens 'n staking by die spoorweë.",
        "Die polisie soek steeds getuies van die ongeluk wat Vrydag op die snelweg gebeur het.",
        "In die eindstryd het die span met twee teen een in ekstra tyd teen die titelhouers gewen.",
        "Voedselpryse het verlede maand vinniger gestyg as in baie jare.",
        "Wetenskaplikes waarsku dat die gletsers in die Alpe vinniger smelt as wat verwag is.",
        "Die maatskappy wil teen die einde van die jaar sowat duisend administratiewe poste skrap.",
        "Ná lang onderhandelinge het die partye ooreengekom oor 'n gemeenskaplike begroting.",
    ],
}

_WORD_SPLIT = re.compile(r"\s+")
_CLAUSE_END = re.compile(r"[,;:]")
_TRAILING = re.compile(r"[^\w)]+$")


def first_words(line: str, n: int) -> str:
    return " ".join(_WORD_SPLIT.split(line.strip())[:n])


def headline(line: str) -> str:
    """The first clause, at most 6 words, without final punctuation."""
    clause = _CLAUSE_END.split(line.strip(), maxsplit=1)[0]
    return _TRAILING.sub("", first_words(clause, 6))


def title_case(line: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in first_words(line, 4).split())


KINDS = {
    "1 word": lambda s: first_words(s, 1),
    "2 words": lambda s: first_words(s, 2),
    "3 words": lambda s: first_words(s, 3),
    "5 words": lambda s: first_words(s, 5),
    "headline (clause, <= 6 words)": headline,
    "Title Case (4 words)": title_case,
    "whole sentence": lambda s: s,
}


def read_flores(folder: Path) -> dict[str, list[str]]:
    return {lang: (folder / f"{code}.devtest").read_text("utf-8").splitlines()
            for lang, code in (("nl", "nld_Latn"), ("en", "eng_Latn"))}


def evaluate(lines: dict[str, list[str]], with_vocabulary: bool, default: str | None = None):
    """``{kind: {lang: (right, total, low_confidence, right_among_confident)}}``."""
    n = len(lines["nl"])
    half = n // 2
    folds = [(range(0, half), range(half, n)), (range(half, n), range(0, half))]
    results = {kind: {lang: [0, 0, 0, 0] for lang in ("nl", "en")} for kind in KINDS}
    for test_rows, vocab_rows in folds:
        vocabulary = None
        if with_vocabulary:
            vocabulary = Vocabulary.from_texts({lang: [lines[lang][i] for i in vocab_rows]
                                                for lang in ("nl", "en")})
        options = LanguageOptions(vocabulary=vocabulary, default=default)
        for kind, make in KINDS.items():
            for lang in ("nl", "en"):
                cell = results[kind][lang]
                for i in test_rows:
                    item = make(lines[lang][i])
                    try:
                        detection = detect_language(item, options)
                    except LanguageError:
                        cell[1] += 1  # refused counts as wrong
                        continue
                    right = detection.language == lang
                    cell[0] += right
                    cell[1] += 1
                    cell[2] += detection.low_confidence
                    cell[3] += right and not detection.low_confidence
    return results


def baselines(lines: dict[str, list[str]]) -> dict[str, dict[str, tuple[int, int]]]:
    """``{kind: {baseline: (right, total)}}`` for the model alone, the two ways.

    "all languages": py3langid over all its languages, right when the item's language
    is first with probability >= 0.5 (the rule before issue 12, without its
    function-word rescue). "nl/en model": the sign of the model's nl/en ratio only.
    """
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from index.ingest import language

    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    out = {}
    for kind, make in KINDS.items():
        old = restricted = total = 0
        for lang in ("nl", "en"):
            for line in lines[lang]:
                item = make(line)
                top, prob = full.rank(item)[0]
                old += top == lang and prob >= 0.5
                llr = language._model(language._sample(item)).nl_en_llr
                restricted += (llr > 0) == (lang == "nl")
                total += 1
        out[kind] = {"all languages": (old, total), "nl/en model": (restricted, total)}
    return out


def refusals(options: LanguageOptions):
    """``{lang: {cut: (refused, total)}}`` for the foreign sentences, and the messages."""
    cuts = {"3 words": 3, "5 words": 5, "8 words": 8, "whole": None}
    table = {}
    for lang, sentences in FOREIGN.items():
        row = {}
        for name, n in cuts.items():
            refused = 0
            for sentence in sentences:
                item = first_words(sentence, n) if n else sentence
                try:
                    detect_language(item, options)
                except LanguageError:
                    refused += 1
            row[name] = (refused, len(sentences))
        table[lang] = row
    return table


def flores_refused(lines: dict[str, list[str]], options: LanguageOptions) -> dict[str, int]:
    """Dutch/English FLORES openings of 8 words and whole sentences refused (should be 0)."""
    out = {}
    for lang in ("nl", "en"):
        count = 0
        for line in lines[lang]:
            for item in (first_words(line, 8), line):
                try:
                    detect_language(item, options)
                except LanguageError:
                    count += 1
        out[lang] = count
    return out


def pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f} %" if b else "-"


SECTION_BEGIN = ("<!-- language accuracy: begin (written by "
                 "`bench/language_accuracy.py --benchmarks`) -->")
SECTION_END = "<!-- language accuracy: end -->"


def marked_section(text: str) -> str:
    """This benchmark's section in ``text`` (markers included), or ''."""
    start, end = text.find(SECTION_BEGIN), text.find(SECTION_END)
    if start < 0 or end < start:
        return ""
    return text[start:end + len(SECTION_END)] + "\n"


def report(lines: dict[str, list[str]]) -> list[str]:
    """The markdown report: accuracy tables, refusals, calibration."""
    out = [f"FLORES-200 devtest: {len(lines['nl']):,} aligned sentences per language; an item "
           "counts as right when it gets its language (a refusal counts as wrong). "
           "\"low confidence\" items are those below `LOW_CONFIDENCE` (0.9), which "
           "`TOLK_DEFAULT_LANGUAGE` would decide.", ""]
    for title, with_vocab in (("empty index", False),
                              ("index of the other half of FLORES (506 documents a language)",
                               True)):
        results = evaluate(lines, with_vocab)
        if not with_vocab:
            tolk_empty = results
        out += [f"Accuracy, {title}:", "",
                "| item | nl | en | nl+en | low confidence (nl+en) | accuracy when not low |",
                "|---|---:|---:|---:|---:|---:|"]
        for kind, cells in results.items():
            nl, en = cells["nl"], cells["en"]
            right, total = nl[0] + en[0], nl[1] + en[1]
            low = nl[2] + en[2]
            out.append(f"| {kind} | {pct(nl[0], nl[1])} | {pct(en[0], en[1])} | "
                       f"{pct(right, total)} | {pct(low, total)} | "
                       f"{pct(nl[3] + en[3], total - low)} |")
        out.append("")
    base = baselines(lines)
    out += ["The model alone, for comparison (nl+en, empty index): py3langid over all its "
            "languages as before (right when the item's language is first with probability "
            ">= 0.5), and its nl/en ratio alone (no word evidence):", "",
            "| item | all languages (before) | nl/en model alone | Tolk, empty index |",
            "|---|---:|---:|---:|"]
    for kind, row in base.items():
        mine = tolk_empty[kind]
        right = mine["nl"][0] + mine["en"][0]
        total = mine["nl"][1] + mine["en"][1]
        out.append(f"| {kind} | {pct(*row['all languages'])} | {pct(*row['nl/en model'])} | "
                   f"{pct(right, total)} |")
    out.append("")
    options = LanguageOptions()
    table = refusals(options)
    cuts = list(next(iter(table.values())))
    out += ["Refused as another language (sentences written for the benchmark, 10 a language, "
            "cut to their first words; empty index):", "",
            "| language | " + " | ".join(cuts) + " |", "|---|" + "---:|" * len(cuts)]
    for lang, row in table.items():
        out.append(f"| {lang} | " + " | ".join(f"{r}/{t}" for r, t in row.values()) + " |")
    refused = flores_refused(lines, options)
    out += ["", f"FLORES Dutch and English refused as another language (8-word openings and "
            f"whole sentences, {2 * len(lines['nl']):,} items a language): nl {refused['nl']}, "
            f"en {refused['en']}."]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flores", type=Path,
                        default=Path(os.environ.get("TOLK_PARALLEL_DIR") or DEFAULT_FLORES))
    parser.add_argument("--benchmarks", type=Path, metavar="FILE",
                        help="also write the report as its own section of FILE (BENCHMARKS.md)")
    args = parser.parse_args(argv)
    if not (args.flores / "nld_Latn.devtest").exists():
        print(f"no FLORES files in {args.flores}; pass --flores DIR", file=sys.stderr)
        return 2
    lines = read_flores(args.flores)
    start = time.perf_counter()
    detect_language("warm up the model")
    body = report(lines)
    print("\n".join(body))
    print(f"\n({time.perf_counter() - start:.0f} s)")
    if args.benchmarks:
        import platform
        from datetime import datetime, timezone

        sha = os.popen(f"git -C {ROOT} rev-parse --short HEAD 2>/dev/null").read().strip()
        section = "\n".join([
            SECTION_BEGIN, "## Language of short items (`bench/language_accuracy.py`)", "",
            f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC (git {sha or '?'})",
            "- Command: `.venv/bin/python bench/language_accuracy.py --benchmarks BENCHMARKS.md`",
            f"- Machine: {os.cpu_count()} cores, Python {platform.python_version()}", "",
            *body, SECTION_END]) + "\n"
        text = args.benchmarks.read_text("utf-8") if args.benchmarks.exists() else "# Benchmarks\n"
        old = marked_section(text)
        text = text.replace(old, section) if old else text.rstrip("\n") + "\n\n" + section
        args.benchmarks.write_text(text, "utf-8")
        print(f"wrote the language section of {args.benchmarks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
