//! The middleware every non-admin request passes through: it resolves the tenant from the bearer
//! token, applies the tenant's rate limiter and fault rules, and records the request in the
//! tenant's journal. Admin requests only mark persistent changes.
//!
//! Decisions and journal entries need only shared access to the tenant plus the fault rules' or
//! the journal's own short lock, so concurrent reads never wait for each other here; sleeping,
//! calling the handler and building the response happen with no lock held.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower::{Layer, Service};

use super::bearer::{basic, bearer};
use crate::control::{Api, FaultAction, Received, Verdict};
use crate::profile::EventsErrorBody;
use crate::state::{Emulator, SharedTenant, TokenKind};

fn is_mutation(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Wraps a service (the emulator's routes) in the control plane. A hand-written layer rather
/// than `axum::middleware::from_fn`, which boxes and clones the inner service on every request:
/// this is on every request's path, and the benchmark counts microseconds.
#[derive(Debug, Clone)]
pub struct ControlLayer {
    emulator: Emulator,
}

impl ControlLayer {
    /// The layer for `emulator`'s tenants.
    pub fn new(emulator: Emulator) -> Self {
        ControlLayer { emulator }
    }
}

impl<S> Layer<S> for ControlLayer {
    type Service = Control<S>;

    fn layer(&self, inner: S) -> Control<S> {
        Control { emulator: self.emulator.clone(), inner }
    }
}

/// The service [`ControlLayer`] makes.
#[derive(Debug, Clone)]
pub struct Control<S> {
    emulator: Emulator,
    inner: S,
}

impl<S> Service<Request> for Control<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Unpin + Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ControlFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    /// Everything up to the handler is synchronous (tenant, limits, rules), so it happens here
    /// and the future that waits for the handler carries only what the journal entry needs.
    fn call(&mut self, req: Request) -> Self::Future {
        // The service that was polled ready serves this request; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = req.uri().path();
        if path == "/__admin" || path.starts_with("/__admin/") {
            let emulator = is_mutation(req.method()).then(|| self.emulator.clone());
            let log = Untenanted::of(&req);
            return ControlFuture(State::Admin { served: inner.call(req), emulator, log });
        }
        let resolved = match bearer(req.headers()) {
            Ok(token) => self.emulator.resolve_token(token),
            // The Users API's token and revoke endpoints authenticate the OAuth client with
            // HTTP Basic: its client id selects the tenant.
            Err(_) if path.starts_with("/v1beta1/") => basic(req.headers())
                .and_then(|(client_id, _)| self.emulator.resolve_token(&client_id))
                .filter(|(_, kind)| *kind == TokenKind::UsersApiClient),
            Err(_) => None,
        };
        let Some((tenant, kind)) = resolved else {
            // No tenant: nothing to limit, inject or journal; the handler answers 401.
            let log = Untenanted::of(&req);
            return ControlFuture(State::Unjournaled { served: inner.call(req), log });
        };
        let path = req.uri().path();
        let api = Api::of_path(path);
        let mut decision = decide(&tenant, req.method().as_str(), path, api);
        let pending = Pending {
            emulator: is_mutation(req.method()).then(|| self.emulator.clone()),
            tenant,
            kind,
            method: req.method().clone(),
            uri: req.uri().clone(),
            started: Instant::now(),
            at: decision.at,
            verdict: decision.verdict,
            fault: None,
        };
        if let Some(refused) = decision.verdict.filter(|v| !v.allowed) {
            let resp = rate_limited(api, &decision, refused);
            let resp = pending.finish(resp, false);
            return ControlFuture(State::Answered(std::future::ready(Ok(resp))));
        }
        if let Some(firing) = decision.firing.take() {
            let faulted = faulted(pending, firing, decision, api, inner, req);
            return ControlFuture(State::Faulted(Box::pin(faulted)));
        }
        ControlFuture(State::Journaled { served: inner.call(req), pending: Some(pending) })
    }
}

/// The future of a request through [`Control`]: the routes' own future plus what answering
/// needs afterwards. A plain enum rather than a boxed `async` block, so the common cases cost
/// no allocation of their own; only the rare fault-rule path (which may sleep) is boxed.
pub struct ControlFuture<F>(State<F>);

enum State<F> {
    /// A control-plane request; a successful mutation marks the persistent state changed.
    Admin { served: F, emulator: Option<Emulator>, log: Untenanted },
    /// A request without a known token: nothing to journal, the handler answers 401.
    Unjournaled { served: F, log: Untenanted },
    /// The usual case: the routes answer, then the request is journaled.
    Journaled { served: F, pending: Option<Pending> },
    /// Answered without the routes (the rate limiter refused it).
    Answered(std::future::Ready<Result<Response, Infallible>>),
    /// A fault rule fired.
    Faulted(Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>),
}

impl<F> Future for ControlFuture<F>
where
    F: Future<Output = Result<Response, Infallible>> + Unpin,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every field is `Unpin` (`F` by the bound, the rest by construction).
        match &mut self.get_mut().0 {
            State::Admin { served, emulator, log } => {
                let polled = {
                    let _serving = Serving::nobody();
                    Pin::new(served).poll(cx)
                };
                let Ok(resp) = std::task::ready!(polled);
                if let Some(emu) = emulator.take()
                    && resp.status().is_success()
                {
                    emu.control().changed();
                }
                log.log(resp.status().as_u16());
                Poll::Ready(Ok(resp))
            }
            State::Unjournaled { served, log } => {
                let polled = {
                    let _serving = Serving::nobody();
                    Pin::new(served).poll(cx)
                };
                let Ok(resp) = std::task::ready!(polled);
                log.log(resp.status().as_u16());
                Poll::Ready(Ok(resp))
            }
            State::Journaled { served, pending } => {
                let polled = {
                    let _serving = pending.as_ref().map(|p| Serving::enter(&p.tenant, p.kind));
                    Pin::new(served).poll(cx)
                };
                let Ok(resp) = std::task::ready!(polled);
                Poll::Ready(Ok(match pending.take() {
                    Some(pending) => pending.finish(resp, false),
                    None => resp,
                }))
            }
            State::Answered(ready) => Pin::new(ready).poll(cx),
            State::Faulted(fut) => {
                let _serving = Serving::nobody();
                fut.as_mut().poll(cx)
            }
        }
    }
}

thread_local! {
    /// The tenant of the request whose handler this thread is polling right now, as the
    /// control layer resolved it; see [`serving_tenant`].
    static SERVING: RefCell<Option<(SharedTenant, TokenKind)>> = const { RefCell::new(None) };
}

/// Takes the tenant the control layer resolved for the request whose handler is being polled
/// on this thread, if there is one. Handlers' extractors run inside that poll, so they get the
/// tenant without parsing and looking up the token again (the way tokio's task-locals are
/// scoped to a future's polls). `None` outside such a poll (a router used without the layer,
/// a fault rule's request): the caller resolves the token itself.
pub fn serving_tenant() -> Option<(SharedTenant, TokenKind)> {
    SERVING.take()
}

/// Puts a request's tenant in [`SERVING`] (or, for a request without one, empties it) for the
/// length of one poll of its handler, and restores what was there when dropped (also when the
/// handler panics): during any poll of a [`ControlFuture`] the slot holds that request's
/// tenant or nothing, and it never outlives the poll.
struct Serving(Option<(SharedTenant, TokenKind)>);

impl Serving {
    fn enter(tenant: &SharedTenant, kind: TokenKind) -> Serving {
        Serving(SERVING.replace(Some((tenant.clone(), kind))))
    }

    fn nobody() -> Serving {
        Serving(SERVING.take())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        SERVING.set(self.0.take());
    }
}

/// The log target of the one line every request gets (`RUST_LOG=scimulator::request=info`).
pub const REQUEST_LOG_TARGET: &str = "scimulator::request";

/// Logs one answered request at info: method, path (never the query string, nor any header,
/// so no token reaches the log), status (0 for a dropped connection), duration, tenant and the
/// fault rule that fired. With no subscriber listening this is one atomic load.
fn log_request(
    method: &str,
    path: &str,
    status: u16,
    duration_us: u64,
    tenant: Option<&str>,
    fault: Option<&str>,
) {
    tracing::info!(
        target: REQUEST_LOG_TARGET,
        method,
        path,
        status,
        duration_us,
        tenant = tenant.unwrap_or("-"),
        fault = fault.unwrap_or("-"),
        "request"
    );
}

/// What the log line of a request with no tenant (control plane, unknown token) needs.
struct Untenanted {
    /// `None` when no subscriber wants request lines: then nothing is copied or timed.
    line: Option<(Method, Uri, Instant)>,
}

impl Untenanted {
    fn of(req: &Request) -> Untenanted {
        let wanted = tracing::enabled!(target: REQUEST_LOG_TARGET, tracing::Level::INFO);
        Untenanted {
            line: wanted.then(|| (req.method().clone(), req.uri().clone(), Instant::now())),
        }
    }

    fn log(&mut self, status: u16) {
        if let Some((method, uri, started)) = self.line.take() {
            let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            log_request(method.as_str(), uri.path(), status, duration_us, None, None);
        }
    }
}

/// A request on its way through the handler: what its journal entry needs once it is answered.
struct Pending {
    /// Set for mutations: a successful one marks persistent state changed.
    emulator: Option<Emulator>,
    tenant: SharedTenant,
    kind: TokenKind,
    method: Method,
    uri: Uri,
    started: Instant,
    at: chrono::DateTime<chrono::Utc>,
    verdict: Option<Verdict>,
    fault: Option<String>,
}

impl Pending {
    /// Adds the rate-limit headers, journals the request and passes the response on.
    fn finish(self, mut resp: Response, dropped: bool) -> Response {
        if let Some(v) = self.verdict.filter(|v| v.allowed) {
            set_ratelimit_headers(resp.headers_mut(), v.limit, v.remaining, v.reset_secs);
        }
        let status = if dropped { 0 } else { resp.status().as_u16() };
        {
            let t = self.tenant.read();
            let duration_us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
            log_request(
                self.method.as_str(),
                self.uri.path(),
                status,
                duration_us,
                Some(&t.id.0),
                self.fault.as_deref(),
            );
            t.journal().record(&Received {
                method: self.method.as_str(),
                path: self.uri.path(),
                query: self.uri.query().unwrap_or_default(),
                tenant: &t.id.0,
                status,
                duration_us,
                at: self.at,
                fault: self.fault,
            });
        }
        if let Some(emu) = self.emulator
            && resp.status().is_success()
            && !dropped
        {
            emu.control().changed();
        }
        resp
    }
}

/// A request a fault rule fired for: wait, drop, answer with an error, or go on.
async fn faulted<S>(
    mut pending: Pending,
    (rule_id, action): (String, FaultAction),
    decision: Decision,
    api: Api,
    mut inner: S,
    req: Request,
) -> Result<Response, Infallible>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    pending.fault = Some(rule_id);
    if let Some(ms) = action.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if action.drop {
        return Ok(pending.finish(dropped_connection(), true));
    }
    let resp = match action.status {
        Some(status) => injected_error(api, &decision, &action, status),
        None => {
            let Ok(resp) = inner.call(req).await;
            resp
        }
    };
    Ok(pending.finish(resp, false))
}

/// What the tenant's limiter and rules decided, plus what is needed to answer without the lock.
struct Decision {
    at: chrono::DateTime<chrono::Utc>,
    verdict: Option<Verdict>,
    firing: Option<(String, FaultAction)>,
    events_body: EventsErrorBody,
    events_retry_after: bool,
}

fn decide(tenant: &SharedTenant, method: &str, path: &str, api: Api) -> Decision {
    let t = tenant.read();
    let at = t.clock.now();
    let (verdict, firing) = if t.faults_armed() {
        let mut faults = t.faults();
        let verdict = faults.limiter.check(api, at);
        // A request the limiter refuses never reaches the rules (nor counts for them).
        let firing = if verdict.is_none_or(|v| v.allowed) {
            faults.decide(method, path, api).map(|f| (f.rule_id, f.action))
        } else {
            None
        };
        (verdict, firing)
    } else {
        (None, None)
    };
    Decision {
        at,
        verdict,
        firing,
        events_body: t.profile.events_error_body,
        events_retry_after: t.profile.events_retry_after,
    }
}

fn set_ratelimit_headers(h: &mut HeaderMap, limit: u64, remaining: u64, reset: u64) {
    h.insert("ratelimit-limit", HeaderValue::from(limit));
    h.insert("ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("ratelimit-reset", HeaderValue::from(reset));
}

/// The limiter's 429.
fn rate_limited(api: Api, d: &Decision, v: Verdict) -> Response {
    let retry = v.reset_secs.max(1);
    let message = format!("Too many requests: rate limit of {} exceeded", v.limit);
    let mut resp = error_body(api, d.events_body, 429, &message);
    let h = resp.headers_mut();
    set_ratelimit_headers(h, v.limit, 0, retry);
    // The Events API is not documented to send Retry-After; the profile decides.
    if api != Api::Events || d.events_retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(retry));
    }
    resp
}

/// A rule's error response, shaped like the API's real errors.
fn injected_error(api: Api, d: &Decision, action: &FaultAction, status: u16) -> Response {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_owned();
    let message = action.message.clone().unwrap_or(reason);
    let mut resp = error_body(api, d.events_body, status, &message);
    let h = resp.headers_mut();
    if status == 429 {
        let retry = action.retry_after.unwrap_or(1);
        let limit = action.limit.or(d.verdict.map(|v| v.limit)).unwrap_or(match api {
            Api::Events => 600,
            Api::Scim | Api::Users => 100,
        });
        set_ratelimit_headers(h, limit, 0, retry);
        h.insert(header::RETRY_AFTER, HeaderValue::from(retry));
    } else if let Some(retry) = action.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(retry));
    }
    resp
}

/// The error body each API really sends: a SCIM Error, the Events API's JSON error, or the
/// Users API's `{"error": {"code", "message", "status"}}`.
fn error_body(api: Api, events_body: EventsErrorBody, status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match api {
        Api::Scim => (
            "application/scim+json",
            scim::ScimError::new(status, None, message.to_owned()).to_json(),
        ),
        Api::Events => (
            "application/json",
            match events_body {
                EventsErrorBody::StatusMessage => json!({"status": status, "message": message}),
                EventsErrorBody::ErrorMessage => json!({"Error": {"Message": message}}),
            },
        ),
        Api::Users => (
            "application/json",
            crate::users_api::error_json(
                status,
                crate::users_api::Status::name_for_http(status),
                message,
            ),
        ),
    };
    (code, [(header::CONTENT_TYPE, content_type)], body.to_string()).into_response()
}

/// A response whose body fails before its first byte: hyper then closes the connection without
/// flushing the head, so the client sees the connection drop with no response at all.
fn dropped_connection() -> Response {
    Response::new(Body::new(FailingBody))
}

struct FailingBody;

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by a fault rule",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;
    use crate::config::EmulatorConfig;
    use crate::state::TenantSpec;

    async fn get(emu: &Emulator, token: Option<&str>) -> (StatusCode, Value) {
        get_path(emu, "/scim/v2/Users", token).await
    }

    async fn get_path(emu: &Emulator, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = axum::http::Request::get(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let Ok(resp) =
            crate::http::app(emu.clone()).oneshot(req.body(Body::empty()).unwrap()).await;
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn user_names(listing: &Value) -> Vec<&str> {
        let users = listing["Resources"].as_array().unwrap();
        users.iter().map(|u| u["userName"].as_str().unwrap()).collect()
    }

    /// The handlers take the tenant the layer resolved from a slot scoped to the poll of their
    /// own request: each request sees its own tenant, and nothing is left for the next one.
    #[tokio::test]
    async fn handlers_see_their_own_requests_tenant_and_nothing_leaks() {
        let emu = Emulator::new(EmulatorConfig::default()).unwrap();
        let mut tokens = Vec::new();
        for name in ["a", "b"] {
            let user = crate::account::SeedUser {
                user_name: format!("only-{name}@example.com"),
                ..Default::default()
            };
            let seed = crate::seed::Seed { users: vec![user], ..Default::default() };
            let spec =
                TenantSpec { name: Some(name.into()), seed: Some(seed), ..Default::default() };
            let t = emu.create_tenant(spec).unwrap();
            tokens.push(t.read().scim_token.clone());
        }
        let owners = |listing: &Value| user_names(listing).join(",");
        // One thread (a current-thread runtime), requests alternating between tenants.
        for _ in 0..2 {
            let (a, b) = (get(&emu, Some(&tokens[0])).await, get(&emu, Some(&tokens[1])).await);
            assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
            let same = emu.tenant(&crate::tenant::TenantId("a".into())).unwrap();
            let expected_a: Vec<_> =
                same.read().account.users().map(|u| u.user_name.clone()).collect();
            assert_eq!(owners(&a.1), expected_a.join(","));
            assert_ne!(owners(&a.1), owners(&b.1));
            assert_eq!(get(&emu, None).await.0, StatusCode::UNAUTHORIZED);
            // A journaled request whose handler never takes its tenant (`/ping` needs no
            // token) must not leave it for the next request.
            assert_eq!(get_path(&emu, "/scim/v2/ping", Some(&tokens[0])).await.0, StatusCode::OK);
            assert_eq!(get(&emu, None).await.0, StatusCode::UNAUTHORIZED);
            assert_eq!(get(&emu, Some("not-a-token")).await.0, StatusCode::UNAUTHORIZED);
            assert!(serving_tenant().is_none(), "the slot is empty between requests");
        }
    }

    /// Even polled inside another request's poll (a handler making an in-process request), a
    /// request without a token gets 401, never the outer request's tenant.
    #[tokio::test]
    async fn a_request_without_a_token_never_sees_another_requests_tenant() {
        let emu = Emulator::new(EmulatorConfig::default()).unwrap();
        let outer = Serving::enter(&emu.default_tenant(), TokenKind::Scim);
        assert_eq!(get(&emu, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&emu, Some("not-a-token")).await.0, StatusCode::UNAUTHORIZED);
        drop(outer);
        assert!(serving_tenant().is_none());
    }
}
