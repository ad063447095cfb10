package dev.assemblyline.slack;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.slack.api.Slack;
import com.slack.api.SlackConfig;
import com.slack.api.methods.MethodsClient;
import com.slack.api.methods.SlackApiException;
import com.slack.api.methods.response.chat.ChatPostMessageResponse;
import com.slack.api.util.http.SlackHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outbox's methods client reads Slack's answers as the SDK's own client does. */
class ParsedOnceTest {
    /** A chat.postMessage answer in Slack's documented shape: the posted message, blocks and metadata included. */
    static final String POSTED = """
            {"ok":true,"channel":"C123ABC456","ts":"1503435956.000247","message":{"type":"message","subtype":"bot_message",
             "text":"svc: READY_FOR_BUILD","ts":"1503435956.000247","username":"assembly","bot_id":"B123ABC456",
             "blocks":[{"type":"section","block_id":"b1","text":{"type":"mrkdwn","text":"*svc*: READY_FOR_BUILD"}}],
             "metadata":{"event_type":"assembly_outbox","event_payload":{"outbox_id":42}}},
             "response_metadata":{"warnings":["missing_charset"]},"warning":"missing_charset"}
            """;

    WireMockServer slack;
    SlackConfig config;

    @BeforeEach
    void start() {
        slack = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        slack.start();
        config = new SlackConfig();
        config.setStatsEnabled(false);
        config.setMethodsEndpointUrlPrefix(slack.baseUrl() + "/api/");
    }

    @AfterEach
    void stop() {
        slack.stop();
    }

    MethodsClient ours() {
        SlackHttpClient http = new SlackHttpClient(SlackHttpClient.buildOkHttpClient(config));
        http.setConfig(config);
        return new ParsedOnce(config, http, "xoxb-t");
    }

    @Test
    void answersAreTheSdksObjectsAndItsHeaders() throws Exception {
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).willReturn(okJson(POSTED).withHeader("X-Slack-Req-Id", "r-1")));
        MethodsClient sdk = Slack.getInstance(config).methods("xoxb-t");
        MethodsClient ours = ours();
        ChatPostMessageResponse expected = sdk.chatPostMessage(b -> b.channel("C123ABC456").text("svc: READY_FOR_BUILD"));
        for (int i = 0; i < 3; i++) { // read by the one Gson, call after call
            ChatPostMessageResponse got = ours.chatPostMessage(b -> b.channel("C123ABC456").text("svc: READY_FOR_BUILD"));
            assertThat(got).isEqualTo(expected);
            assertThat(got.getTs()).isEqualTo("1503435956.000247");
            assertThat(got.getMessage().getMetadata().getEventPayload()).containsEntry("outbox_id", 42.0);
            assertThat(got.getHttpResponseHeaders()).containsEntry("x-slack-req-id", java.util.List.of("r-1"));
        }
        // the request is the SDK's: the bot token as a Bearer header, the form as Slack takes it
        slack.verify(4, postRequestedFor(urlPathEqualTo("/api/chat.postMessage"))
                .withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.equalTo("Bearer xoxb-t"))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("channel=C123ABC456")));
    }

    @Test
    void aRefusalIsTheSdksExceptionWithTheResponse() throws Exception {
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")
                .withBody("{\"ok\":false,\"error\":\"ratelimited\"}")));
        assertThatThrownBy(() -> ours().chatPostMessage(b -> b.channel("C1").text("x"))).isInstanceOfSatisfying(SlackApiException.class, e -> {
            assertThat(e.getResponse().code()).isEqualTo(429);
            assertThat(e.getResponse().header("Retry-After")).isEqualTo("7");
            assertThat(e.getResponseBody()).contains("ratelimited");
        });
        slack.stubFor(post(urlPathEqualTo("/api/chat.update")).willReturn(okJson("{\"ok\":false,\"error\":\"message_not_found\"}")));
        assertThat(ours().chatUpdate(b -> b.channel("C1").ts("1.2").text("y")).getError()).as("an ok:false answer is parsed, not thrown")
                .isEqualTo("message_not_found");
    }
}
