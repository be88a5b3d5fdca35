//! The lessons' ports, declared once: every program's `DEFAULT_PORT` comes from here, and so do
//! loadgen's defaults and its hints.
//!
//! Each lesson keeps the port its tutorial uses, so a program reads like its Python original,
//! and no two lessons share one: a whole class can run every lesson at once.

/// Lesson 1, TCP echo: `echo-server` and `echo-client`, the port tutorial 004 uses (and the
/// bench's `reference-echo`, so that `loadgen echo` finds it without `--port`).
pub const ECHO: u16 = 9001;

/// Lesson 2, the timestamp server: `ctime-server` and `ctime-client`, the port tutorial 003
/// uses (tutorial 001 uses 9999).
pub const CTIME: u16 = 8080;

/// Lesson 3, receive until the peer closes: `oneshot-server` and `oneshot-client`, the port
/// tutorial 002 uses.
pub const ONESHOT: u16 = 8000;

/// Lesson 4, UDP: `udp-server` and `udp-client`, the port tutorial 004 uses.
pub const UDP: u16 = 9002;

/// Lesson 5, the chat room: `chat-server` and `chat-client`, the port tutorial 004 uses.
pub const CHAT: u16 = 9003;

/// Lesson 7, async echo with tokio: `async-echo-server` and `async-echo-client`, the port
/// tutorial 004's asyncio server uses.
pub const ASYNC_ECHO: u16 = 8888;

/// Message boundaries (粘包): `framing-server` and `framing-client`. No tutorial program uses
/// it; it is the first free port after the tutorials' 9001-9003.
pub const FRAMING: u16 = 9004;

/// Non-blocking sockets: `poll-chat-server`, the chat room served by one thread. Its own port,
/// so that it can run beside lesson 5's `chat-server` (9003) and be compared with it.
pub const POLL_CHAT: u16 = 9005;

/// `wiretap`, the tap that shows the bytes between any lesson's client and server. Away from
/// the lessons' ports, so that it can sit in front of any of them.
pub const WIRETAP: u16 = 9100;

/// TLS: `tls-echo-server` and `tls-echo-client`. 9443 is the usual stand-in for HTTPS's 443,
/// which needs no administrator rights to bind.
pub const TLS_ECHO: u16 = 9443;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_has_a_port_of_its_own() {
        let mut ports = [
            ECHO, CTIME, ONESHOT, UDP, CHAT, ASYNC_ECHO, FRAMING, POLL_CHAT, WIRETAP, TLS_ECHO,
        ];
        ports.sort_unstable();
        let before = ports.len();
        let mut distinct = ports.to_vec();
        distinct.dedup();
        assert_eq!(distinct.len(), before, "{ports:?}");
    }
}
