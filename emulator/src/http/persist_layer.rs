//! The layer that logs every write when the server has a state file: the request body is read
//! first (so a slow client holds no lock), then [`crate::control::persist::Store::write`]
//! applies it, appends it to the change log in the order applied, and answers once it is
//! durable (503 when storage failed).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service, ServiceExt};

use crate::control::persist::is_logged;
use crate::state::Emulator;

/// Largest body a logged write may have (the admin import of a large seed is the biggest).
pub const MAX_LOGGED_BODY_BYTES: usize = 256 << 20;

/// Wraps the routes so writes are logged.
#[derive(Debug, Clone)]
pub struct PersistLayer {
    emulator: Emulator,
}

impl PersistLayer {
    /// The layer for `emulator` (which must have a store attached to log anything).
    pub fn new(emulator: Emulator) -> Self {
        PersistLayer { emulator }
    }
}

impl<S> Layer<S> for PersistLayer {
    type Service = Persist<S>;

    fn layer(&self, inner: S) -> Persist<S> {
        Persist { emulator: self.emulator.clone(), inner }
    }
}

/// The service [`PersistLayer`] makes.
#[derive(Debug, Clone)]
pub struct Persist<S> {
    emulator: Emulator,
    inner: S,
}

impl<S> Service<Request> for Persist<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let store = self.emulator.control().store().cloned();
        let logged = is_logged(req.method(), req.uri().path());
        let Some(store) = store.filter(|_| logged) else {
            return Box::pin(inner.oneshot(req));
        };
        let emulator = self.emulator.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let body = match axum::body::to_bytes(body, MAX_LOGGED_BODY_BYTES).await {
                Ok(b) => b,
                Err(e) => {
                    let msg = format!("cannot read the request body: {e}");
                    return Ok((StatusCode::BAD_REQUEST, msg).into_response());
                }
            };
            let serve = move |req: Request| {
                Box::pin(async move {
                    let Ok(resp) = inner.oneshot(req).await;
                    resp
                })
            };
            Ok(store.write(&emulator, parts, body, serve).await)
        })
    }
}
