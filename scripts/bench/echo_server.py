"""The bench's Python echo server: tutorial 004's echo server, a thread per client.

Written for scripts/bench.sh in the tutorials' style: conn.recv(BUFSIZ), then
conn.sendall(data), on a thread per client (the tutorial serves one client at a time),
and no print per message, so the bench measures the sockets and not the log.
Run it, then load it from a second terminal:

    python3 scripts/bench/echo_server.py --port 9001
    cargo run --release -p loadgen -- echo --port 9001 --connections 50
"""
import argparse
import signal
import socket
import threading

HOST = '127.0.0.1'
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default=HOST)
    parser.add_argument('--port', type=int, default=PORT)
    args = parser.parse_args()
    # A script that starts this in the background (scripts/bench.sh) starts it with Ctrl-C
    # ignored, and then Python would not raise KeyboardInterrupt: ask for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    family = socket.AF_INET6 if ':' in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((args.host, args.port))
        s.listen()
        host, port = s.getsockname()[:2]
        shown = f'[{host}]:{port}' if family == socket.AF_INET6 else f'{host}:{port}'
        # flush: the bench reads this line through a pipe, where print() would hold it back.
        print(f'listening on {shown}', flush=True)
        try:
            while True:
                conn, addr = s.accept()
                # daemon: Ctrl-C ends the server without waiting for its clients.
                threading.Thread(target=handle_client, args=(conn,), daemon=True).start()
        except KeyboardInterrupt:  # Ctrl-C: stop cleanly, exit status 0
            print('server stopped')


if __name__ == '__main__':
    main()
