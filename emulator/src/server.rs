//! Serving the emulator: [`serve`] on a bound listener until a shutdown future resolves (the
//! mini-redis shape, so tests bind port 0), and [`TestServer`] for Rust tests.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::{ClockMode, EmulatorConfig};
use crate::http;
use crate::state::Emulator;

/// Serves `emulator` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    emulator: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::ServiceExt::<axum::extract::Request>::into_make_service(http::app(emulator));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Bounds on connections, so abusive clients cannot pin the server's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// Time a client has to send a request's headers, counted from when the server is ready
    /// for the next request (so it also closes keep-alive connections left idle this long).
    pub header_timeout: Duration,
    /// A connection with no bytes read or written for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; further ones are closed as soon as they are accepted.
    pub max_connections: usize,
    /// After the shutdown signal, in-flight requests get this long; then they are dropped.
    pub shutdown_deadline: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            max_connections: 4096,
            shutdown_deadline: Duration::from_secs(5),
        }
    }
}

/// What [`serve_with`] did at shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still busy at the deadline, dropped.
    pub dropped: usize,
}

/// Serves `emulator` on `listener` within `options`' bounds until `shutdown` resolves, then
/// gives in-flight requests `options.shutdown_deadline` and drops what is left.
pub async fn serve_with(
    listener: TcpListener,
    emulator: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> std::io::Result<Stopped> {
    serve_service_with(listener, http::app(emulator), shutdown, options).await
}

/// [`serve_with`] for any service (e.g. [`http::events_router`] on a second port).
pub async fn serve_service_with<S>(
    listener: TcpListener,
    app: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> std::io::Result<Stopped>
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let app = app.map_request(|req: axum::http::Request<hyper::body::Incoming>| {
        req.map(axum::body::Body::new)
    });
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(options.header_timeout);
    let slots = Arc::new(tokio::sync::Semaphore::new(options.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over the cap: closed at once, costing nothing further.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let first = options.header_timeout.min(options.idle_timeout);
        let io = TokioIo::new(IdleIo::new(stream, first, options.idle_timeout));
        let service = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection_with_upgrades(io, service).into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    let busy = graceful.count();
    let drained = tokio::time::timeout(options.shutdown_deadline, graceful.shutdown()).await;
    let dropped = if drained.is_ok() { 0 } else { busy };
    Ok(Stopped { dropped })
}

/// A connection that fails once no byte has moved either way for `timeout`.
struct IdleIo {
    io: tokio::net::TcpStream,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl IdleIo {
    /// `first`: how long the client has for its first byte (the header timeout: a connection
    /// that sends nothing never reaches the HTTP parser's own timer); `timeout` afterwards.
    fn new(io: tokio::net::TcpStream, first: Duration, timeout: Duration) -> Self {
        IdleIo { io, deadline: Box::pin(tokio::time::sleep(first)), timeout }
    }

    /// Bytes moved: the idle time starts over.
    fn moved(&mut self) {
        self.deadline.as_mut().reset(tokio::time::Instant::now() + self.timeout);
    }

    /// Nothing moved: pending, or an error once the deadline has passed.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connection idle too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncRead for IdleIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let me = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut me.io).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    me.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending => me.stalled(cx),
        }
    }
}

impl tokio::io::AsyncWrite for IdleIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let me = self.get_mut();
        match Pin::new(&mut me.io).poll_write(cx, buf) {
            Poll::Ready(r) => {
                me.moved();
                Poll::Ready(r)
            }
            Poll::Pending => me.stalled(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let me = self.get_mut();
        match Pin::new(&mut me.io).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                me.moved();
                Poll::Ready(r)
            }
            Poll::Pending => me.stalled(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// An emulator on a random loopback port for the duration of a test (stopped on drop).
///
/// ```no_run
/// # async fn demo() {
/// let server = emulator::TestServer::start().await;
/// let (url, token) = (server.scim_url(), server.scim_token());
/// // Point any SCIM client at `url` with `Authorization: Bearer {token}`.
/// # let _ = (url, token);
/// # }
/// ```
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    emulator: Emulator,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// Starts with the default configuration, except a manual clock (deterministic timestamps).
    pub async fn start() -> TestServer {
        TestServer::with_config(EmulatorConfig { clock: ClockMode::Manual, ..Default::default() })
            .await
    }

    /// Starts with `config`. Panics if the configuration is invalid or no port can be bound:
    /// this is test support, where a panic is the clearest failure.
    pub async fn with_config(config: EmulatorConfig) -> TestServer {
        let emulator = Emulator::new(config).expect("valid emulator configuration");
        TestServer::with_emulator(emulator).await
    }

    /// Serves an existing [`Emulator`].
    pub async fn with_emulator(emulator: Emulator) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let served = emulator.clone();
        tokio::spawn(async move {
            let _ = serve(listener, served, async {
                let _ = stopped.await;
            })
            .await;
        });
        TestServer { addr, emulator, stop: Some(stop) }
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The SCIM base URL (`http://127.0.0.1:PORT/scim/v2`).
    pub fn scim_url(&self) -> String {
        format!("{}/scim/v2", self.url())
    }

    /// The default tenant's SCIM token.
    pub fn scim_token(&self) -> String {
        self.emulator.default_tenant().read().scim_token.clone()
    }

    /// The Events API base URL (`/api/...` paths hang off it).
    pub fn events_url(&self) -> String {
        self.url()
    }

    /// The default tenant's Events API token.
    pub fn events_token(&self) -> String {
        self.emulator.default_tenant().read().events_token.clone()
    }

    /// The Users API base URL (`/v1beta1/...` paths hang off it).
    pub fn users_api_url(&self) -> String {
        self.url()
    }

    /// The default tenant's Users API client id, client secret and account id.
    pub fn users_api_credentials(&self) -> crate::users_api::Credentials {
        self.emulator.default_tenant().read().users_api_credentials()
    }

    /// The control plane's base URL (`http://127.0.0.1:PORT/__admin`).
    pub fn admin_url(&self) -> String {
        format!("{}/__admin", self.url())
    }

    /// The control plane's token.
    pub fn admin_token(&self) -> String {
        self.emulator.admin_token().to_owned()
    }

    /// The emulator's state, for direct inspection in tests.
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
