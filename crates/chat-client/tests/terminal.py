"""Runs a program in a pseudo-terminal, as if a person typed, and prints the screen it leaves.

    python3 terminal.py STEPS PROGRAM [ARGS...]

STEPS is a list of steps separated by '|': 'wait:TEXT' waits (at most 30 s) until TEXT has
appeared on the terminal, 'type:TEXT' types TEXT and Enter, 'interrupt:PID' sends SIGINT
(Ctrl-C) to another process, such as the server. After the last step the program
runs until it exits; then the lines of the screen are printed, followed by 'exit N'.
The screen understands what the chat client writes: '\\r', '\\n' and 'erase line' (ESC [2K).
"""

import os
import pty
import select
import signal
import sys
import time

DEADLINE = 30.0

steps, program = sys.argv[1], sys.argv[2:]
pid, terminal = pty.fork()
if pid == 0:
    os.execv(program[0], program)

seen = b""


def read_more(until):
    """Reads what the program wrote, until `until` (a time.monotonic()); False at its end."""
    global seen
    left = until - time.monotonic()
    if left <= 0:
        sys.exit("timed out; the terminal shows %r" % seen)
    ready, _, _ = select.select([terminal], [], [], left)
    if not ready:
        return True
    try:
        chunk = os.read(terminal, 4096)
    except OSError:  # EIO: the program exited and closed the terminal
        chunk = b""
    seen += chunk
    return bool(chunk)


for step in steps.split("|"):
    kind, text = step.split(":", 1)
    if kind == "wait":
        until = time.monotonic() + DEADLINE
        while text.encode() not in seen:
            if not read_more(until):
                sys.exit("the program ended before %r appeared: %r" % (text, seen))
    elif kind == "type":
        os.write(terminal, text.encode() + b"\r")
    elif kind == "interrupt":
        os.kill(int(text), signal.SIGINT)
    else:
        sys.exit("unknown step %r" % step)

until = time.monotonic() + DEADLINE
while read_more(until):
    pass
_, status = os.waitpid(pid, 0)

lines, line, column = [], [], 0
text = seen.decode("utf-8", "replace").replace("\x1b[2K", "\x00")
for char in text:
    if char == "\n":
        lines.append("".join(line))
        line, column = [], 0
    elif char == "\r":
        column = 0
    elif char == "\x00":
        line = []
        column = 0
    else:
        if column < len(line):
            line[column] = char
        else:
            line.append(char)
        column += 1
lines.append("".join(line))
for shown in lines:
    print(shown)
print("exit", os.waitstatus_to_exitcode(status))
