"""The dataplane worker: a plain (not green) process that runs the Dataplane.

pyroute2 needs the real select and socket modules, which eventlet replaces
in the engine; so under eventlet the driver runs the Dataplane here and
talks to it over a socket pair: one request, one reply, each a 4-byte
length and a JSON body. The worker leaves when its parent closes the socket
(or dies); the daemons it started stay, and the next worker's first sync
adopts them.
"""
import argparse
import ctypes
import json
import logging
import signal
import socket
import struct
import sys
import traceback

PR_SET_PDEATHSIG = 1
_HEADER = struct.Struct('!I')


def send(sock, obj):
    data = json.dumps(obj).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def recv(sock):
    header = _recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    body = _recv_exactly(sock, size)
    if body is None:
        raise EOFError('the dataplane connection closed mid-message')
    return json.loads(body)


def _recv_exactly(sock, size):
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            if left == size and not chunks:
                return None
            raise EOFError('the dataplane connection closed mid-message')
        chunks.append(chunk)
        left -= len(chunk)
    return b''.join(chunks)


def serve(sock):
    from cloudstack.network.drivers.linuxbridge import dataplane
    from cloudstack.network.drivers.linuxbridge import plan

    first = recv(sock)
    if first is None:
        return
    dp = dataplane.Dataplane(plan.Settings(**first['settings']))
    send(sock, {'result': 'ready'})
    try:
        while True:
            request = recv(sock)
            if request is None:
                return
            try:
                if request['op'] == 'sync':
                    reply = {'result': dp.sync(request['state'])}
                elif request['op'] == 'ping':
                    reply = {'result': 'pong'}
                else:
                    reply = {'error': 'unknown operation %r' % request['op']}
            except Exception as e:     # noqa: BLE001 (reported to the driver)
                logging.getLogger(__name__).exception('dataplane %s failed', request['op'])
                reply = {'error': '%s: %s' % (type(e).__name__, e),
                         'traceback': traceback.format_exc()}
            send(sock, reply)
    finally:
        dp.close()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--fd', type=int, required=True)
    parser.add_argument('--debug', action='store_true')
    args = parser.parse_args(argv)
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, stream=sys.stderr,
                        format='%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s')
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(True)          # a green parent made it non-blocking
    try:
        serve(sock)
    finally:
        sock.close()


if __name__ == '__main__':
    main()
