import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * util.matches(pattern, value) as AppSync documents it: java.util.regex.Pattern, matching the whole value.
 * Reads "pattern TAB value" lines on standard input and prints 1 (matches) or 0 for each.
 */
public class UtilMatches {
    public static void main(String[] args) throws Exception {
        Map<String, Pattern> compiled = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            int tab = line.indexOf('\t');
            Pattern pattern = compiled.computeIfAbsent(line.substring(0, tab), Pattern::compile);
            out.append(pattern.matcher(line.substring(tab + 1)).matches() ? '1' : '0').append('\n');
        }
        System.out.print(out);
    }
}
