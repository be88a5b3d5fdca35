//! `tls-echo-server --make-certs [DIR]`: the certificates of the lesson, made without openssl.
//!
//! Three certificates, each a public key with names and dates, signed:
//!
//! - a small local certificate authority (CA), which signs the other two. A client that trusts
//!   `ca.pem` trusts whatever it signed, and nothing else;
//! - the server's certificate, valid for the names a client on this machine connects to
//!   (`localhost`, `127.0.0.1`, `::1`);
//! - a client certificate, for mutual TLS (`tls-echo-server --client-ca`).
//!
//! The CA's private key is thrown away once the two are signed: nobody, not even you, can sign
//! another certificate that these clients would trust. Run `--make-certs` again for a new set.
//! A real CA (Let's Encrypt, a company's own) keeps its key in a safe place instead.
//!
//! Python's `ssl` module cannot make certificates; in Python one runs `openssl req ...` or the
//! `cryptography` package. Here `rcgen` does it, the generator of the rustls project.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use common::Failure;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// The folder and the files' names, shared with the client (`common::tls`).
pub use common::tls::{CA, CLIENT_CERT, CLIENT_KEY, DIR, SERVER_CERT, SERVER_KEY};

/// The names the server's certificate is valid for: every way a client on this machine can
/// name it (`--host localhost`, `127.0.0.1`, `::1`). A client connecting with any other name
/// refuses the certificate, which is the name check of the lesson.
const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How long the certificates are valid. A year, like many company certificates; a public CA's
/// last at most 398 days. When they expire the client says so, and how to make new ones.
const VALID_FOR: Duration = Duration::days(365);

/// Valid from an hour ago, not from this second: a machine whose clock is a little behind
/// would otherwise see a certificate that is "not valid yet".
const CLOCK_SKEW: Duration = Duration::hours(1);

/// Unix permissions of a private key: only its owner may read or write it (`chmod 600`).
#[cfg(unix)]
const KEY_MODE: u32 = 0o600;

/// Unix permissions of a certificate: public, anyone may read it (`chmod 644`).
#[cfg(unix)]
const CERT_MODE: u32 = 0o644;

/// Writes the CA, the server's and the client's certificates and keys into `dir`, and
/// returns the lines that tell the student what each file is. Existing files are never
/// overwritten: a key someone relies on is not replaced by accident.
pub fn make(dir: &Path) -> Result<Vec<String>, Failure> {
    let path = |name: &str| dir.join(name);
    for name in [CA, SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY] {
        if path(name).exists() {
            return Err(Failure::custom(
                format!("{} already exists", path(name).display()),
                Some(format!(
                    "to make new certificates, delete {} first (every client then needs the \
                     new ca.pem)",
                    dir.display()
                )),
                crate::TLS_FAILED,
            ));
        }
    }
    let not_before = OffsetDateTime::now_utc() - CLOCK_SKEW;
    let not_after = not_before + VALID_FOR;
    let failed = |error: rcgen::Error| {
        Failure::custom(
            format!("cannot make the certificates: {error}"),
            None,
            crate::TLS_FAILED,
        )
    };

    // The CA: a self-signed certificate whose only job is to sign others.
    let mut ca = CertificateParams::new(Vec::new()).map_err(failed)?;
    ca.distinguished_name
        .push(DnType::CommonName, "Rust Socket Lessons local CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0)); // it signs certificates, not CAs
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (ca.not_before, ca.not_after) = (not_before, not_after);
    let ca_key = KeyPair::generate().map_err(failed)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(failed)?;
    let issuer = Issuer::new(ca, ca_key);

    // The server's certificate: the names clients connect to, for server authentication.
    let leaf = |names: &[&str], common_name: &str, purpose| {
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![purpose];
        // Names the CA's key in the certificate: Python 3.13's strict checks want it.
        params.use_authority_key_identifier_extension = true;
        (params.not_before, params.not_after) = (not_before, not_after);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok::<_, rcgen::Error>((cert, key))
    };
    let (server_cert, server_key) = leaf(
        &SERVER_NAMES,
        "localhost",
        ExtendedKeyUsagePurpose::ServerAuth,
    )
    .map_err(failed)?;
    // The client's certificate: no host name (a client is not connected to), for client
    // authentication; its common name says who it is.
    let (client_cert, client_key) =
        leaf(&[], "tls-echo-client", ExtendedKeyUsagePurpose::ClientAuth).map_err(failed)?;
    drop(issuer); // the CA's key: never written anywhere

    std::fs::create_dir_all(dir).map_err(|error| cannot_write(dir, &error))?;
    let files = [
        (CA, ca_cert.pem(), false),
        (SERVER_CERT, server_cert.pem(), false),
        (SERVER_KEY, server_key.serialize_pem(), true),
        (CLIENT_CERT, client_cert.pem(), false),
        (CLIENT_KEY, client_key.serialize_pem(), true),
    ];
    for (name, pem, secret) in &files {
        write_new(&path(name), pem, *secret).map_err(|error| cannot_write(&path(name), &error))?;
    }

    let shown = |name: &str| path(name).display().to_string();
    let width = files.iter().map(|(name, ..)| shown(name).len()).max();
    let line =
        |name: &str, what: &str| format!("  {:<1$}  {what}", shown(name), width.unwrap_or(0));
    Ok(vec![
        format!("made a local CA and two certificates in {}:", dir.display()),
        line(
            CA,
            "the CA: clients trust what it signed (tls-echo-client --ca)",
        ),
        line(
            SERVER_CERT,
            "the server's certificate, for localhost, 127.0.0.1 and ::1",
        ),
        line(SERVER_KEY, "the server's private key, readable by you only"),
        line(
            CLIENT_CERT,
            "a client certificate (tls-echo-client --cert, for --client-ca)",
        ),
        line(CLIENT_KEY, "the client's private key, readable by you only"),
        format!(
            "valid until {}; the CA's own key was not kept",
            not_after.date()
        ),
    ])
}

/// Creates `path` (never over an existing file) and writes `pem` into it; a `secret` (a
/// private key) gets owner-only permissions from the moment the file exists, not after.
fn write_new(path: &Path, pem: &str, secret: bool) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { KEY_MODE } else { CERT_MODE });
    }
    #[cfg(not(unix))]
    let _ = secret; // Windows: a file in your profile is yours; there is no mode to set
    options.open(path)?.write_all(pem.as_bytes())
}

fn cannot_write(path: &Path, error: &io::Error) -> Failure {
    Failure::custom(
        format!(
            "cannot write {}: {}",
            path.display(),
            common::describe(error)
        ),
        None,
        crate::TLS_FAILED,
    )
}
