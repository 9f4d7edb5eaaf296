//! Serving the emulator: [`serve`] on a bound listener until a shutdown future resolves (the
//! mini-redis shape, so tests bind port 0), and [`TestServer`] for Rust tests.

use std::future::Future;
use std::net::SocketAddr;

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
