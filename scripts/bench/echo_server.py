"""The bench's Python echo server: tutorial 004's echo server, a thread per client.

Written for scripts/bench.sh in the tutorials' style: conn.recv(BUFSIZ), then
conn.sendall(data), on a thread per client (the tutorial serves one client at a time),
and no print per message, so the bench measures the sockets and not the log.
Run it, then load it from a second terminal:

    python3 scripts/bench/echo_server.py --port 9001
    cargo run --release -p loadgen -- echo --port 9001 --connections 50
"""
import socket
import threading

import baseline

PORT = 9001
BUFSIZ = 65536  # 64 KiB, like the bench's Rust reference server (the tutorial reads 1024)


def handle_client(conn):
    """Sends back every byte until the client closes its side (or the connection breaks)."""
    with conn:
        try:
            while True:
                data = conn.recv(BUFSIZ)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass  # reset by the client: this client is done, the server goes on


def main():
    args = baseline.options(__doc__, PORT)
    with baseline.bound(args, socket.SOCK_STREAM) as s:
        try:
            while True:
                conn, addr = s.accept()
                # daemon: Ctrl-C ends the server without waiting for its clients.
                threading.Thread(target=handle_client, args=(conn,), daemon=True).start()
        except KeyboardInterrupt:  # Ctrl-C: stop cleanly, exit status 0
            print('server stopped')


if __name__ == '__main__':
    main()
