//! Certificates for the TLS lesson's tests (feature `tls`): the lesson's own, made by the real
//! `tls-echo-server --make-certs`, and ones the program never makes (expired, from another
//! CA, for another name), made here with rcgen.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::TempDir;

/// The lesson's certificates (`ca.pem`, `server.pem`, ...), made in a fresh folder by the real
/// `tls-echo-server --make-certs`.
pub fn lesson_certs(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    let certs = dir.file("certs");
    let made = crate::run("tls-echo-server", &["--make-certs", &certs], b"");
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

impl Default for TestCa {
    fn default() -> TestCa {
        TestCa::new()
    }
}

impl TestCa {
    /// A new CA, named "another CA", with a key of its own.
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
