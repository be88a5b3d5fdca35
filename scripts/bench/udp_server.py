"""The bench's Python UDP server: tutorial 004's UDP server, as the tutorial writes it.

recvfrom(BUFSIZ), print a line for every datagram, answer with sendto(): the bench
compares the CPU this costs per datagram with lesson 4's udp-server, which prints a line
per datagram too. The one fix: bytes that are not UTF-8 are shown as '�' instead of
crashing the server. Run it, then load it from a second terminal:

    python3 scripts/bench/udp_server.py --port 9002
    cargo run --release -p loadgen -- udp --port 9002 --sockets 10
"""
import argparse
import signal
import socket

HOST = '127.0.0.1'
PORT = 9002
BUFSIZ = 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default=HOST)
    parser.add_argument('--port', type=int, default=PORT)
    args = parser.parse_args()
    # A script that starts this in the background (scripts/bench.sh) starts it with Ctrl-C
    # ignored, and then Python would not raise KeyboardInterrupt: ask for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    family = socket.AF_INET6 if ':' in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((args.host, args.port))
        host, port = s.getsockname()[:2]
        shown = f'[{host}]:{port}' if family == socket.AF_INET6 else f'{host}:{port}'
        # flush: the bench reads this line through a pipe, where print() would hold it back.
        print(f'listening on udp {shown}', flush=True)
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
