//! Ctrl-C for async (tokio) programs: the async echo server (lesson 7) and loadgen.
//!
//! The blocking lessons use [`crate::Shutdown`], which needs no runtime. This module is only
//! compiled with the `async` feature, so the programs that do not use tokio do not link it.

use std::future::{Future, poll_fn};
use std::io;
use std::task::Poll;

use tokio::signal;

// ANCHOR: ctrl-c-from-now
/// Listens for Ctrl-C (and SIGTERM) from now on, and returns a future that completes when
/// one comes.
///
/// Futures are lazy: `signal::ctrl_c()` does nothing, not even install its handler, until it is
/// first polled. Until then Ctrl-C kills the process the old way. So it is polled once here,
/// before the server says `listening on`, and a Ctrl-C right after that line is caught too.
pub async fn ctrl_c_from_now() -> io::Result<impl Future<Output = ()>> {
    let mut ctrl_c = Box::pin(signal::ctrl_c());
    let pressed = match poll_fn(|context| Poll::Ready(ctrl_c.as_mut().poll(context))).await {
        Poll::Ready(result) => {
            result?; // the handler could not be installed
            true
        }
        Poll::Pending => false, // installed, and waiting: the usual case
    };
    // SIGTERM (what `kill`, systemd and Docker send) stops the server the same way. Unlike
    // `ctrl_c()`, `signal()` installs its handler at once. Windows has no SIGTERM.
    #[cfg(unix)]
    let mut terminate = signal::unix::signal(signal::unix::SignalKind::terminate())?;
    Ok(async move {
        if pressed {
            return;
        }
        #[cfg(unix)]
        tokio::select! {
            _ = ctrl_c => {} // after a first poll that installed it, it cannot fail
            _ = terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    })
}
// ANCHOR_END: ctrl-c-from-now

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Sends `signal` to this very process, as `kill -SIGNAL PID` would.
    fn raise(signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &std::process::id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// One test for both signals: the handlers belong to the whole process, and tests run on
    /// threads of one process.
    #[tokio::test]
    async fn listens_from_the_moment_it_returns_for_ctrl_c_and_sigterm() {
        for signal in ["INT", "TERM"] {
            let stopped = ctrl_c_from_now().await.expect("listening");
            // Sent before anything waits on the future: it must not be lost, nor kill us.
            raise(signal);
            tokio::time::timeout(Duration::from_secs(10), stopped)
                .await
                .unwrap_or_else(|_| panic!("SIG{signal} was not seen"));
        }
    }
}
