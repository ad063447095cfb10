#!/usr/bin/env python3
"""A stand-in for Slack's chat.postMessage with Slack's per-channel limit, for the outbox burst benchmark.

    fake-slack.py --port 9911 --log /tmp/slack-log.jsonl

Accepts at most one message per channel per second: a faster one gets 429 with Retry-After: 1, and every
10th request gets a 429 with Retry-After: 2 regardless. Each accepted message is appended to --log as
{"t": seconds, "channel", "text"}, so a checker can see nothing was lost, doubled or sent too fast.
"""
import argparse, json, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
last = {}
count = [0]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=9911)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    log = open(a.log, "a")

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if not self.path.endswith("/chat.postMessage"):
                return self.reply(200, {"ok": True, "messages": []})
            form = dict(urllib.parse.parse_qsl(body))
            now = time.time()
            with lock:
                count[0] += 1
                ch = form.get("channel", "?")
                if count[0] % 10 == 0:
                    return self.reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
                if ch in last and now - last[ch] < 1.0:
                    return self.reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                last[ch] = now
                log.write(json.dumps({"t": now, "channel": ch, "text": form.get("text")}) + "\n")
                log.flush()
            self.reply(200, {"ok": True, "channel": ch, "ts": "%.6f" % now})

        def reply(self, code, obj, headers=None):
            data = json.dumps(obj).encode()
            self.send_response(code)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer(("127.0.0.1", a.port), H).serve_forever()

if __name__ == "__main__":
    main()
