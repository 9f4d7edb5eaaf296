//! Control steps, sent to the control API (`/__admin`) so they work on any target that has one.

use serde_json::{Value, json};

use super::{Env, Outcome};
use crate::scenario::ControlOp;

/// Sends a control action for the scenario's tenant. A non-2xx answer is an error unless the
/// step expects a status (checked by the caller): here it is returned as an outcome.
pub(super) async fn run(
    op: &ControlOp,
    env: &Env,
    http: &reqwest::Client,
) -> Result<Outcome, String> {
    let Some((admin_url, token)) = &env.admin else {
        return Err("this target has no control plane (no admin token)".into());
    };
    let tenant = format!("{admin_url}/tenants/{}", env.tenant);
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let (method, url, body): (&str, String, Option<Value>) = match op {
        ControlOp::Fault(rule) => ("POST", format!("{tenant}/faults"), Some(rule.clone())),
        ControlOp::Clock(v) => ("POST", format!("{tenant}/clock"), Some(v.clone())),
        ControlOp::Accept(id) => ("POST", format!("{tenant}/users/{}/accept", enc(id)), None),
        ControlOp::Confirm => ("POST", format!("{tenant}/confirmations/run"), None),
        ControlOp::Signins(v) => {
            ("POST", format!("{tenant}/events/signinattempts"), Some(v.clone()))
        }
        ControlOp::ItemUsages(v) => {
            ("POST", format!("{tenant}/events/itemusages"), Some(v.clone()))
        }
        ControlOp::SetState(s) => (
            "PUT",
            format!("{tenant}/users/{}/state", enc(&s.user)),
            Some(json!({"state": s.state})),
        ),
        ControlOp::Journal(q) => {
            let mut params = Vec::new();
            if let Some(m) = &q.method {
                params.push(format!("method={}", enc(m)));
            }
            if let Some(p) = &q.path {
                params.push(format!("path={}", enc(p)));
            }
            if let Some(s) = q.status {
                params.push(format!("status={s}"));
            }
            let query =
                if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
            ("GET", format!("{tenant}/journal/count{query}"), None)
        }
        ControlOp::ClearJournal => ("DELETE", format!("{tenant}/journal"), None),
        ControlOp::Outbox => ("GET", format!("{tenant}/outbox"), None),
        ControlOp::Export => ("GET", format!("{tenant}/export"), None),
        ControlOp::Admin(a) => {
            let url = match a.path.strip_prefix("/__admin") {
                Some(rest) => format!("{admin_url}{rest}"),
                None => format!("{tenant}{}", a.path),
            };
            (a.method.as_str(), url, a.body.clone())
        }
    };
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{method:?} is not an HTTP method"))?;
    let mut req = http.request(method, &url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.map_err(|e| format!("control request to {url} failed: {e}"))?;
    Ok(super::http::outcome(resp).await)
}
