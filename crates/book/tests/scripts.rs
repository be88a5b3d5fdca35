//! The classroom scripts do what the README says: `scripts/demo.sh` puts a lesson's server and
//! client side by side in tmux, or prints the two commands where tmux is missing.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{DEADLINE, TempDir, workspace_root};

/// Where a tool is on this machine's PATH.
fn tool(name: &str) -> String {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output();
    String::from_utf8_lossy(&found.expect("command -v").stdout)
        .trim()
        .to_string()
}

fn demo(args: &[&str], configure: impl FnOnce(&mut Command)) -> Output {
    // By its full path, so that a test can give the script a PATH without bash on it.
    let mut command = Command::new(tool("bash"));
    command
        .arg(workspace_root().join("scripts/demo.sh"))
        .args(args)
        .env_remove("TMUX");
    configure(&mut command);
    command.output().expect("run scripts/demo.sh")
}

#[test]
fn demo_lists_lessons_and_rejects_unknown_ones() {
    let help = demo(&["--help"], |_| {});
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Lessons: echo"));
    let unknown = demo(&["nope"], |_| {});
    assert_eq!(unknown.status.code(), Some(2));
    let error = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        error.starts_with("error: unknown lesson 'nope'; one of: echo "),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn demo_without_tmux_prints_the_two_commands() {
    // A PATH with the tools the script needs, and no tmux.
    let bin = TempDir::new("no-tmux");
    for name in ["cat", "dirname", "sed"] {
        std::os::unix::fs::symlink(tool(name), bin.path().join(name)).expect("link tool");
    }
    let output = demo(&["echo"], |c| {
        c.env("PATH", bin.path());
    });
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("tmux is not installed"), "{text}");
    assert!(
        text.contains("  left:   cargo run -q -p echo-server\n"),
        "{text}"
    );
    assert!(
        text.contains("  right:  cargo run -q -p echo-client\n"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn demo_of_framing_without_tmux_prints_server_tap_and_client() {
    let bin = TempDir::new("no-tmux-framing");
    for name in ["cat", "dirname", "sed"] {
        std::os::unix::fs::symlink(tool(name), bin.path().join(name)).expect("link tool");
    }
    let output = demo(&["framing"], |c| {
        c.env("PATH", bin.path()).env("PORT", "4000");
    });
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.ends_with(
            "  left:   cargo run -q -p framing-server -- --framing none --port 4000\n\
             \x20 tap:    cargo run -q -p wiretap -- --to 127.0.0.1:4000\n\
             \x20 right:  cargo run -q -p framing-client -- --framing none --port 9100\n"
        ),
        "{text}"
    );
}

/// A tmux server of the test's own (its socket in a scratch folder), killed when dropped.
struct Tmux {
    folder: TempDir,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", self.folder.path())
            .env_remove("TMUX")
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Polls a pane until it shows `text`; fails with the pane's content after the deadline.
    fn wait_for(&self, pane: &str, text: &str) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let screen = self.run(&["capture-pane", "-p", "-t", pane]);
            if screen.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "pane {pane} never showed {text:?}:\n{screen}"
            );
            thread::sleep(Duration::from_millis(100)); // polling a screen, not synchronising
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn has_tmux() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok();
    testkit::can_run("tmux", found, "tmux is not installed")
}

#[test]
fn demo_runs_server_and_client_side_by_side_in_tmux() {
    if !has_tmux() {
        return;
    }
    let tmux = Tmux {
        folder: TempDir::new("tmux"),
    };
    let port = free_port();
    let output = demo(&["--detach", "echo"], |c| {
        c.env("PORT", port.to_string())
            .env("DEMO_SESSION", "demo")
            .env("TMUX_TMPDIR", tmux.folder.path());
    });
    assert!(output.status.success(), "{output:?}");

    tmux.wait_for("demo.0", &format!("listening on 127.0.0.1:{port}"));
    tmux.run(&["send-keys", "-t", "demo.1", "Enter"]);
    tmux.wait_for("demo.1", "请输入数据:"); // capture-pane drops the trailing space
    tmux.run(&["send-keys", "-t", "demo.1", "hello projector", "Enter"]);
    tmux.wait_for("demo.1", "收到服务器响应: hello projector");
    tmux.wait_for("demo.0", "received 15 bytes from 127.0.0.1:");
    tmux.run(&["send-keys", "-t", "demo.0", "C-c"]);
    tmux.wait_for("demo.0", "server stopped");
}

#[test]
fn demo_of_framing_puts_the_tap_between_server_and_client() {
    if !has_tmux() {
        return;
    }
    let tmux = Tmux {
        folder: TempDir::new("tmux-framing"),
    };
    let (port, tap_port) = (free_port(), free_port());
    let output = demo(&["--detach", "framing"], |c| {
        c.env("PORT", port.to_string())
            .env("TAP_PORT", tap_port.to_string())
            .env("DEMO_SESSION", "demo")
            .env("TMUX_TMPDIR", tmux.folder.path());
    });
    assert!(output.status.success(), "{output:?}");
    // Panes: 0 the server (left), 1 the tap (top right), 2 the client (bottom right).
    tmux.wait_for("demo.0", &format!("listening on 127.0.0.1:{port}"));
    tmux.wait_for("demo.1", &format!("listening on 127.0.0.1:{tap_port}"));
    tmux.run(&["send-keys", "-t", "demo.2", "Enter"]);
    tmux.wait_for("demo.2", "framing: none");
    tmux.run(&["send-keys", "-t", "demo.2", "hello projector", "Enter"]);
    tmux.wait_for("demo.1", "client -> server");
    tmux.wait_for("demo.0", "15 bytes: \"hello projector\"");
    tmux.wait_for("demo.2", "answer 1");
    for pane in ["demo.0", "demo.1"] {
        tmux.run(&["send-keys", "-t", pane, "C-c"]);
        tmux.wait_for(pane, "server stopped");
    }
}
