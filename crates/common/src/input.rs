//! Python's `input(prompt)` for the lesson clients.

use std::io::{self, BufRead, IsTerminal, StdinLock, Write};

use crate::{Failure, strip_line_end};

/// Lines from standard input. When a person is typing, each line is asked for with the
/// tutorial's prompt; when the input is a pipe or a file, there is no prompt, so a client can
/// be scripted: `printf 'hello\n' | cargo run -p echo-client`.
pub struct Prompt {
    prompt: &'static str,
    interactive: bool,
    stdin: StdinLock<'static>,
    line: Vec<u8>,
}

impl Prompt {
    /// Reads standard input, showing `prompt` before each line if a person is typing.
    pub fn new(prompt: &'static str) -> Prompt {
        let stdin = io::stdin();
        Prompt {
            prompt,
            interactive: stdin.is_terminal(),
            stdin: stdin.lock(),
            line: Vec::new(),
        }
    }

    /// Reads standard input line by line and shows no prompt of its own: for a program that
    /// draws its prompt itself (the chat client, whose prompt shares the screen with lines
    /// that arrive while you type). Ctrl-D still ends the prompt's line when a person types.
    pub fn drawn_by_caller() -> Prompt {
        Prompt::new("")
    }

    /// The next line, without its line end, or `None` at the end of the input (Ctrl-D, or the
    /// end of a piped file). Bytes that are not UTF-8 are kept as they are.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, Failure> {
        let cannot_read = |error: io::Error| Failure::new("cannot read the input", &error);
        if self.interactive && !self.prompt.is_empty() {
            print!("{}", self.prompt);
            io::stdout().flush().map_err(cannot_read)?;
        }
        self.line.clear();
        if self
            .stdin
            .read_until(b'\n', &mut self.line)
            .map_err(cannot_read)?
            == 0
        {
            if self.interactive {
                println!(); // end the prompt's line, so the shell's prompt starts on its own
            }
            return Ok(None);
        }
        Ok(Some(strip_line_end(&self.line)))
    }
}
