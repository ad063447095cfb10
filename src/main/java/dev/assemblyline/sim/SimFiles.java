package dev.assemblyline.sim;

/**
 * What the simulated sessions write: a spec, a small Python HTTP service, its tests (passing, failing or
 * slow) and a deployment record. Real files, pushed with real git; the coordinator reads and runs them
 * as it would a team's. See docs/simulate.md.
 */
final class SimFiles {
    private SimFiles() {
    }

    static String readme(String service) {
        return "# " + service + "\n\nA service of the simulated team.\n";
    }

    /** A complete spec; {@code withoutCriteria} leaves out a section (the "incomplete spec" trouble). */
    static String spec(String service, int port, boolean withoutCriteria) {
        String s = "# " + service + "\n\nPort: " + port + "\n\n"
                + "## Purpose\n\nAnswers health checks and says hello for the simulated team's " + service + ".\n\n"
                + "## Requirements\n\n- `GET /health` answers 200 with `{\"status\": \"ok\"}`.\n- `GET /hello` greets.\n\n"
                + "## API Specs\n\n- `GET /health` → `{\"status\": \"ok\", \"service\": \"" + service + "\"}`\n"
                + "- `GET /hello` → `{\"greeting\": \"Hello from " + service + "\"}`\n\n"
                + "## Dependencies\n\n- None.\n\n";
        return withoutCriteria ? s : s + "## Success Criteria\n\n- Every route has a test; line coverage above 80%.\n";
    }

    /** The service: its routes are a plain function the tests call; the HTTP glue is not measured. */
    static String mainPy(String service) {
        return """
                import json
                import os
                from http.server import BaseHTTPRequestHandler, HTTPServer

                NAME = "%s"


                def route(path):
                    if path == "/health":
                        return 200, {"status": "ok", "service": NAME}
                    if path == "/hello":
                        return 200, {"greeting": "Hello from " + NAME}
                    return 404, {"error": "no route " + path}


                class Handler(BaseHTTPRequestHandler):  # pragma: no cover
                    def do_GET(self):
                        status, body = route(self.path.split("?")[0])
                        data = json.dumps(body).encode()
                        self.send_response(status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)

                    def log_message(self, *args):
                        pass


                def main():  # pragma: no cover
                    HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()


                if __name__ == "__main__":  # pragma: no cover
                    main()
                """.formatted(service);
    }

    /**
     * The tests: {@code failing} expects the wrong status (a bug the fix ticket corrects); {@code slowSeconds}
     * adds a test that takes that long (so a push can land while it runs); {@code revision} changes the tree.
     */
    static String testPy(boolean failing, double slowSeconds, int revision) {
        String t = "import time\n\nfrom src.main import route\n\n# revision " + revision + "\n\n\n"
                + "def test_health():\n    status, body = route(\"/health\")\n    assert status == " + (failing ? 201 : 200) + "\n"
                + "    assert body[\"status\"] == \"ok\"\n\n\n"
                + "def test_hello():\n    status, body = route(\"/hello\")\n    assert status == 200\n    assert \"Hello\" in body[\"greeting\"]\n\n\n"
                + "def test_unknown():\n    assert route(\"/nope\")[0] == 404\n";
        if (slowSeconds > 0) {
            t += "\n\ndef test_slow_path():\n    time.sleep(" + slowSeconds + ")\n    assert route(\"/health\")[0] == 200\n";
        }
        return t;
    }

    static String deployJson(int port) {
        return "{\"url\": \"http://127.0.0.1:" + port + "/health\"}\n";
    }
}
