"""A local HTTP server that receives webhooks in a test: it records each request and answers
the status codes it is given, in turn (then 200)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, answers: list[int] | None = None):
        self.received: list[tuple[dict, bytes, int]] = []
        self.answers = list(answers or [])
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()
                with receiver.arrived:
                    receiver.received.append((dict(self.headers), body, status))
                    receiver.arrived.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float, while_waiting=None) -> list[tuple[dict, bytes, int]]:
        """Waits until `count` requests arrived; `while_waiting` runs between looks (the sweep)."""
        with self.arrived:
            for _ in range(int(timeout)):
                if len(self.received) >= count:
                    break
                self.arrived.wait(1)
                if while_waiting is not None:
                    while_waiting()
            assert len(self.received) >= count, f"{len(self.received)} of {count} webhook requests arrived"
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
