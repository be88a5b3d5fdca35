"""The bench's Python UDP server: tutorial 004's UDP server, as the tutorial writes it.

recvfrom(BUFSIZ), print a line for every datagram, answer with sendto(): the bench
compares the CPU this costs per datagram with lesson 4's udp-server, which prints a line
per datagram too. The one fix: bytes that are not UTF-8 are shown as '�' instead of
crashing the server. Run it, then load it from a second terminal:

    python3 scripts/bench/udp_server.py --port 9002
    cargo run --release -p loadgen -- udp --port 9002 --sockets 10
"""
import socket

import baseline

PORT = 9002
BUFSIZ = 1024


def main():
    args = baseline.options(__doc__, PORT)
    with baseline.bound(args, socket.SOCK_DGRAM) as s:
        try:
            while True:
                data, addr = s.recvfrom(BUFSIZ)
                print(f'收到来自 {addr} 的数据: {data.decode(errors="replace")}')
                resp = '收到您的消息!'.encode()
                s.sendto(resp, addr)
        except KeyboardInterrupt:  # Ctrl-C: stop cleanly, exit status 0
            print('server stopped')


if __name__ == '__main__':
    main()
