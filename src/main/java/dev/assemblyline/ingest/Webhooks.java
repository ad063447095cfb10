package dev.assemblyline.ingest;

import dev.assemblyline.model.CiVerdict;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.model.InboxEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Verifies and reads webhook deliveries from GitHub, GitLab, Gitea/Forgejo and {@code hooks/post-receive},
 * in one order, Prow-style: secret configured, signature (constant time) before anything is parsed,
 * event type, delivery id, then the payload. Pure: storing the event is the caller's job.
 */
public final class Webhooks {
    public static final String ZERO = "0000000000000000000000000000000000000000";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    /** A provider's secret, or null when its endpoint is off. */
    public record Secrets(String github, String gitlab, String gitea, String hook, boolean insecure) {
        public String of(String provider) {
            return switch (provider) {
                case "github" -> github;
                case "gitlab" -> gitlab;
                case "gitea" -> gitea;
                case "git" -> hook;
                default -> null;
            };
        }

        public boolean enabled(String provider) {
            return of(provider) != null || insecure;
        }
    }

    /**
     * What to answer, and the event to store when there is one. {@code status} is final unless an event
     * is present: then 202 once stored, or 200 {"duplicate":true} when the delivery was seen before.
     */
    public record Outcome(int status, Map<String, Object> body, InboxEvent event, List<CiVerdict> verdicts) {
        public Outcome(int status, Map<String, Object> body, InboxEvent event) {
            this(status, body, event, List.of());
        }

        static Outcome answer(int status, String key, Object value) {
            return new Outcome(status, Map.of(key, value), null);
        }
    }

    /** The answer to a forge's push while the coordinator hosts its own repository (docs/webhooks-github.md). */
    public static final String HOSTED_MODE = "this coordinator hosts its own repository, so a push to another one changes nothing here:"
            + " set ASSEMBLY_REPO_URL to this repository's clone URL (follow mode) for its webhooks to act";

    private final Secrets secrets;
    private final Supplier<String> trackedBranch;
    private final Clock clock;
    private final boolean following;

    /**
     * @param following true in follow mode (ASSEMBLY_REPO_URL): only then does a push elsewhere mean
     *                  anything; in hosted mode a verified push is answered 409 with {@link #HOSTED_MODE}
     */
    public Webhooks(Secrets secrets, Supplier<String> trackedBranch, Clock clock, boolean following) {
        this.secrets = secrets;
        this.trackedBranch = trackedBranch;
        this.clock = clock;
        this.following = following;
    }

    public boolean following() {
        return following;
    }

    public Secrets secrets() {
        return secrets;
    }

    /**
     * @param header a case-insensitive header lookup
     */
    public Outcome handle(String provider, Function<String, String> header, byte[] body) {
        if (!secrets.enabled(provider)) {
            return Outcome.answer(404, "error", "the " + provider + " webhook is off: its secret is not set");
        }
        String secret = secrets.of(provider);
        if (secret != null && !verified(provider, secret, header, body)) {
            return Outcome.answer(401, "error", "signature missing or wrong");
        }
        return switch (provider) {
            case "github" -> githubLike("github", header.apply("X-GitHub-Event"), header.apply("X-GitHub-Delivery"),
                    header.apply("Content-Type"), body);
            case "gitea" -> githubLike("gitea", first(header, "X-Gitea-Event", "X-Forgejo-Event", "X-GitHub-Event"),
                    first(header, "X-Gitea-Delivery", "X-Forgejo-Delivery", "X-GitHub-Delivery"), header.apply("Content-Type"), body);
            case "gitlab" -> gitlab(header, body);
            case "git" -> postReceive(header, body);
            default -> Outcome.answer(404, "error", "unknown webhook " + provider);
        };
    }

    private boolean verified(String provider, String secret, Function<String, String> header, byte[] body) {
        return switch (provider) {
            case "github" -> Hmac.equal("sha256=" + Hmac.sha256Hex(secret, body), header.apply("X-Hub-Signature-256"));
            case "gitea" -> {
                String sig = first(header, "X-Gitea-Signature", "X-Forgejo-Signature");
                yield Hmac.equal(Hmac.sha256Hex(secret, body), sig == null ? null : sig.toLowerCase(Locale.ROOT));
            }
            case "gitlab" -> Hmac.equal(secret, header.apply("X-Gitlab-Token"));
            case "git" -> Hmac.equal("sha256=" + Hmac.sha256Hex(secret, body), header.apply("X-Assembly-Signature"));
            default -> false;
        };
    }

    private Outcome githubLike(String source, String event, String delivery, String contentType, byte[] body) {
        if (event == null) {
            return Outcome.answer(400, "error", "no event header");
        }
        if (event.equals("ping")) {
            return Outcome.answer(200, "pong", true);
        }
        boolean ci = event.equals("check_run") || event.equals("check_suite") || event.equals("status");
        if (!event.equals("push") && !ci) {
            return Outcome.answer(202, "ignored", "event " + event + " is not handled");
        }
        // GitHub's and Gitea's "form" content type: the same JSON, URL-encoded in a payload field. The
        // signature was checked over the raw body, as the forge computes it.
        boolean form = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
        JsonNode json = parse(form ? formField(body, "payload") : body);
        if (json == null) {
            return Outcome.answer(400, "error", form ? "form body has no JSON payload field" : "body is not JSON");
        }
        if (ci) {
            return verdicts(source.equals("github") ? githubVerdict(event, json) : giteaVerdict(json));
        }
        return push(source, delivery, body, json.path("ref").asText(null), json.path("before").asText(null),
                json.path("after").asText(null));
    }

    /** Test verdicts from CI (docs/ci.md): stored by the caller, applied by the leader to the service trees at the commit. */
    private Outcome verdicts(List<CiVerdict> verdicts) {
        if (!following) {
            return Outcome.answer(409, "error", HOSTED_MODE);
        }
        // the coordinator's own commit statuses (assembly/<service>, docs/ci.md) come back as status events: never a verdict
        verdicts = verdicts.stream().filter(v -> !CiVerdict.own(v.context())).toList();
        for (CiVerdict v : verdicts) {
            if (v.commit() == null || !SHA.matcher(v.commit()).matches()) {
                return Outcome.answer(400, "error", "the check names no commit id");
            }
            if (v.commit().length() != 40) {
                return Outcome.answer(400, "error", "the check names a SHA-256 commit id; the coordinator reads SHA-1 repositories only");
            }
            if (v.context() == null || v.context().isBlank() || v.context().length() > 300) {
                return Outcome.answer(400, "error", "the check has no name, or one longer than 300 characters");
            }
        }
        if (verdicts.isEmpty()) {
            return Outcome.answer(202, "ignored", "no verdict in this event (queued, running or cancelled)");
        }
        return new Outcome(202, Map.of("accepted", true, "verdicts", verdicts.size()), null, verdicts);
    }

    /** GitHub's check_run, check_suite and status events; an event with no verdict yet (queued, in progress) gives none. */
    private static List<CiVerdict> githubVerdict(String event, JsonNode json) {
        switch (event) {
            case "check_run" -> {
                JsonNode run = json.path("check_run");
                String state = "completed".equals(run.path("status").asText()) ? conclusion(run.path("conclusion").asText(null)) : CiVerdict.PENDING;
                if (state == null) {
                    return List.of();
                }
                JsonNode out = run.path("output");
                return List.of(CiVerdict.of("github", run.path("head_sha").asText(null), run.path("name").asText(null), state,
                        run.path("html_url").asText(null), join(out.path("title").asText(null), out.path("summary").asText(null), out.path("text").asText(null))));
            }
            case "check_suite" -> {
                JsonNode suite = json.path("check_suite");
                String state = "completed".equals(suite.path("status").asText()) ? conclusion(suite.path("conclusion").asText(null)) : CiVerdict.PENDING;
                if (state == null) {
                    return List.of();
                }
                String sha = suite.path("head_sha").asText(null);
                String repo = json.path("repository").path("html_url").asText(null);
                return List.of(CiVerdict.of("github", sha, "suite: " + suite.path("app").path("name").asText("checks"), state,
                        repo == null || sha == null ? null : repo + "/commit/" + sha + "/checks", "check suite " + suite.path("conclusion").asText("")));
            }
            default -> {
                return List.of(status("github", json));
            }
        }
    }

    private static List<CiVerdict> giteaVerdict(JsonNode json) {
        return List.of(status("gitea", json));
    }

    /** A commit status (GitHub, Gitea, Forgejo): pending, success, failure or error (and Gitea's warning). */
    private static CiVerdict status(String forge, JsonNode json) {
        String state = switch (json.path("state").asText("")) {
            case "success" -> CiVerdict.SUCCESS;
            case "failure", "error" -> CiVerdict.FAILURE;
            case "warning" -> CiVerdict.SUCCESS;
            default -> CiVerdict.PENDING;
        };
        return CiVerdict.of(forge, json.path("sha").asText(null), json.path("context").asText(null), state, json.path("target_url").asText(null),
                json.path("description").asText(null));
    }

    /** A check's conclusion as a verdict; null for one that says nothing about the code (cancelled, skipped, stale). */
    private static String conclusion(String c) {
        if (c == null) {
            return null;
        }
        return switch (c) {
            case "success", "neutral" -> CiVerdict.SUCCESS;
            case "failure", "timed_out", "action_required", "startup_failure" -> CiVerdict.FAILURE;
            default -> null;
        };
    }

    private static String join(String... parts) {
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            if (p != null && !p.isBlank()) {
                b.append(b.length() == 0 ? "" : "\n").append(p.strip());
            }
        }
        return b.toString();
    }

    /** A GitLab pipeline event: the pipeline as a whole ("pipeline") and each of its finished jobs, by job name. */
    private static List<CiVerdict> gitlabVerdicts(JsonNode json) {
        JsonNode p = json.path("object_attributes");
        String sha = p.path("sha").asText(null);
        String url = p.path("url").asText(null);
        if (url == null && json.path("project").path("web_url").isTextual() && p.path("id").canConvertToLong()) {
            url = json.path("project").path("web_url").asText() + "/-/pipelines/" + p.path("id").asLong();
        }
        List<CiVerdict> out = new ArrayList<>();
        String overall = gitlabState(p.path("status").asText(""));
        boolean ownJobs = false;
        for (JsonNode job : json.path("builds")) {
            ownJobs |= CiVerdict.own(job.path("name").asText(null));
        }
        if (ownJobs) {
            // GitLab makes the coordinator's commit statuses external jobs of the pipeline, and counts them in its
            // status: the pipeline's verdict is then taken from the team's own jobs
            overall = teamJobsState(json.path("builds"));
        }
        if (overall != null) {
            out.add(CiVerdict.of("gitlab", sha, "pipeline", overall, url, "pipeline " + p.path("status").asText("")));
        }
        for (JsonNode job : json.path("builds")) {
            String state = gitlabState(job.path("status").asText(""));
            if (state != null && job.path("name").isTextual()) {
                String jobUrl = json.path("project").path("web_url").isTextual() && job.path("id").canConvertToLong()
                        ? json.path("project").path("web_url").asText() + "/-/jobs/" + job.path("id").asLong() : url;
                out.add(CiVerdict.of("gitlab", sha, job.path("name").asText(), state, jobUrl, "job " + job.path("status").asText("")
                        + (job.path("failure_reason").isTextual() ? ": " + job.path("failure_reason").asText() : "")));
            }
        }
        return out;
    }

    /** The team's jobs as one state: pending while one is unfinished, failed if one failed (unless allowed to), else success. */
    private static String teamJobsState(JsonNode builds) {
        boolean pending = false;
        boolean failed = false;
        boolean passed = false;
        for (JsonNode job : builds) {
            if (CiVerdict.own(job.path("name").asText(null))) {
                continue;
            }
            String state = gitlabState(job.path("status").asText(""));
            pending |= CiVerdict.PENDING.equals(state);
            failed |= CiVerdict.FAILURE.equals(state) && !job.path("allow_failure").asBoolean(false);
            passed |= CiVerdict.SUCCESS.equals(state);
        }
        return pending ? CiVerdict.PENDING : failed ? CiVerdict.FAILURE : passed ? CiVerdict.SUCCESS : null;
    }

    private static String gitlabState(String status) {
        return switch (status) {
            case "success" -> CiVerdict.SUCCESS;
            case "failed" -> CiVerdict.FAILURE;
            case "created", "waiting_for_resource", "preparing", "pending", "running", "scheduled" -> CiVerdict.PENDING;
            default -> null; // canceled, skipped, manual: nothing about the code
        };
    }

    private Outcome gitlab(Function<String, String> header, byte[] body) {
        String event = header.apply("X-Gitlab-Event");
        if (event == null) {
            return Outcome.answer(400, "error", "no X-Gitlab-Event header");
        }
        JsonNode json = parse(body);
        if (json == null) {
            return Outcome.answer(400, "error", "body is not JSON");
        }
        if (event.equals("Pipeline Hook") && "pipeline".equals(json.path("object_kind").asText())) {
            return verdicts(gitlabVerdicts(json));
        }
        if (!event.equals("Push Hook") || !"push".equals(json.path("object_kind").asText())) {
            return Outcome.answer(202, "ignored", "event " + event + " is not handled");
        }
        // "Resend request" keeps Idempotency-Key and makes a new X-Gitlab-Event-UUID: the key names the delivery
        String key = header.apply("Idempotency-Key");
        return push("gitlab", key != null && !key.isBlank() ? "idem:" + key.strip() : header.apply("X-Gitlab-Event-UUID"), body, json.path("ref").asText(null),
                json.path("before").asText(null), json.path("after").asText(null));
    }

    /** {@code hooks/post-receive}: the hook's stdin, one {@code <old> <new> <ref>} per line. */
    private Outcome postReceive(Function<String, String> header, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        String want = "refs/heads/" + trackedBranch.get();
        String[] tracked = null;
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            String[] parts = l.split("\\s+");
            if (parts.length != 3 || !SHA.matcher(parts[0]).matches() || !SHA.matcher(parts[1]).matches()) {
                return Outcome.answer(400, "error", "expected lines of '<old> <new> <ref>'");
            }
            if (parts[2].equals(want)) {
                tracked = parts;
            }
        }
        if (tracked == null) {
            return Outcome.answer(202, "ignored", "no push to the tracked branch " + trackedBranch.get());
        }
        String delivery = header.apply("X-Assembly-Delivery");
        return push("git", delivery, body, tracked[2], tracked[0], tracked[1]);
    }

    private Outcome push(String source, String delivery, byte[] body, String ref, String before, String after) {
        if (ref == null || before == null || after == null) {
            return Outcome.answer(400, "error", "push payload lacks ref, before or after");
        }
        if (!SHA.matcher(before).matches() || !SHA.matcher(after).matches() || ref.length() > 1000) {
            return Outcome.answer(400, "error", "before and after must be commit ids");
        }
        if (!following) {
            return Outcome.answer(409, "error", HOSTED_MODE);
        }
        if (!ref.equals("refs/heads/" + trackedBranch.get())) {
            return Outcome.answer(202, "ignored", "push to " + ref + ", tracked branch is " + trackedBranch.get());
        }
        String id = delivery == null || delivery.isBlank() ? "sha256:" + Hmac.sha256(body) : delivery.strip();
        if (id.length() > 200) {
            return Outcome.answer(400, "error", "delivery id longer than 200 characters");
        }
        return new Outcome(202, Map.of("accepted", true), InboxEvent.push(source, id, ref, before, after, clock.instant()));
    }

    /** One field of an {@code application/x-www-form-urlencoded} body, decoded; null when absent or not decodable. */
    static byte[] formField(byte[] body, String name) {
        String text = new String(body, StandardCharsets.UTF_8);
        for (String pair : text.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            try {
                if (java.net.URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name)) {
                    return java.net.URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
                }
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static JsonNode parse(byte[] body) {
        if (body == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String first(Function<String, String> header, String... names) {
        for (String n : names) {
            String v = header.apply(n);
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
