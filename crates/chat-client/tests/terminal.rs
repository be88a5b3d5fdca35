//! What a person sees: chat-client in a terminal (a pseudo-terminal that Python's `pty`
//! module opens, driven by `tests/terminal.py`), against the real chat-server. The prompt
//! shares the screen with the room's lines, so where it is drawn is part of what the client
//! promises: once, under the last line, and never again once the client leaves.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use testkit::{Proc, binary, mask_ports};

/// Tutorial 004's prompt, as the client shows it.
const PROMPT: &str = "请输入消息(输入q退出): ";

/// Runs chat-client in a terminal for the server at `addr`, through `steps` (see
/// terminal.py); returns the screen's lines, the `* you are` line masked, and `exit N`.
fn in_a_terminal(addr: SocketAddr, steps: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/terminal.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(steps)
        .arg(binary("chat-client"))
        .args(["--port", &addr.port().to_string()])
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "terminal.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let screen = String::from_utf8_lossy(&output.stdout);
    let screen = mask_ports(&screen, addr.port(), 9003);
    screen
        .lines()
        .map(|line| match line.find("* you are ") {
            Some(_) => "* you are ...".to_string(),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_prompt_is_drawn_once_and_not_again_after_q() {
    if !testkit::has_python3() {
        return;
    }
    let (_server, addr) = Proc::start_server("chat-server", &[]);
    let steps =
        format!("wait:* you are |wait:{PROMPT}|type:hello|wait:{PROMPT}hello\r\n{PROMPT}|type:q");
    let screen = in_a_terminal(addr, &steps);
    assert_eq!(
        screen,
        format!(
            "connected to 127.0.0.1:9003\n欢迎来到聊天室!\n* you are ...\n\
             {PROMPT}hello\n{PROMPT}q\n\nexit 0"
        )
    );
}

#[test]
fn after_the_servers_goodbye_the_prompt_is_gone_and_the_exit_is_0() {
    if !testkit::has_python3() {
        return;
    }
    let (server, addr) = Proc::start_server("chat-server", &[]);
    // The server stops once the client is in the room and has drawn its prompt.
    let steps = format!("wait:* you are |wait:{PROMPT}|interrupt:{}", server.pid());
    let watching = in_a_terminal(addr, &steps);
    let stopped = server.finish();
    assert_eq!(stopped.code(), Some(0), "{stopped:?}");
    assert_eq!(
        watching,
        "connected to 127.0.0.1:9003\n欢迎来到聊天室!\n* you are ...\n\
         * the server is shutting down, goodbye\n\nexit 0"
    );
}
