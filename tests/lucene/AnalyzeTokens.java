// Runs texts through Lucene analyzers built with CustomAnalyzer, one JVM for many texts.
//
// Usage: java -cp <lucene-core.jar>:<lucene-analyzers-common.jar> AnalyzeTokens.java SPEC_FILE
//
// SPEC_FILE (written by tests/luceneharness.py from Tolk's OpenSearch settings), one line each:
//   analyzer<TAB>NAME              starts an analyzer
//   charfilter<TAB>SPI<TAB>k=v...  Lucene factory SPI name and its arguments
//   tokenizer<TAB>SPI<TAB>k=v...
//   filter<TAB>SPI<TAB>k=v...
// File arguments (word lists, mapping tables) are paths relative to SPEC_FILE's folder.
// Then stdin, one request a line: NAME<TAB>text; answer on stdout, one line a request:
// the tokens as POSITION:TERM separated by TAB (positions count from 0, gaps kept).
// Text and values escape backslash, tab and newline as \\, \t, \n.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.custom.CustomAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;

public class AnalyzeTokens {
    static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                out.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static Map<String, String> params(String[] parts) {
        Map<String, String> args = new HashMap<>();
        for (int i = 2; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            args.put(parts[i].substring(0, eq), unescape(parts[i].substring(eq + 1)));
        }
        return args;
    }

    public static void main(String[] argv) throws Exception {
        Path spec = Paths.get(argv[0]).toAbsolutePath();
        Map<String, Analyzer> analyzers = new HashMap<>();
        CustomAnalyzer.Builder builder = null;
        String name = null;
        List<String> lines = Files.readAllLines(spec, StandardCharsets.UTF_8);
        lines.add("analyzer\t");
        for (String line : lines) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t", -1);
            switch (parts[0]) {
                case "analyzer":
                    if (builder != null) analyzers.put(name, builder.build());
                    name = parts[1];
                    builder = CustomAnalyzer.builder(spec.getParent());
                    break;
                case "charfilter":
                    builder.addCharFilter(parts[1], params(parts));
                    break;
                case "tokenizer":
                    builder.withTokenizer(parts[1], params(parts));
                    break;
                case "filter":
                    builder.addTokenFilter(parts[1], params(parts));
                    break;
                default:
                    throw new IllegalArgumentException("bad spec line: " + line);
            }
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String request;
        while ((request = in.readLine()) != null) {
            int tab = request.indexOf('\t');
            Analyzer analyzer = analyzers.get(request.substring(0, tab));
            if (analyzer == null) throw new IllegalArgumentException("no analyzer: " + request);
            StringBuilder answer = new StringBuilder();
            try (TokenStream ts = analyzer.tokenStream("text", unescape(request.substring(tab + 1)))) {
                CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
                PositionIncrementAttribute inc = ts.addAttribute(PositionIncrementAttribute.class);
                ts.reset();
                int pos = -1;
                while (ts.incrementToken()) {
                    pos += inc.getPositionIncrement();
                    if (answer.length() > 0) answer.append('\t');
                    answer.append(pos).append(':');
                    for (int i = 0; i < term.length(); i++) {
                        char c = term.charAt(i);
                        if (c == '\\') answer.append("\\\\");
                        else if (c == '\t') answer.append("\\t");
                        else if (c == '\n') answer.append("\\n");
                        else answer.append(c);
                    }
                }
                ts.end();
            }
            out.write(answer.toString());
            out.write('\n');
            out.flush();
        }
    }
}
