"""A real local web server for the image tests, in a process of its own
(this one's locks are green once eventlet is loaded): /missing is 404, /away
redirects to a host no test allows, /big is large, anything else is DATA
(with Range)."""
import contextlib
import http.server
import os
import subprocess
import sys

DATA = b'remote image bytes ' * 1000


class _Handler(http.server.BaseHTTPRequestHandler):
    def _headers(self):
        if self.path.split('?')[0] == '/missing':
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return None
        if self.path == '/away':
            self.send_response(302)
            self.send_header('Location', 'http://169.254.169.254/latest')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return None
        body = DATA * 60 if self.path == '/big' else DATA
        rng = self.headers.get('Range')
        if rng:
            start, _, end = rng.split('=')[1].partition('-')
            end = int(end) if end else len(DATA) - 1
            body = DATA[int(start):end + 1]
            self.send_response(206)
            self.send_header('Content-Range', 'bytes %s-%d/%d' % (start, end, len(DATA)))
        else:
            self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        return body

    def do_HEAD(self):
        self._headers()

    def do_GET(self):
        body = self._headers()
        if body is not None:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve():
    """Print the port, then serve until killed."""
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


@contextlib.contextmanager
def running():
    """The server's port, while it runs."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    server = subprocess.Popen(
        [sys.executable, '-c', 'from tests.unit.image.webserver import serve; serve()'],
        cwd=repo, stdout=subprocess.PIPE, text=True)
    try:
        yield int(server.stdout.readline())
    finally:
        server.kill()
        server.wait()
