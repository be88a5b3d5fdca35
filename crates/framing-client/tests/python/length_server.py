# A server that speaks length framing as a Python program would, written without any of the
# lessons' code: a recv loop for the 4-byte header, struct.unpack('!I'), a recv loop for the
# message, and struct.pack('!I', n) + sendall for the answer ("#N (L bytes) " and the
# message, as framing-server answers). It prints its port, serves one client, and exits.
#
#     python3 length_server.py
import socket
import struct
import sys


def receive_exactly(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return bytes(data)  # the end of the stream: the caller tells clean from cut
        data += chunk
    return bytes(data)


def main():
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen()
        print('listening on 127.0.0.1:%d' % listener.getsockname()[1], flush=True)
        conn, _ = listener.accept()
        with conn:
            number = 0
            while True:
                header = receive_exactly(conn, 4)
                if not header:
                    break
                (length,) = struct.unpack('!I', header)
                message = receive_exactly(conn, length)
                number += 1
                answer = b'#%d (%d bytes) ' % (number, len(message)) + message
                conn.sendall(struct.pack('!I', len(answer)) + answer)
        print('served', number, 'messages', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
