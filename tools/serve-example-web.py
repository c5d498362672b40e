#!/usr/bin/python3
"""Serves examples/web over HTTPS for the dev run and the browser test.

Static files of examples/web, plus /dev-config.json (the gateway URL and a
dev user's token, written by scripts/run-dev.sh into .dev/, never committed)
when --page-config is given. Prints one line {"port": N} once listening, so
callers can use port 0. For local development only.
"""
import argparse
import functools
import http.server
import json
import pathlib
import ssl
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "web"


class Handler(http.server.SimpleHTTPRequestHandler):
    page_config = None  # path of the dev config file, or None
    quiet = False

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        if self.path.split("?", 1)[0] != "/dev-config.json":
            return super().do_GET()
        if self.page_config is None:
            return self.send_error(404)
        body = pathlib.Path(self.page_config).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class TLSServer(http.server.ThreadingHTTPServer):
    """Does each TLS handshake on the connection's own thread, with a
    deadline, so that a browser's idle preconnect never blocks accept()."""

    daemon_threads = True

    def __init__(self, address, handler, context):
        super().__init__(address, handler)
        self.context = context

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        self.RequestHandlerClass(tls, client_address, self)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:8000", help="HOST:PORT (default 127.0.0.1:8000)")
    parser.add_argument("--cert", required=True, help="server certificate (PEM)")
    parser.add_argument("--key", required=True, help="its private key (PEM)")
    parser.add_argument("--page-config", help="JSON file served as /dev-config.json")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    Handler.page_config = args.page_config
    Handler.quiet = args.quiet
    Handler.extensions_map = {**Handler.extensions_map, ".js": "text/javascript", ".mjs": "text/javascript"}
    handler = functools.partial(Handler, directory=str(ROOT))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server = TLSServer((host.strip("[]"), int(port)), handler, context)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
