//! Targets: where scenarios run. The embedded emulator (one [`emulator::TestServer`] shared by
//! every scenario, a fresh tenant each) or an external server (a URL and tokens).

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use crate::scenario::Scenario;

/// Where to run.
#[derive(Debug, Clone)]
pub enum TargetSpec {
    /// An emulator started in this process.
    Embedded,
    /// A running server.
    External(ExternalTarget),
}

/// A running server's coordinates.
#[derive(Debug, Clone)]
pub struct ExternalTarget {
    /// The SCIM base URL (e.g. `http://127.0.0.1:3002/scim/v2` or a bridge's URL).
    pub scim_url: String,
    /// The SCIM bearer token.
    pub token: String,
    /// The control plane's token; without it, scenarios with control steps or a seed are skipped.
    pub admin_token: Option<String>,
    /// The Events API base URL (defaults to the server root of `scim_url`).
    pub events_url: Option<String>,
    /// The Events API token.
    pub events_token: Option<String>,
}

/// Everything a running scenario needs to reach its tenant.
#[derive(Debug, Clone)]
pub struct Env {
    /// The SCIM base URL.
    pub scim_url: String,
    /// The server root (no trailing slash).
    pub root_url: String,
    /// SCIM token of the scenario's tenant.
    pub scim_token: String,
    /// Events API base URL.
    pub events_url: String,
    /// Events API token of the tenant.
    pub events_token: Option<String>,
    /// The Users API base URL (the server root on the emulator).
    pub users_api_url: String,
    /// The tenant's Users API integration, when the target reports one.
    pub users_api: Option<connector::UsersApiCredentials>,
    /// The scenario's Users API client, built by its first `api: users-api` step and kept for
    /// the rest of the scenario, so its access token lives (and expires) across steps.
    pub users_api_client: Arc<OnceLock<connector::Client>>,
    /// Control plane: base URL (`.../__admin`) and token.
    pub admin: Option<(String, String)>,
    /// The tenant's name.
    pub tenant: String,
    /// Whether the tenant was created for this scenario (and should be deleted after).
    pub owned_tenant: bool,
}

impl Env {
    /// The `tenant` and `target` built-in variables.
    pub fn builtin_vars(&self) -> (Value, Value) {
        (
            json!({"name": self.tenant, "scim_token": self.scim_token,
                   "events_token": self.events_token,
                   "account_id": self.users_api.as_ref().map(|c| c.account_id.clone())}),
            json!({"scim_url": self.scim_url, "root_url": self.root_url,
                   "events_url": self.events_url, "has_control": self.admin.is_some()}),
        )
    }
}

/// A live target shared by all scenarios of a run.
#[derive(Debug, Clone)]
pub enum Target {
    /// The embedded emulator.
    Embedded(Arc<emulator::TestServer>),
    /// An external server.
    External(ExternalTarget),
}

/// The server root of a URL: scheme, host and port.
pub fn root_of(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.trim_end_matches('/').to_owned(),
    }
}

impl Target {
    /// Starts the target (the embedded emulator listens on a random loopback port).
    pub async fn start(spec: &TargetSpec) -> Target {
        match spec {
            TargetSpec::Embedded => Target::Embedded(Arc::new(emulator::TestServer::start().await)),
            TargetSpec::External(e) => Target::External(e.clone()),
        }
    }

    /// Is a control plane available?
    pub fn has_control(&self) -> bool {
        match self {
            Target::Embedded(_) => true,
            Target::External(e) => e.admin_token.is_some(),
        }
    }

    /// Why a scenario cannot run here, if it cannot.
    pub fn skip_reason(&self, s: &Scenario) -> Option<String> {
        if self.has_control() {
            return None;
        }
        if let Some(step) = s.steps.iter().find(|st| st.action.needs_control()) {
            return Some(format!(
                "needs a control plane (step {} `{}` uses `{}`) and no --admin-token was given",
                step.index,
                step.name,
                step.action.keyword()
            ));
        }
        if s.needs_tenant_setup() {
            return Some(
                "needs a fresh tenant from its seed/profile, which takes a control plane, and no \
                 --admin-token was given"
                    .into(),
            );
        }
        None
    }

    /// Prepares the scenario's tenant. `ordinal` is 0 for the first scenario with its id in a run
    /// and counts up for later ones, so tenant names stay unique.
    pub async fn prepare(
        &self,
        s: &Scenario,
        ordinal: usize,
        http: &reqwest::Client,
    ) -> Result<Env, String> {
        let name = tenant_name(&s.id, ordinal);
        let seed = tenant_seed(s);
        match self {
            Target::Embedded(server) => {
                // Directly on the shared emulator: works whether or not the control plane's
                // tenant routes exist, and names the tenant after the scenario so its ids (seeded
                // by tenant name) are the same on every run.
                let seed = match seed {
                    Some(v) => Some(
                        serde_json::from_value::<emulator::seed::Seed>(v)
                            .map_err(|e| format!("invalid seed: {e}"))?,
                    ),
                    None => None,
                };
                let tenant = server
                    .emulator()
                    .create_tenant(emulator::state::TenantSpec {
                        name: Some(name.clone()),
                        scim_token: None,
                        profile: None,
                        seed,
                    })
                    .map_err(|e| format!("cannot create the tenant: {e}"))?;
                let (scim_token, events_token, users_api) = {
                    let t = tenant.read();
                    (t.scim_token.clone(), t.events_token.clone(), t.users_api_credentials())
                };
                Ok(Env {
                    scim_url: server.scim_url(),
                    root_url: server.url(),
                    scim_token,
                    events_url: server.events_url(),
                    events_token: Some(events_token),
                    users_api_url: server.users_api_url(),
                    users_api: Some(connector::UsersApiCredentials {
                        client_id: users_api.client_id,
                        client_secret: users_api.client_secret,
                        account_id: users_api.account_id,
                    }),
                    users_api_client: Arc::default(),
                    admin: Some((server.admin_url(), server.admin_token())),
                    tenant: name,
                    owned_tenant: true,
                })
            }
            Target::External(e) => {
                let root = root_of(&e.scim_url);
                let events_url = e.events_url.clone().unwrap_or_else(|| root.clone());
                let Some(admin_token) = &e.admin_token else {
                    return Ok(Env {
                        scim_url: e.scim_url.trim_end_matches('/').to_owned(),
                        users_api_url: root.clone(),
                        root_url: root,
                        scim_token: e.token.clone(),
                        events_url,
                        events_token: e.events_token.clone(),
                        users_api: None,
                        users_api_client: Arc::default(),
                        admin: None,
                        tenant: "default".into(),
                        owned_tenant: false,
                    });
                };
                let admin_url = format!("{root}/__admin");
                let mut body = json!({"name": name});
                if let Some(seed) = seed {
                    body["seed"] = seed;
                }
                let resp = http
                    .post(format!("{admin_url}/tenants"))
                    .bearer_auth(admin_token)
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| format!("cannot create a tenant: {e}"))?;
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                if !status.is_success() {
                    return Err(format!("creating a tenant answered {status}: {text}"));
                }
                let v: Value = serde_json::from_str(&text)
                    .map_err(|e| format!("tenant creation answered non-JSON ({e}): {text}"))?;
                let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
                let scim_path = field("scim_path").unwrap_or_else(|| "/scim/v2".into());
                let users_api = match (
                    field("users_api_client_id"),
                    field("users_api_client_secret"),
                    field("account_id"),
                ) {
                    (Some(client_id), Some(client_secret), Some(account_id)) => {
                        Some(connector::UsersApiCredentials {
                            client_id,
                            client_secret,
                            account_id,
                        })
                    }
                    _ => None,
                };
                Ok(Env {
                    scim_url: format!("{root}{scim_path}"),
                    users_api_url: root.clone(),
                    users_api,
                    users_api_client: Arc::default(),
                    root_url: root,
                    scim_token: field("scim_token")
                        .ok_or("tenant creation returned no scim_token")?,
                    events_url,
                    events_token: field("events_token"),
                    admin: Some((admin_url, admin_token.clone())),
                    tenant: field("name").unwrap_or(name),
                    owned_tenant: true,
                })
            }
        }
    }

    /// Removes a tenant created for a scenario.
    pub async fn cleanup(&self, env: &Env, http: &reqwest::Client) {
        if !env.owned_tenant {
            return;
        }
        match self {
            Target::Embedded(server) => {
                server.emulator().delete_tenant(&emulator::TenantId(env.tenant.clone()));
            }
            Target::External(_) => {
                if let Some((admin_url, token)) = &env.admin {
                    let _ = http
                        .delete(format!("{admin_url}/tenants/{}", env.tenant))
                        .bearer_auth(token)
                        .send()
                        .await;
                }
            }
        }
    }
}

/// The seed document for the tenant: the scenario's seed with its profile folded in.
fn tenant_seed(s: &Scenario) -> Option<Value> {
    if s.seed.is_none() && s.profile.is_none() {
        return None;
    }
    let mut seed = s.seed.clone().unwrap_or_else(|| json!({}));
    if let (Some(profile), Some(obj)) = (&s.profile, seed.as_object_mut()) {
        obj.insert("profile".into(), profile.clone());
    }
    Some(seed)
}

/// A valid tenant name for a scenario. The first scenario with an id gets `scn-<id>` (so its ids,
/// seeded by the tenant name, do not depend on which other scenarios run); a clash (`ordinal` >
/// 0) adds a suffix.
fn tenant_name(id: &str, ordinal: usize) -> String {
    let clean: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' })
        .take(50)
        .collect();
    if ordinal == 0 { format!("scn-{clean}") } else { format!("scn-{clean}-{ordinal}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_of_strips_the_path() {
        assert_eq!(root_of("http://127.0.0.1:3002/scim/v2"), "http://127.0.0.1:3002");
        assert_eq!(root_of("https://bridge.example.com/"), "https://bridge.example.com");
        assert_eq!(root_of("https://bridge.example.com"), "https://bridge.example.com");
    }

    #[test]
    fn tenant_names_are_valid() {
        assert_eq!(tenant_name("01 offboarding/ä", 3), "scn-01-offboarding---3");
        assert_eq!(tenant_name("offboarding", 0), "scn-offboarding");
    }
}
