//! Certificates for the TLS tests, shared by tls-echo-server's and tls-echo-client's tests
//! (the client's include this file by path): the lesson's own, made by the real
//! `tls-echo-server --make-certs`, and ones the program never makes (expired, from another
//! CA, for another name), made here with rcgen.

#![allow(dead_code)] // each test file uses a part

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// A folder under cargo's temporary directory for integration tests, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty folder; `name` keeps tests that run at the same time apart.
    pub fn new(name: &str) -> TempDir {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{}-{name}-{}",
            env!("CARGO_PKG_NAME"),
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path of `name` in this folder, as an argument for a program.
    pub fn file(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("a UTF-8 path")
            .to_string()
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        fs::write(self.0.join(name), text).expect("write a test file");
        self.file(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The lesson's certificates (`ca.pem`, `server.pem`, ...), made in a fresh folder by the real
/// `tls-echo-server --make-certs`.
pub fn lesson_certs(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    let certs = dir.file("certs");
    let made = testkit::run("tls-echo-server", &["--make-certs", &certs], b"");
    assert_eq!(made.code(), Some(0), "{made:?}");
    dir
}

/// Paths of the lesson's files in a folder made by [`lesson_certs`].
pub fn cert(dir: &TempDir, name: &str) -> String {
    dir.file(&format!("certs/{name}"))
}

/// A certificate authority of the tests' own: not the one `--make-certs` made.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
}

/// When a certificate is valid.
#[derive(Clone, Copy)]
pub enum Validity {
    Now,
    /// Expired 10 days ago.
    Expired,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::new()).expect("CA params");
        params
            .distinguished_name
            .push(DnType::CommonName, "another CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let key = KeyPair::generate().expect("CA key");
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        TestCa {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A certificate and its key, both PEM, for `names`, for a server or for a client.
    pub fn issue(&self, names: &[&str], client: bool, validity: Validity) -> (String, String) {
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        params.use_authority_key_identifier_extension = true;
        let now = OffsetDateTime::now_utc();
        (params.not_before, params.not_after) = match validity {
            Validity::Now => (now - Duration::hours(1), now + Duration::days(1)),
            Validity::Expired => (now - Duration::days(40), now - Duration::days(10)),
        };
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        (cert.pem(), key.serialize_pem())
    }

    /// Writes the CA and a certificate it issued into `dir`: `NAME-ca.pem`, `NAME.pem`,
    /// `NAME-key.pem`. Returns their paths.
    pub fn write(
        &self,
        dir: &TempDir,
        name: &str,
        names: &[&str],
        client: bool,
        validity: Validity,
    ) -> (String, String, String) {
        let (cert, key) = self.issue(names, client, validity);
        (
            dir.write(&format!("{name}-ca.pem"), &self.pem),
            dir.write(&format!("{name}.pem"), &cert),
            dir.write(&format!("{name}-key.pem"), &key),
        )
    }
}

/// Whether python3 runs here (or, under TESTKIT_REQUIRE=python3, a failure if it does not).
pub fn has_python3() -> bool {
    let present = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    testkit::can_run("python3", present, "python3 is not installed")
}
