# A client that speaks length framing as a Python program would, written without any of the
# lessons' code: struct.pack('!I', n) before each message, sendall, and a recv loop that
# gathers exactly n bytes. It sends its messages back to back, then checks every answer of
# framing-server ("#N (L bytes) " and the message unchanged).
#
#     python3 length_client.py PORT
import socket
import struct
import sys

MESSAGES = [b'hello socket', b'', '你好'.encode(), b'\xff\xfe not UTF-8']


def receive_exactly(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(min(count - len(data), 2048))
        if not chunk:
            raise RuntimeError('the server closed the connection mid-frame')
        data += chunk
    return bytes(data)


def main():
    port = int(sys.argv[1])
    with socket.create_connection(('127.0.0.1', port)) as sock:
        for message in MESSAGES:
            sock.sendall(struct.pack('!I', len(message)) + message)
        for number, message in enumerate(MESSAGES, start=1):
            (length,) = struct.unpack('!I', receive_exactly(sock, 4))
            answer = receive_exactly(sock, length)
            expected = b'#%d (%d bytes) ' % (number, len(message)) + message
            if answer != expected:
                print('wrong answer', number, repr(answer))
                return 1
            print('answer', number, 'ok:', repr(answer))
    return 0


if __name__ == '__main__':
    sys.exit(main())
