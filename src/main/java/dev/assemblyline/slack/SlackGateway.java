package dev.assemblyline.slack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.slack.api.app_backend.SlackSignature;
import com.slack.api.app_backend.interactive_components.payload.BlockActionPayload;
import com.slack.api.app_backend.slash_commands.SlashCommandPayloadParser;
import com.slack.api.app_backend.slash_commands.payload.SlashCommandPayload;
import com.slack.api.app_backend.util.JsonPayloadExtractor;
import com.slack.api.util.json.GsonFactory;
import dev.assemblyline.model.InboxEvent;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.Session;
import dev.assemblyline.pipeline.Intake;
import dev.assemblyline.pipeline.TicketDesk;
import dev.assemblyline.store.OutboxStore;
import dev.assemblyline.store.Store;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import static dev.assemblyline.slack.SlackText.esc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slack's requests: slash commands, button presses and thread replies, each verified before it is parsed
 * (signature in constant time, timestamp within 5 minutes either way), then handed to
 * {@link SlackCommands} (what they do and say). Here: parsing Slack's payloads, the 3-second budget of a
 * slash command (later answers go to its response_url), de-duplicating events. Transport-free otherwise:
 * the web layer and Socket Mode hand it bodies.
 */
public final class SlackGateway {
    private static final Logger LOG = LoggerFactory.getLogger(SlackGateway.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern MENTION = Pattern.compile("<@[A-Z0-9]+(\\|[^>]*)?>");
    private static final long WINDOW_SECONDS = 300;

    /** An answer: HTTP status and a JSON body (null for an empty 200). */
    public record Answer(int status, Object body) {
        static Answer ephemeral(String text) {
            return new Answer(200, Map.of("response_type", "ephemeral", "text", text));
        }
    }

    private final String signingSecret;
    private final SlackCommands commands;
    private final Intake intake;
    private final OutboxStore outbox;
    private final Messages messages;
    private final Clock clock;
    private final ExecutorService work = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "slack-work");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile long commandBudgetMillis = 2500;

    /** @param outbox where thread replies' parents are looked up and ephemeral answers queued */
    public SlackGateway(String signingSecret, SlackCommands commands, Intake intake, OutboxStore outbox, Messages messages, Clock clock) {
        this.signingSecret = signingSecret;
        this.commands = commands;
        this.intake = intake;
        this.outbox = outbox;
        this.messages = messages;
        this.clock = clock;
    }

    /** How long a slash command may take before the answer goes through response_url instead (for tests). */
    void commandBudget(long millis) {
        this.commandBudgetMillis = millis;
    }

    /** True when Slack may call over HTTP (a signing secret is set); Socket Mode needs none. */
    public boolean httpEnabled() {
        return signingSecret != null;
    }

    /**
     * Signature and timestamp check; constant time; a stamp more than 5 minutes off either way is refused.
     * The signature is the SDK's ({@link SlackSignature.Generator}); its {@code Verifier} is not used on
     * purpose: it compares with {@code String.equals} (not constant time), logs the body and signature at
     * debug level, and its {@code TimestampVerifier} accepts any stamp in the future
     * ({@code SlackTest.theSignatureCheckIsStricterThanTheSdksVerifier}).
     */
    public boolean verified(String timestamp, String signature, String body) {
        if (signingSecret == null || timestamp == null || signature == null || !timestamp.matches("\\d{1,12}")) {
            return false;
        }
        long skew = Math.abs(clock.instant().getEpochSecond() - Long.parseLong(timestamp));
        if (skew > WINDOW_SECONDS) {
            return false;
        }
        String expected = new SlackSignature.Generator(signingSecret).generate(timestamp, body);
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), signature.getBytes(StandardCharsets.UTF_8));
    }

    // ---- slash commands --------------------------------------------------------------------------------

    public Answer command(String body) {
        SlashCommandPayload p = new SlashCommandPayloadParser().parse(body);
        String text = p.getText() == null ? "" : p.getText().strip();
        CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> commands.run(text, p.getUserId(), p.getUserName()), work);
        try {
            return Answer.ephemeral(f.get(commandBudgetMillis, TimeUnit.MILLISECONDS));
        } catch (TimeoutException slow) {
            String url = p.getResponseUrl();
            f.thenAccept(answer -> respond(url, answer));
            return Answer.ephemeral(messages.format("slow", Map.of()));
        } catch (Exception e) {
            LOG.warn("/assembly {} failed: {}", ServiceName.printable(text), e.getMessage(), e);
            return Answer.ephemeral("That failed on our side; the coordinator's log has the details.");
        }
    }

    // ---- buttons ---------------------------------------------------------------------------------------

    public Answer interaction(String body) {
        String json = new JsonPayloadExtractor().extractIfExists(body);
        if (json == null) {
            return new Answer(400, Map.of("error", "no payload"));
        }
        BlockActionPayload p;
        try {
            p = GsonFactory.createSnakeCase().fromJson(json, BlockActionPayload.class);
        } catch (RuntimeException e) {
            return new Answer(400, Map.of("error", "payload is not JSON"));
        }
        if (!"block_actions".equals(p.getType()) || p.getActions() == null || p.getActions().isEmpty()) {
            return new Answer(200, null);
        }
        BlockActionPayload.Action action = p.getActions().get(0);
        String verb = action.getActionId();
        String value = action.getValue();
        if (!SlackCommands.TICKET_WORDS.contains(verb) || value == null || !value.matches("\\d{1,18}")) {
            return new Answer(200, null);
        }
        String user = p.getUser() == null ? null : p.getUser().getId();
        String url = p.getResponseUrl();
        work.submit(() -> {
            Optional<Session> s = commands.session(user);
            String answer = s.isEmpty() ? commands.notSession() : esc(commands.act(verb, Long.parseLong(value), s.get()).message());
            respond(url, answer);
        });
        return new Answer(200, null);
    }

    // ---- events: thread replies -----------------------------------------------------------------------

    public Answer event(String body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (Exception e) {
            return new Answer(400, Map.of("error", "body is not JSON"));
        }
        if (n == null || !n.isObject()) {
            return new Answer(400, Map.of("error", "body is not a JSON object"));
        }
        String type = n.path("type").asText();
        if (type.equals("url_verification")) {
            return new Answer(200, Map.of("challenge", n.path("challenge").asText()));
        }
        if (!type.equals("event_callback")) {
            return new Answer(200, null);
        }
        String eventId = n.path("event_id").asText("");
        if (eventId.isEmpty() || eventId.length() > 200) {
            return new Answer(400, Map.of("error", "no event_id"));
        }
        JsonNode e = n.path("event");
        // recorded first, so a retry of this event_id is answered and never acted on twice
        Store.Accepted a = intake.acceptHandled(new InboxEvent(0, "slack", eventId, "slack", null, null, null, clock.instant()));
        if (a.duplicate()) {
            return new Answer(200, Map.of("duplicate", true));
        }
        work.submit(() -> {
            String outcome;
            try {
                outcome = handleMessage(e);
                LOG.debug("Slack event {}: {}", eventId, outcome);
            } catch (RuntimeException ex) {
                outcome = "failed: " + ex.getMessage();
                LOG.warn("Slack event {} failed: {}", eventId, ex.getMessage());
            }
            try {
                intake.settle("slack", eventId, outcome); // what became of it, on the event's inbox row
            } catch (RuntimeException ex) {
                LOG.warn("Slack event {}: outcome not recorded: {}", eventId, ex.getMessage());
            }
        });
        return new Answer(200, null);
    }

    /** A thread reply "claim", "release" or "done" (any case, with or without a mention) acts on that thread's ticket. */
    private String handleMessage(JsonNode e) {
        if (!"message".equals(e.path("type").asText()) || e.hasNonNull("bot_id") || e.hasNonNull("subtype") || !e.hasNonNull("thread_ts")
                || !e.hasNonNull("user")) {
            return "ignored";
        }
        String word = MENTION.matcher(e.path("text").asText("")).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
        if (!SlackCommands.TICKET_WORDS.contains(word)) {
            return "ignored: not a ticket word";
        }
        String channel = e.path("channel").asText();
        String user = e.path("user").asText();
        Optional<OutboxStore.Message> parent = outbox.byTs(channel, e.path("thread_ts").asText());
        if (parent.isEmpty() || parent.get().service() == null) {
            return "ignored: not an assignment thread";
        }
        Long id = commands.ticketForThread(parent.get().ticketId(), parent.get().service());
        Optional<Session> s = commands.session(user);
        if (s.isEmpty()) {
            outbox.addEphemeral(channel, user, commands.notSession(), clock.instant());
            return "refused: not a session";
        }
        if (id == null) {
            outbox.addEphemeral(channel, user, "No open ticket for " + esc(parent.get().service()) + ".", clock.instant());
            return "refused: no ticket";
        }
        TicketDesk.Outcome o = commands.act(word, id, s.get());
        if (!o.ok()) {
            outbox.addEphemeral(channel, user, esc(o.message()), clock.instant());
        }
        return word + " #" + id + " by " + s.get().id() + ": " + o.status();
    }

    /** Posts an ephemeral answer to a response_url (slash commands and buttons), off the request path. */
    private void respond(String url, String text) {
        if (url == null || !url.startsWith("https://") && !url.startsWith("http://")) {
            return;
        }
        try {
            String json = JSON.writeValueAsString(Map.of("response_type", "ephemeral", "replace_original", false, "text", text));
            http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.discarding());
        } catch (Exception e) {
            LOG.warn("answering through response_url failed: {}", e.getMessage());
        }
    }
}
