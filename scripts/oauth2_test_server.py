"""An OAuth2 token-introspection endpoint (RFC 7662) for the tests, on loopback, that
Dovecot's oauth2 passdb asks whether an XOAUTH2 token is valid. A token is valid when
TOKENS/<token> exists; the file holds the user name it belongs to. Tests create their
own token files, so each test has its own token.

Usage: oauth2_test_server.py PORT TOKENS
"""

import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(tokens_dir):
    class IntrospectionHandler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
            token = form.get("token", [""])[0]
            self.answer(introspect(tokens_dir, token))

        def answer(self, document):
            body = json.dumps(document).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            sys.stderr.write("%s\n" % (format % args))

    return IntrospectionHandler


def introspect(tokens_dir, token):
    # A token names a file directly in TOKENS, never a path elsewhere.
    if not token or os.path.basename(token) != token or token.startswith("."):
        return {"active": False}
    try:
        with open(os.path.join(tokens_dir, token), encoding="utf-8") as file:
            username = file.read().strip()
    except FileNotFoundError:
        return {"active": False}
    return {"active": True, "username": username}


def main():
    port, tokens_dir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(tokens_dir, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(tokens_dir))
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
