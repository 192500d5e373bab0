//! Serving HTTP connections with the limits a server on a shared network needs: a cap on open
//! connections, a deadline for the TLS handshake and for each request's headers (which also
//! bounds idle keep-alive connections: hyper starts that timer whenever it waits for a head),
//! and a back-off when accepting fails (out of file descriptors), instead of a busy loop.
//! `kn-mesh serve` and the simulated API server both use it.

// A panic while answering one request ends that connection's task, and the server answers the
// next: under panic = abort it would end serve (and the sim) for every caller.
#[cfg(panic = "abort")]
compile_error!("kn-mesh's servers rely on unwinding: build with panic = \"unwind\"");

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; past it, new ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// From accepting to a finished TLS handshake.
    pub handshake_timeout: Duration,
    /// From the first byte of a request (or an idle keep-alive connection) to its last header.
    pub header_read_timeout: Duration,
    /// How long to wait before accepting again when accepting failed.
    pub accept_backoff: Duration,
    /// The largest request head (request line and headers) read into memory.
    pub max_head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            accept_backoff: Duration::from_millis(100),
            max_head_bytes: 64 * 1024,
        }
    }
}

/// How a connection is made ready before HTTP: as it is, or through TLS.
pub trait Handshake: Clone + Send + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn handshake(
        &self,
        stream: TcpStream,
    ) -> impl Future<Output = std::io::Result<Self::Stream>> + Send;
    /// Whether the client chose HTTP/2 (by ALPN). Known up front, so no bytes are read to
    /// guess the version, a read that no timer would bound.
    fn is_http2(stream: &Self::Stream) -> bool;
}

/// Plain HTTP.
#[derive(Clone)]
pub struct Plain;

impl Handshake for Plain {
    type Stream = TcpStream;
    async fn handshake(&self, stream: TcpStream) -> std::io::Result<TcpStream> {
        Ok(stream)
    }
    fn is_http2(_: &TcpStream) -> bool {
        false
    }
}

impl Handshake for tokio_rustls::TlsAcceptor {
    type Stream = tokio_rustls::server::TlsStream<TcpStream>;
    async fn handshake(&self, stream: TcpStream) -> std::io::Result<Self::Stream> {
        self.accept(stream).await
    }
    fn is_http2(stream: &Self::Stream) -> bool {
        stream.get_ref().1.alpn_protocol() == Some(b"h2")
    }
}

/// Serves the router on every accepted connection until `stop` completes. Connections still
/// open then are given `grace` to finish their requests, then dropped (watch streams would
/// otherwise hold the server forever).
pub async fn serve<H: Handshake>(
    listener: TcpListener,
    handshake: H,
    app: axum::Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
    grace: Duration,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = tokio::task::JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let permit = tokio::select! {
            _ = &mut stop => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // EMFILE and the like: wait for connections to close rather than spin.
                    tokio::time::sleep(limits.accept_backoff).await;
                    continue;
                }
            },
        };
        let handshake = handshake.clone();
        let service = TowerToHyperService::new(app.clone());
        connections.spawn(async move {
            let _permit = permit;
            let Ok(Ok(stream)) =
                tokio::time::timeout(limits.handshake_timeout, handshake.handshake(stream)).await
            else {
                return;
            };
            serve_connection::<H>(stream, service, &limits).await;
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    let _ = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}

async fn serve_connection<H: Handshake>(
    stream: H::Stream,
    service: TowerToHyperService<axum::Router>,
    limits: &Limits,
) {
    let http2 = H::is_http2(&stream);
    let io = TokioIo::new(stream);
    if http2 {
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(10))
            .max_header_list_size(limits.max_head_bytes as u32)
            .max_concurrent_streams(256)
            .serve_connection(io, service)
            .await;
    } else {
        let _ = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_head_bytes.max(8192))
            .serve_connection(io, service)
            .with_upgrades()
            .await;
    }
}
