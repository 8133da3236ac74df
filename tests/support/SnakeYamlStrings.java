// Loads a YAML file with SnakeYAML, the parser clouddriver's Spring Boot reads profiles with, and
// prints every string scalar in it as UTF-16 code units in hex, one string per line.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

public class SnakeYamlStrings {
  public static void main(String[] args) throws Exception {
    for (Object document : new Yaml().loadAll(Files.readString(Path.of(args[0])))) {
      walk(document);
    }
  }

  static void walk(Object node) {
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        walk(entry.getKey());
        walk(entry.getValue());
      }
    } else if (node instanceof List<?> list) {
      list.forEach(SnakeYamlStrings::walk);
    } else if (node instanceof String text) {
      StringBuilder line = new StringBuilder();
      for (char c : text.toCharArray()) {
        line.append(String.format("%04x", (int) c));
      }
      System.out.println(line);
    }
  }
}
