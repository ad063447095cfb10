package dev.assemblyline.phase;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The stack of a build, told by its files, and the files each stack must have. An entry {@code a|b}
 * is satisfied by either file. assembly.yml can replace the list per service.
 */
public final class BuildRules {
    /** Required files per stack (the Python list is the seed's). */
    public static final Map<String, List<String>> REQUIRED = Map.of(
            "python", List.of("src/main.py", "requirements.txt|pyproject.toml", "Dockerfile", ".env.example"),
            "java", List.of("pom.xml|build.gradle", "Dockerfile"),
            "node", List.of("package.json", "Dockerfile"),
            "go", List.of("go.mod", "Dockerfile"),
            "csharp", List.of("Dockerfile"));

    private BuildRules() {
    }

    /** java, node, go, csharp, python, or unknown. */
    public static String stack(List<String> buildFiles) {
        if (buildFiles.contains("pom.xml") || buildFiles.contains("build.gradle") || buildFiles.contains("build.gradle.kts")) {
            return "java";
        }
        if (buildFiles.contains("package.json")) {
            return "node";
        }
        if (buildFiles.contains("go.mod")) {
            return "go";
        }
        if (buildFiles.stream().anyMatch(f -> f.endsWith(".csproj") || f.endsWith(".sln"))) {
            return "csharp";
        }
        if (buildFiles.contains("requirements.txt") || buildFiles.contains("pyproject.toml")
                || buildFiles.stream().anyMatch(f -> f.endsWith(".py"))) {
            return "python";
        }
        return "unknown";
    }

    /** The required entries that {@code buildFiles} does not satisfy, as written in the rule. */
    public static List<String> missing(List<String> buildFiles, List<String> override) {
        List<String> required = override != null ? override : REQUIRED.getOrDefault(stack(buildFiles), List.of());
        List<String> missing = new ArrayList<>();
        for (String entry : required) {
            boolean any = false;
            for (String alt : entry.split("\\|")) {
                any |= buildFiles.contains(alt.strip());
            }
            if (!any) {
                missing.add(entry.replace("|", " or "));
            }
        }
        return missing;
    }
}
