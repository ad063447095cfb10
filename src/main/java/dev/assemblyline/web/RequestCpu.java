package dev.assemblyline.web;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The CPU time the coordinator's HTTP threads spend on each kind of request, in {@code /metrics} as
 * {@code assembly_http_cpu_seconds_total{kind=...}} with {@code assembly_http_requests_total}: serving git
 * (fetches and pushes), the REST API, MCP, Slack, webhooks and the dashboard. It answers "where does the
 * coordinator's CPU go" without a profiler (docs/simulate.md). Work a request hands to other threads (an
 * MCP call's tool runs on the SDK's scheduler) is not in it.
 */
public final class RequestCpu implements Filter {
    /** What a request is, from its path. */
    public enum Kind {
        GIT_FETCH, GIT_PUSH, API, MCP, SLACK, WEBHOOK, DASHBOARD;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        static Kind of(String path, String query) {
            if (path.startsWith("/git/")) {
                boolean push = path.endsWith("/git-receive-pack") || query != null && query.contains("service=git-receive-pack");
                return push ? GIT_PUSH : GIT_FETCH;
            }
            if (path.startsWith("/api/")) {
                return API;
            }
            if (path.equals("/mcp") || path.startsWith("/mcp/")) {
                return MCP;
            }
            if (path.startsWith("/slack/")) {
                return SLACK;
            }
            if (path.startsWith("/webhooks/")) {
                return WEBHOOK;
            }
            return DASHBOARD;
        }
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final boolean measured = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
    private final Map<Kind, LongAdder> nanos = new EnumMap<>(Kind.class);
    private final Map<Kind, LongAdder> requests = new EnumMap<>(Kind.class);

    public RequestCpu(MeterRegistry registry) {
        for (Kind k : Kind.values()) {
            nanos.put(k, new LongAdder());
            requests.put(k, new LongAdder());
            if (measured) {
                FunctionCounter.builder("assembly_http_cpu_seconds", nanos.get(k), a -> a.sum() / 1e9)
                        .description("CPU time of the HTTP threads on requests of this kind").tag("kind", k.tag()).register(registry);
            }
            FunctionCounter.builder("assembly_http_requests", requests.get(k), LongAdder::sum)
                    .description("HTTP requests of this kind").tag("kind", k.tag()).register(registry);
        }
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
        Kind kind = req instanceof HttpServletRequest h ? Kind.of(h.getRequestURI(), h.getQueryString()) : Kind.DASHBOARD;
        long t0 = measured ? threads.getCurrentThreadCpuTime() : 0;
        try {
            chain.doFilter(req, resp);
        } finally {
            requests.get(kind).increment();
            if (measured) {
                nanos.get(kind).add(threads.getCurrentThreadCpuTime() - t0);
            }
        }
    }
}
