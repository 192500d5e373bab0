//! The simulated cluster speaks HTTPS, as every real API server does. Beyond fidelity this is
//! required: client-go (so kubectl) sends a bearer token only over TLS.
//!
//! A CA and a serving certificate for the loopback names are made at start-up; the CA goes
//! into the kubeconfig the sim writes, so clients verify the server properly.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

pub struct ServerTls {
    /// The CA certificate, PEM, for `certificate-authority-data`.
    pub ca_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot make the simulated cluster's TLS certificate: {0}")]
pub struct TlsError(String);

fn error(e: impl std::fmt::Display) -> TlsError {
    TlsError(e.to_string())
}

/// A CA, and a certificate it signs for `names` (host names and IP addresses).
pub fn server_tls(names: &[String]) -> Result<ServerTls, TlsError> {
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
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(error)?)
        .map_err(error)?;

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
    let certificate = params.signed_by(&key, &ca).map_err(error)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(error)?
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(error)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(ServerTls {
        ca_pem: ca.pem(),
        config: Arc::new(config),
    })
}
