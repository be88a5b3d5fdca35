"""What the bench's Python baselines share: their options, and a socket bound with the
`listening on ADDR` line every lesson server prints first (the bench learns the port from it).
"""
import argparse
import signal
import socket


def options(doc, port):
    """--host and --port, like the lesson servers; Ctrl-C raises KeyboardInterrupt."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=port)
    args = parser.parse_args()
    # A script that starts this in the background (scripts/bench.sh) starts it with Ctrl-C
    # ignored, and then Python would not raise KeyboardInterrupt: ask for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return args


def bound(args, kind):
    """A socket of `kind` (SOCK_STREAM or SOCK_DGRAM) bound to --host and --port, listening
    if it is TCP, after printing where it is."""
    family = socket.AF_INET6 if ':' in args.host else socket.AF_INET
    s = socket.socket(family, kind)
    s.bind((args.host, args.port))
    if kind == socket.SOCK_STREAM:
        s.listen()
    host, port = s.getsockname()[:2]
    shown = f'[{host}]:{port}' if family == socket.AF_INET6 else f'{host}:{port}'
    udp = 'udp ' if kind == socket.SOCK_DGRAM else ''
    # flush: the bench reads this line through a pipe, where print() would hold it back.
    print(f'listening on {udp}{shown}', flush=True)
    return s
