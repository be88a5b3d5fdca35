//! The TLS lesson's certificate files (feature `tls`), for `tls-echo-server` and
//! `tls-echo-client`: their names, and reading them from PEM, with one clear line (and the
//! command that makes them) when a file is missing or is not what it should be.

use std::io;
use std::path::Path;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Failure, exit_code};

/// Where `tls-echo-server --make-certs` writes, and where the server and the client look by
/// default: a folder in the current directory (the workspace, with `cargo run`). Git ignores
/// it: private keys do not belong in a repository.
pub const DIR: &str = "certs";

/// The files, named as the lesson page names them.
pub const CA: &str = "ca.pem";
pub const SERVER_CERT: &str = "server.pem";
pub const SERVER_KEY: &str = "server-key.pem";
pub const CLIENT_CERT: &str = "client.pem";
pub const CLIENT_KEY: &str = "client-key.pem";

/// Reads the certificates in a PEM file (Python reads them inside `load_cert_chain` and
/// `create_default_context`); `what` names them in an error, "the server's certificate".
pub fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| cannot_read(path, what, error))?;
    if certs.is_empty() {
        return Err(cannot_read(path, what, pem::Error::NoItemsFound));
    }
    Ok(certs)
}

/// Reads the private key in a PEM file; `what` names it in an error.
pub fn load_key(path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, Failure> {
    PrivateKeyDer::from_pem_file(path).map_err(|error| cannot_read(path, what, error))
}

/// A certificate or key file that cannot be used. A missing file in `certs/`, or with one of
/// the names `--make-certs` writes, most likely means the certificates were never made: the
/// hint is the command that makes them.
fn cannot_read(path: &Path, what: &str, error: pem::Error) -> Failure {
    let why = match &error {
        pem::Error::Io(error) => crate::describe(error),
        pem::Error::NoItemsFound => "no PEM block of that kind in it".into(),
        other => format!("not a PEM file ({other})"),
    };
    let missing =
        matches!(&error, pem::Error::Io(error) if error.kind() == io::ErrorKind::NotFound);
    let made_by_us = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| [CA, SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY].contains(&name));
    let hint = if missing && (made_by_us || path.starts_with(DIR)) {
        let dir = path.parent().unwrap_or(Path::new(""));
        let dir = match dir.to_str() {
            Some("" | DIR) => String::new(),
            _ => format!(" {}", dir.display()),
        };
        format!("make the certificates first: cargo run -p tls-echo-server -- --make-certs{dir}")
    } else if missing {
        "check the file name".into()
    } else {
        "give a PEM file as tls-echo-server --make-certs writes them".into()
    };
    Failure::custom(
        format!("cannot read {what} {}: {why}", path.display()),
        Some(hint),
        exit_code::TLS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_lesson_file_names_the_command_that_makes_it() {
        let failure = load_certs(Path::new("certs/ca.pem"), "the CA certificate")
            .expect_err("no such file here")
            .to_string();
        assert!(
            failure.starts_with("error: cannot read the CA certificate certs/ca.pem: ")
                && failure.ends_with(
                    "make the certificates first: cargo run -p tls-echo-server -- --make-certs"
                ),
            "{failure}"
        );
        let elsewhere = load_key(Path::new("/nowhere/keys/server-key.pem"), "the key")
            .expect_err("no such file")
            .to_string();
        assert!(
            elsewhere.ends_with("--make-certs /nowhere/keys"),
            "{elsewhere}"
        );
        let other = load_key(Path::new("/nowhere/mine.pem"), "the key")
            .expect_err("no such file")
            .to_string();
        assert!(other.ends_with("check the file name"), "{other}");
    }
}
