//! The `api:` field of scenario steps: connector steps choose the SCIM bridge or the Users API;
//! anywhere else it is a validation error naming the field.

use std::path::Path;

use harness::scenario::{ConnectorApi, load_str};

fn load(steps: &str) -> Result<harness::scenario::Scenario, String> {
    let text = format!("name: t\nsteps:\n{steps}");
    load_str(Path::new("t.yaml"), &text).map_err(|e| e.to_string())
}

#[test]
fn connector_steps_choose_their_api() {
    let s = load("  - {api: users-api, list: {all: true, page_size: 2}}\n  - get: ABC\n").unwrap();
    assert_eq!(s.steps[0].api, ConnectorApi::UsersApi);
    assert_eq!(s.steps[1].api, ConnectorApi::Scim, "SCIM by default");
    let e = load("  - {api: users-api, http: {method: GET, path: /Users}}\n").unwrap_err();
    assert!(e.contains("api") && e.contains("connector"), "{e}");
    let e = load("  - {api: users-api, clock: {advance: 1m}}\n").unwrap_err();
    assert!(e.contains("`api`"), "{e}");
    let e = load("  - {api: ldap, get: ABC}\n").unwrap_err();
    assert!(e.contains("ldap") || e.contains("api"), "{e}");
}
