"""The fake hypervisor's serial consoles: per guest, a listening socket in the
agent's process that behaves like a terminal on the guest's first serial port
with a getty on it: typed characters are echoed, Enter ends the line and the
login prompt comes again (nobody ever logs in).

As with fake_vnc, the guest is fake but the path is real: the API's token,
the console proxy's websocket and its TCP connection to the "serial port"."""
import logging

LOG = logging.getLogger(__name__)
ENDS = b'\r\n'
ERASE = b'\x08\x7f'


def prompt(hostname):
    return b'\r\n' + hostname.encode() + b' login: '


def serve_client(conn, hostname):
    """One client until it leaves, as a line-buffered echoing terminal."""
    line = bytearray()
    last = None
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            out = bytearray()
            for byte in data:
                if byte in ENDS:
                    if not (last == ord('\r') and byte == ord('\n')):
                        out += prompt(hostname)
                        line.clear()
                elif byte in ERASE:
                    if line:
                        line.pop()
                        out += b'\x08 \x08'
                else:
                    line.append(byte)
                    out.append(byte)
                last = byte
            if out:
                conn.sendall(bytes(out))
    except OSError:
        pass
    finally:
        conn.close()
