package dev.assemblyline.forge;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A forge the line reports commit statuses to (docs/ci.md, "Status back to the forge"): its kind, API base
 * URL, token and repository path. Made from ASSEMBLY_GITHUB_TOKEN, ASSEMBLY_GITLAB_TOKEN and
 * ASSEMBLY_GITEA_TOKEN; the API URL and the repository are read from ASSEMBLY_REPO_URL unless
 * ASSEMBLY_&lt;FORGE&gt;_API_URL and ASSEMBLY_FORGE_REPO say otherwise.
 */
public record Forge(String kind, String api, String token, String repo) {

    /** The outbox channel a forge's statuses wait in. */
    public String channel() {
        return "forge:" + kind;
    }

    @Override
    public String toString() { // never the token
        return kind + " " + repo + " at " + api;
    }

    /** Every forge with a token in {@code env}; a token without a way to find its API or repository is an error. */
    public static List<Forge> fromEnv(Map<String, String> env, String repoUrl, List<String> errors) {
        List<Forge> out = new ArrayList<>();
        for (String kind : List.of("github", "gitlab", "gitea")) {
            String upper = kind.toUpperCase(java.util.Locale.ROOT);
            String token = blank(env.get("ASSEMBLY_" + upper + "_TOKEN"));
            if (token == null) {
                continue;
            }
            URI repoUri = parse(repoUrl);
            String repo = blank(env.get("ASSEMBLY_FORGE_REPO"));
            if (repo == null && repoUri != null && repoUri.getPath() != null) {
                repo = repoUri.getPath().replaceAll("^/+", "").replaceAll("\\.git/*$", "").replaceAll("/+$", "");
            }
            String api = blank(env.get("ASSEMBLY_" + upper + "_API_URL"));
            if (api == null && repoUri != null && repoUri.getHost() != null) {
                String origin = repoUri.getScheme() + "://" + repoUri.getHost() + (repoUri.getPort() > 0 ? ":" + repoUri.getPort() : "");
                api = switch (kind) {
                    case "github" -> repoUri.getHost().equals("github.com") ? "https://api.github.com" : origin + "/api/v3";
                    case "gitlab" -> origin + "/api/v4";
                    default -> origin + "/api/v1";
                };
            }
            if (repo == null || repo.isEmpty() || !repo.matches("[A-Za-z0-9._/-]{1,300}") || repo.contains("..")) {
                errors.add("ASSEMBLY_" + upper + "_TOKEN is set, but the repository to report to is unknown: set ASSEMBLY_FORGE_REPO (owner/name)"
                        + " or an ASSEMBLY_REPO_URL of the form https://host/owner/name.git");
                continue;
            }
            if (api == null || !(api.startsWith("https://") || api.startsWith("http://"))) {
                errors.add("ASSEMBLY_" + upper + "_TOKEN is set, but ASSEMBLY_" + upper + "_API_URL is not an http(s) URL and cannot be"
                        + " read from ASSEMBLY_REPO_URL");
                continue;
            }
            out.add(new Forge(kind, api.replaceAll("/+$", ""), token, repo));
        }
        return out;
    }

    /** The status endpoint of a commit. */
    URI statusUri(String sha) {
        return URI.create(switch (kind) {
            case "gitlab" -> api + "/projects/" + URLEncoder.encode(repo, StandardCharsets.UTF_8) + "/statuses/" + sha;
            default -> api + "/repos/" + repo + "/statuses/" + sha;
        });
    }

    private static URI parse(String url) {
        if (url == null) {
            return null;
        }
        try {
            URI u = URI.create(url.strip());
            return u.getScheme() != null && u.getScheme().startsWith("http") ? u : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
