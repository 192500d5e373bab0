//! The simulated cluster speaks HTTPS, as every real API server does. Beyond fidelity this is
//! required: client-go (so kubectl) sends a bearer token only over TLS.
//!
//! A CA and a serving certificate for the loopback names are made at start-up (or the CA is
//! kept from an earlier run, `--state-dir`); the CA goes into the kubeconfig the sim writes, so
//! clients verify the server properly.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

pub struct ServerTls {
    /// The CA certificate, PEM, for `certificate-authority-data`.
    pub ca_pem: String,
    /// The CA's key, PEM: kept with `--state-dir` so that a restart signs with the same CA.
    pub ca_key_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

/// A CA kept from an earlier run: its certificate (what clients trust) and key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedCa {
    pub cert_pem: String,
    pub key_pem: String,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot make the simulated cluster's TLS certificate: {0}")]
pub struct TlsError(String);

fn error(e: impl std::fmt::Display) -> TlsError {
    TlsError(e.to_string())
}

/// The CA's parameters, the same on every run: a certificate signed by its key names this
/// issuer, so it verifies against the CA certificate of any earlier run with that key.
fn ca_params() -> Result<CertificateParams, TlsError> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kn-mesh simulated cluster CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(ca_params)
}

/// A certificate for `names` (host names and IP addresses), signed by a new CA or by one kept
/// from an earlier run.
pub fn server_tls(names: &[String], saved: Option<&SavedCa>) -> Result<ServerTls, TlsError> {
    let (ca_pem, ca_key) = match saved {
        Some(saved) => (
            saved.cert_pem.clone(),
            KeyPair::from_pem(&saved.key_pem).map_err(error)?,
        ),
        None => {
            let key = KeyPair::generate().map_err(error)?;
            let ca = CertifiedIssuer::self_signed(ca_params()?, &key).map_err(error)?;
            (ca.pem(), key)
        }
    };
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = Issuer::new(ca_params()?, ca_key);

    let mut params = CertificateParams::new(names.to_vec()).map_err(error)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate().map_err(error)?;
    let certificate = params.signed_by(&key, &issuer).map_err(error)?;
    let ca_der =
        rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).map_err(error)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(error)?
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone(), ca_der],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(error)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(ServerTls {
        ca_pem,
        ca_key_pem,
        config: Arc::new(config),
    })
}
