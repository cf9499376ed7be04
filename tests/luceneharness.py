"""Run Tolk's generated OpenSearch analysis settings through Lucene's own code.

OpenSearch builds its analyzers from Lucene's factories; this module does the
same translation for the filter types ``index.backends.opensearch.analysis``
uses (OpenSearch type and parameter names -> Lucene SPI names and arguments,
inline word lists -> files), starts ``tests/lucene/AnalyzeTokens.java`` once
with Debian's ``liblucene8-java`` jars, and sends it many texts over a pipe.
An unknown filter type raises, so a new filter in the settings cannot go
unchecked. :func:`agreement` compares the result with Tolk's analyzer.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections import Counter
from functools import lru_cache
from pathlib import Path

HARNESS = Path(__file__).parent / "lucene" / "AnalyzeTokens.java"
JAR_GLOBS = ("/usr/share/java/lucene-core-*.jar", "/usr/share/java/lucene-analyzers-common-*.jar")


def lucene_classpath() -> str | None:
    """The jars of Debian's liblucene8-java, or None if it (or a JDK) is missing.

    ``java AnalyzeTokens.java`` compiles in memory, so it needs the JDK's compiler.
    """
    jars = []
    for pattern in JAR_GLOBS:
        found = sorted(glob.glob(pattern))
        if not found:
            return None
        jars.append(found[-1])
    if shutil.which("java") is None or shutil.which("javac") is None:
        return None
    return os.pathsep.join(jars)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", " ")


def _unesc(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            i += 1
            ch = {"t": "\t", "n": "\n"}.get(text[i], text[i])
        out.append(ch)
        i += 1
    return "".join(out)


def _flag(value) -> str:
    return "1" if value else "0"


class _Spec:
    """Lucene factory lines for one analysis block, word lists written to ``directory``."""

    def __init__(self, analysis: dict, directory: Path):
        self.analysis = analysis
        self.directory = directory
        self.lines: list[str] = []

    def _file(self, name: str, lines) -> str:
        path = self.directory / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return name

    def _line(self, kind: str, spi: str, **args) -> None:
        fields = [kind, spi] + [f"{k}={_esc(str(v))}" for k, v in args.items()]
        self.lines.append("\t".join(fields))

    def char_filter(self, name: str) -> None:
        conf = self.analysis["char_filter"][name]
        if conf["type"] != "mapping":
            raise ValueError(f"char_filter type {conf['type']!r} not translated")
        rules = []
        for rule in conf["mappings"]:
            lhs, _, rhs = rule.partition("=>")
            rules.append(f'"{lhs.strip()}" => "{rhs.strip()}"')
        self._line("charfilter", "mapping", mapping=self._file(name + ".map", rules))

    def tokenizer(self, name: str) -> None:
        conf = self.analysis["tokenizer"][name]
        if conf["type"] != "pattern" or conf.get("flags"):
            raise ValueError(f"tokenizer {conf!r} not translated")
        self._line("tokenizer", "pattern", pattern=conf["pattern"], group=conf.get("group", -1))

    def filter(self, name: str) -> None:
        if name == "lowercase":
            self._line("filter", "lowercase")
            return
        conf = self.analysis["filter"][name]
        kind = conf["type"]
        if kind == "length":
            self._line("filter", "length", min=conf.get("min", 0), max=conf.get("max", 2**31 - 1))
        elif kind == "pattern_replace":
            self._line("filter", "patternReplace", pattern=conf["pattern"],
                       replacement=conf.get("replacement", ""),
                       replace="all" if conf.get("all", True) else "first")
        elif kind == "word_delimiter_graph":
            names = {"generate_word_parts": "generateWordParts",
                     "generate_number_parts": "generateNumberParts",
                     "catenate_words": "catenateWords", "catenate_numbers": "catenateNumbers",
                     "catenate_all": "catenateAll", "preserve_original": "preserveOriginal",
                     "split_on_case_change": "splitOnCaseChange",
                     "split_on_numerics": "splitOnNumerics",
                     "stem_english_possessive": "stemEnglishPossessive"}
            args = {lucene: _flag(conf[key]) for key, lucene in names.items() if key in conf}
            if conf.get("type_table"):
                args["types"] = self._file(name + ".types", conf["type_table"])
            self._line("filter", "wordDelimiterGraph", **args)
        elif kind == "stop":
            self._line("filter", "stop", words=self._file(name + ".stop", conf["stopwords"]),
                       ignoreCase=str(bool(conf.get("ignore_case"))).lower())
        elif kind == "stemmer_override":
            pairs = [tuple(x.strip() for x in rule.split("=>")) for rule in conf["rules"]]
            self._line("filter", "stemmerOverride",
                       dictionary=self._file(name + ".dict", [f"{a}\t{b}" for a, b in pairs]))
        elif kind == "keyword_marker":
            self._line("filter", "keywordMarker", pattern=conf["keywords_pattern"])
        elif kind == "snowball":
            self._line("filter", "snowballPorter", language=conf["language"])
        elif kind == "dictionary_decompounder":
            args = {"dictionary": self._file(name + ".words", conf["word_list"])}
            for key, lucene in (("min_word_size", "minWordSize"),
                                ("min_subword_size", "minSubwordSize"),
                                ("max_subword_size", "maxSubwordSize")):
                if key in conf:
                    args[lucene] = conf[key]
            if "only_longest_match" in conf:
                args["onlyLongestMatch"] = str(bool(conf["only_longest_match"])).lower()
            self._line("filter", "dictionaryCompoundWord", **args)
        else:
            raise ValueError(f"filter type {kind!r} not translated to Lucene")

    def analyzer(self, name: str) -> None:
        conf = self.analysis["analyzer"][name]
        self.lines.append(f"analyzer\t{name}")
        for char_filter in conf.get("char_filter", []):
            self.char_filter(char_filter)
        self.tokenizer(conf["tokenizer"])
        for token_filter in conf.get("filter", []):
            self.filter(token_filter)


class LuceneAnalyzers:
    """One JVM holding Lucene analyzers built from OpenSearch analysis blocks."""

    def __init__(self, analyses: list[dict], directory: Path, classpath: str):
        directory.mkdir(parents=True, exist_ok=True)
        lines = []
        for analysis in analyses:
            spec = _Spec(analysis, directory)
            for name in analysis["analyzer"]:
                spec.analyzer(name)
            lines += spec.lines
        spec_path = directory / "spec.tsv"
        spec_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._proc = subprocess.Popen(
            ["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classpath,
             str(HARNESS), str(spec_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            encoding="utf-8")

    def analyze(self, analyzer: str, text: str) -> list[tuple[int, str]]:
        """``(position, term)`` of every token Lucene produces for ``text``."""
        self._proc.stdin.write(f"{analyzer}\t{_esc(text)}\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("Lucene harness died: " + self._proc.stderr.read()[-3000:])
        tokens = []
        for field in line.rstrip("\n").split("\t"):
            if field:
                pos, _, term = field.partition(":")
                tokens.append((int(pos), _unesc(term)))
        return tokens

    def terms(self, analyzer: str, text: str) -> list[str]:
        return [term for _, term in self.analyze(analyzer, text)]

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


class ClusterAnalyzers:
    """The same ``terms(analyzer, text)`` against a live OpenSearch cluster's ``_analyze``.

    Creates one scratch index per language with the generated settings (names
    ``tolk-analysis-check-<lang>``) and deletes them on :meth:`close`.
    """

    def __init__(self, url: str, analyses: dict[str, dict], auth: str | None = None):
        import base64

        self.url = url.rstrip("/")
        self.headers = {"Content-Type": "application/json"}
        if auth:
            self.headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
        self.index_of = {}
        for language, analysis in analyses.items():
            index = f"tolk-analysis-check-{language}"
            self._call("DELETE", f"/{index}", ok=(200, 404))
            self._call("PUT", f"/{index}", {"settings": {"analysis": analysis}})
            for name in analysis["analyzer"]:
                self.index_of[name] = index

    def _call(self, method, path, body=None, ok=(200,)):
        import json
        import urllib.error
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return None
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from None

    def terms(self, analyzer: str, text: str) -> list[str]:
        answer = self._call("POST", f"/{self.index_of[analyzer]}/_analyze",
                            {"analyzer": analyzer, "text": text})
        return [token["token"] for token in answer["tokens"]]

    def close(self) -> None:
        for index in set(self.index_of.values()):
            self._call("DELETE", f"/{index}", ok=(200, 404))


def variant(language: str, algorithm: str) -> dict:
    """The settings for ``language`` built for another PyStemmer algorithm.

    Analyzer names get ``:<algorithm>`` appended, so one JVM can hold them
    next to the configured ones; :func:`variant_name` gives the names.
    """
    from index.backends.opensearch.analysis import analysis_settings

    analysis = analysis_settings(language, stemmer=algorithm)
    analysis["analyzer"] = {variant_name(name, algorithm): conf
                            for name, conf in analysis["analyzer"].items()}
    return analysis


def variant_name(analyzer: str, algorithm: str) -> str:
    return f"{analyzer}:{algorithm}"


# Filters of Tolk's analyzer the OpenSearch settings leave out on purpose: Dutch
# compound splitting (index.decompound) is frequency based and has no OpenSearch
# filter that splits the same way; that backend is to index the parts Tolk computes.
NOT_IN_SETTINGS = frozenset({"DecompoundFilter"})


def tolk_terms(language: str, text: str, mode: str, algorithm: str | None = None) -> list[str]:
    """Tolk's index (``mode="index"``) or query terms, optionally with another stemmer.

    Tolk's own analyzer (``index.analysis.language_analyzer``), less
    :data:`NOT_IN_SETTINGS`; ``algorithm`` replaces the configured stemmer.
    """
    from index.analysis import STEMMER_ALGORITHMS

    analyzer = _tolk_analyzer(language, algorithm or STEMMER_ALGORITHMS[language])
    return [t.text for t in analyzer(text, mode=mode)]


@lru_cache(maxsize=None)
def _tolk_analyzer(language: str, algorithm: str):
    from functools import reduce

    from index.analysis import StemFilter, language_analyzer

    items = []
    for item in language_analyzer(language).items:
        if type(item).__name__ in NOT_IN_SETTINGS:
            continue
        if isinstance(item, StemFilter):
            item = StemFilter(language)
            item.algorithm = algorithm
        items.append(item)
    return reduce(lambda a, b: a | b, items)


def agreement(pairs) -> dict:
    """Token agreement over ``(tolk_terms, lucene_terms)`` pairs, one per text.

    ``tokens``: matched terms (multiset intersection per text) over the longer
    side's count; ``texts``: share of texts whose term sequences are identical.
    """
    matched = longer = same = n = 0
    for tolk, lucene in pairs:
        n += 1
        matched += sum((Counter(tolk) & Counter(lucene)).values())
        longer += max(len(tolk), len(lucene))
        same += tolk == lucene
    return {"texts": n, "tokens": longer, "token_agreement": matched / longer if longer else 1.0,
            "identical_texts": same / n if n else 1.0}


FLORES_FILES = {"nl": "nld_Latn.devtest", "en": "eng_Latn.devtest"}


def flores_dir() -> Path:
    """FLORES-200 devtest (CC-BY-SA, not in the repo): ``TOLK_FLORES_DIR``, else the
    parallel-text folder the Makefile exports (``TOLK_PARALLEL_DIR``), else our machines' copy."""
    for variable in ("TOLK_FLORES_DIR", "TOLK_PARALLEL_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    return Path("/work/shared/data/flores200_devtest_nl_en")


def flores_sentences(language: str) -> list[str] | None:
    path = flores_dir() / FLORES_FILES[language]
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").splitlines()


def seed_texts() -> dict[str, list[str]]:
    """The repository's seed articles by detected language, one paragraph a text."""
    from index.ingest.language import detect_language

    texts: dict[str, list[str]] = {"nl": [], "en": []}
    for path in sorted((Path(__file__).parent.parent / "seeds").glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        language = detect_language(body).language
        texts[language] += [p for p in body.split("\n") if p.strip()]
    return texts


def word_differences(lucene: LuceneAnalyzers, language: str, texts, algorithm=None,
                     analyzer: str | None = None) -> tuple[int, Counter, dict]:
    """Distinct words whose index terms differ, by class, with a few examples each.

    Classes: ``hyphenated``, ``number``, ``stopword`` (one side drops it),
    ``stemmer`` (the rest: same folded word, different stem).
    """
    from index.analysis import iter_words

    if analyzer is None:
        analyzer = variant_name(f"tolk_{language}", algorithm) if algorithm else f"tolk_{language}"
    words = sorted({raw for text in texts for raw, _, _ in iter_words(text)})
    classes: Counter = Counter()
    examples: dict[str, list] = {}
    for raw in words:
        tolk = sorted(tolk_terms(language, raw, "index", algorithm))
        luc = sorted(lucene.terms(analyzer, raw))
        if tolk == luc:
            continue
        if any(ch in raw for ch in "-\u2010\u2011"):
            kind = "hyphenated"
        elif raw[:1].isdigit():
            kind = "number"
        elif not tolk or not luc:
            kind = "stopword"
        else:
            kind = "stemmer"
        classes[kind] += 1
        examples.setdefault(kind, [])
        if len(examples[kind]) < 8:
            examples[kind].append(
                f"{raw}: tolk {'/'.join(tolk) or '-'}, lucene {'/'.join(luc) or '-'}")
    return len(words), classes, examples


RUNS = (("en", "english"), ("nl", "dutch"), ("nl", "dutch_porter"))
MODES = (("index", "tolk_{}"), ("query", "tolk_{}_search"))


def _corpora() -> dict[str, dict[str, list[str]]]:
    corpora = {"seeds": seed_texts()}
    for language in ("nl", "en"):
        sentences = flores_sentences(language)
        if sentences:
            corpora.setdefault("FLORES devtest", {})[language] = sentences
    return corpora


def _table(engine, corpora, snowball) -> tuple[list[str], list]:
    rows = ["| corpus | language | Tolk stemmer | Lucene Snowball | mode | texts | tokens "
            "| token agreement | identical texts |", "|---|---|---|---|---|---|---|---|---|"]
    diffs = []
    for corpus, by_language in corpora.items():
        for language, algorithm in RUNS:
            texts = by_language.get(language) or []
            if not texts:
                continue
            for mode, pattern in MODES:
                name = variant_name(pattern.format(language), algorithm)
                a = agreement((tolk_terms(language, t, mode, algorithm), engine.terms(name, t))
                              for t in texts)
                rows.append(f"| {corpus} | {language} | {algorithm} "
                            f"| {snowball[(language, algorithm)]} | {mode} | {a['texts']} "
                            f"| {a['tokens']} | {a['token_agreement']:.2%} "
                            f"| {a['identical_texts']:.1%} |")
            diffs.append((corpus, language, algorithm,
                          *word_differences(engine, language, texts, algorithm)))
    return rows, diffs


def report(cluster_url: str | None = None, auth: str | None = None) -> str:
    """Markdown agreement table: seeds and FLORES, index and query analyzers, both Dutch stemmers.

    Against Debian's Lucene, or with ``cluster_url`` against a live OpenSearch cluster.
    """
    import tempfile

    from index.analysis import STEMMER_ALGORITHMS

    classpath = lucene_classpath()
    if classpath is None and cluster_url is None:
        raise SystemExit("Lucene or a JDK is missing: apt-get install liblucene8-java "
                         "openjdk-17-jdk-headless (or pass --opensearch URL)")
    analyses = [variant(language, algorithm) for language, algorithm in RUNS]
    snowball = {run: a["filter"][f"tolk_{run[0]}_stem"]["language"]
                for run, a in zip(RUNS, analyses)}
    with tempfile.TemporaryDirectory() as tmp:
        if cluster_url:
            scratch = {f"{lang}-{alg.replace('_', '-')}": a
                       for (lang, alg), a in zip(RUNS, analyses)}
            engine = ClusterAnalyzers(cluster_url, scratch, auth)
        else:
            engine = LuceneAnalyzers(analyses, Path(tmp), classpath)
        try:
            rows, diffs = _table(engine, _corpora(), snowball)
        finally:
            engine.close()
    out = [f"Tolk's configured stemmers: {STEMMER_ALGORITHMS}; engine: "
           + (cluster_url or f"Lucene {classpath}"), "", *rows,
           "", "Distinct words whose index terms differ (classes):", ""]
    for corpus, language, algorithm, n, classes, examples in diffs:
        total = sum(classes.values())
        kinds = ", ".join(f"{k} {v}" for k, v in classes.most_common())
        out.append(f"- {corpus} {language} ({algorithm}): {total} of {n} distinct words "
                   f"({total / n:.2%}): {kinds}")
        for kind, items in examples.items():
            out.append(f"  - {kind}: " + "; ".join(items[:5]))
    return "\n".join(out)


if __name__ == "__main__":
    import argparse
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent))
    parser = argparse.ArgumentParser(
        description="Token agreement of Tolk's analyzers with Lucene (Debian's jars) or a cluster.")
    parser.add_argument("--opensearch", metavar="URL",
                        help="check a live cluster's _analyze instead of the local Lucene")
    parser.add_argument("--user", metavar="USER:PASSWORD",
                        help="basic auth for the cluster (default: the service's own "
                             "$TOLK_OPENSEARCH_USER and $TOLK_OPENSEARCH_PASSWORD)")
    args = parser.parse_args()
    user = args.user
    if user is None and os.environ.get("TOLK_OPENSEARCH_USER"):
        user = (os.environ["TOLK_OPENSEARCH_USER"] + ":"
                + os.environ.get("TOLK_OPENSEARCH_PASSWORD", ""))
    print(report(args.opensearch, user))
