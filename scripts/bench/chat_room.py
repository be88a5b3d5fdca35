"""The bench's Python chat room: tutorial 004's chat server with the broadcast fixed.

Written for scripts/bench.sh in the tutorials' style: a thread per client, one list of
clients behind one lock, and every conn.recv(BUFSIZ) forwarded to every *other* client
with one sendall() each (the tutorial sent each message back to its sender only). No
print per message, so the bench measures the room and not the log.

It speaks like lesson 5's chat-server as far as loadgen needs: a welcome line that ends
with a newline, each line a client sends goes out as `NAME: line` (NAME is the client's
address), and notices start with `* `. Run it, then load it from a second terminal:

    python3 scripts/bench/chat_room.py --port 9003
    cargo run --release -p loadgen -- chat --port 9003 --clients 20 --senders 2
"""
import socket
import threading

import baseline

PORT = 9003
BUFSIZ = 65536  # 64 KiB: a burst of lines is one recv() and one sendall() per client
MAX_LINE = 4096  # like chat-server: an endless line without newline is dropped
WELCOME = '欢迎来到聊天室!'  # tutorial 004's greeting, here with a newline at its end

clients = []  # every connection in the room
lock = threading.Lock()  # guards `clients`; held while sending, so lines never interleave


def broadcast(data, sender):
    """Sends data to every client but the sender. The lock is held while sending: two
    senders' bytes never mix on one socket, but a client that stops reading stalls the
    room (lesson 5's chat-server cuts such a client off instead)."""
    with lock:
        gone = []
        for client in clients:
            if client is not sender:
                try:
                    client.sendall(data)
                except OSError:
                    gone.append(client)
        for client in gone:  # after the loop: the tutorial removed while looping
            clients.remove(client)


def handle_client(conn, addr):
    name = f'[{addr[0]}]:{addr[1]}' if ':' in addr[0] else f'{addr[0]}:{addr[1]}'
    prefix = f'{name}: '.encode()
    with conn:
        with lock:  # the welcome comes before anything broadcast to this client
            conn.sendall(f'{WELCOME}\n* you are {name}\n'.encode())
            clients.append(conn)
        broadcast(f'* {name} joined\n'.encode(), conn)
        pending = b''  # the start of a line whose newline has not come yet
        try:
            while True:
                data = conn.recv(BUFSIZ)
                if not data:
                    break
                # Lines end with b'\n'; the last piece is an unfinished line, kept for later.
                *lines, pending = (pending + data).split(b'\n')
                if len(pending) > MAX_LINE:
                    pending = b''
                message = b''.join(prefix + line + b'\n' for line in lines if line)
                if message:
                    broadcast(message, conn)
        except OSError:
            pass  # reset by the client: it left
        with lock:
            if conn in clients:
                clients.remove(conn)
        broadcast(f'* {name} left\n'.encode(), conn)


def main():
    args = baseline.options(__doc__, PORT)
    with baseline.bound(args, socket.SOCK_STREAM) as s:
        try:
            while True:
                conn, addr = s.accept()
                # daemon: Ctrl-C ends the server without waiting for its clients.
                threading.Thread(target=handle_client, args=(conn, addr), daemon=True).start()
        except KeyboardInterrupt:  # Ctrl-C: stop cleanly, exit status 0
            print('server stopped')


if __name__ == '__main__':
    main()
