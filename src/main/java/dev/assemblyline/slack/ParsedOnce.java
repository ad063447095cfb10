package dev.assemblyline.slack;

import com.google.gson.Gson;
import com.slack.api.SlackConfig;
import com.slack.api.methods.SlackApiException;
import com.slack.api.methods.SlackApiTextResponse;
import com.slack.api.methods.impl.MethodsClientImpl;
import com.slack.api.util.http.SlackHttpClient;
import com.slack.api.util.json.GsonFactory;
import java.io.IOException;
import okhttp3.FormBody;
import okhttp3.Response;

/**
 * Slack's own methods client, with one change: each answer is read by one {@link Gson} made once. The SDK
 * makes a new Gson for every answer, and a new Gson learns each response class again by reflection
 * (a {@code chat.postMessage} answer holds the whole message model); in the 200-service simulation that
 * was most of the outbox's CPU (docs/simulate.md). Requests, the 429 and HTTP error answers
 * ({@link SlackApiException}, with the response and its body) and the parsed objects are the SDK's.
 * The SDK's per-call metrics and response listeners are not run: this client turns the SDK's stats off.
 */
final class ParsedOnce extends MethodsClientImpl {
    private final SlackConfig config;
    private final Gson gson;

    ParsedOnce(SlackConfig config, SlackHttpClient http, String token) {
        super(http, token);
        this.config = config;
        this.gson = GsonFactory.createSnakeCase(config);
        setEndpointUrlPrefix(config.getMethodsEndpointUrlPrefix());
    }

    @Override
    protected <T extends SlackApiTextResponse> T postFormWithTokenAndParseResponse(FormBody.Builder form, String endpoint, String token,
                                                                                  Class<T> type) throws IOException, SlackApiException {
        try (Response response = runPostFormWithToken(form, endpoint, token)) {
            String body = response.body() == null ? "" : response.body().string();
            if (!response.isSuccessful()) {
                throw new SlackApiException(config, response, body);
            }
            T parsed = gson.fromJson(body, type);
            if (parsed == null) {
                throw new IOException("Slack answered " + endpoint + " with an empty body");
            }
            java.util.Map<String, java.util.List<String>> headers = new java.util.HashMap<>();
            response.headers().toMultimap().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
            parsed.setHttpResponseHeaders(headers);
            return parsed;
        }
    }
}
