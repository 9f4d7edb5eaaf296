//! The strict `rfc` profile over real HTTP: discovery third-party clients accept, SCIM errors on
//! every error path, PATCH `remove active`, member `display`, ETags (RFC 7644 §3.14), sorting
//! (§3.4.2.3), `attributes` on write responses (§3.9) and uuid ids.

use emulator::TestServer;
use emulator::config::{ClockMode, EmulatorConfig};
use emulator::profile::Profile;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Client {
    server: TestServer,
    http: reqwest::Client,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Client {
    async fn start(profile: Profile) -> Client {
        Client::with_seed(profile, 0).await
    }

    async fn with_seed(profile: Profile, id_seed: u64) -> Client {
        let config =
            EmulatorConfig { profile, clock: ClockMode::Manual, id_seed, ..Default::default() };
        Client { server: TestServer::with_config(config).await, http: reqwest::Client::new() }
    }

    /// A request to `url` (absolute) with the SCIM token, extra headers and an optional body.
    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, url).bearer_auth(self.server.scim_token());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/scim+json").body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Reply { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null) }
    }

    /// A request under `/scim/v2`.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.send(method, &format!("{}{path}", self.server.scim_url()), &[], body).await
    }

    async fn user(&self, body: Value) -> String {
        let r = self.call(Method::POST, "/Users", Some(body)).await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    async fn group(&self, name: &str, members: &[&str]) -> String {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let r = self
            .call(Method::POST, "/Groups", Some(json!({"displayName": name, "members": members})))
            .await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    async fn user_names(&self, path: &str) -> Vec<String> {
        let r = self.call(Method::GET, path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        names(&r.body, "userName")
    }
}

fn names(list: &Value, attr: &str) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[attr].as_str().unwrap_or("-").to_owned())
        .collect()
}

fn patch(ops: Value) -> Option<Value> {
    Some(json!({"schemas": [scim::messages::PATCH_OP], "Operations": ops}))
}

fn assert_scim_error(r: &Reply, want: u16, scim_type: Option<&str>) {
    assert_eq!(r.status.as_u16(), want, "{}", r.body);
    assert!(
        r.headers["content-type"].to_str().unwrap().starts_with("application/scim+json"),
        "{:?}",
        r.headers
    );
    assert_eq!(r.body["schemas"][0], scim::messages::ERROR, "{}", r.body);
    assert_eq!(r.body["status"], want.to_string());
    if let Some(t) = scim_type {
        assert_eq!(r.body["scimType"], t, "{}", r.body);
    }
    assert!(!r.body["detail"].as_str().unwrap_or("").is_empty(), "{}", r.body);
}

fn etag(r: &Reply) -> String {
    r.headers.get("etag").expect("an ETag header").to_str().unwrap().to_owned()
}

#[tokio::test]
async fn rfc_discovery_is_built_per_prefix_and_its_endpoints_work_relative_to_it() {
    let c = Client::start(Profile::rfc()).await;
    for prefix in ["", "/scim", "/scim/v2"] {
        let base = format!("{}{prefix}", c.server.url());
        let spc = c.send(Method::GET, &format!("{base}/ServiceProviderConfig"), &[], None).await;
        assert_eq!(spc.status, StatusCode::OK);
        let b = &spc.body;
        assert_eq!(b["meta"]["location"], format!("{base}/ServiceProviderConfig"));
        for feature in ["sort", "etag", "patch", "filter"] {
            assert_eq!(b[feature]["supported"], true, "{feature}: {b}");
        }
        for scheme in b["authenticationSchemes"].as_array().unwrap() {
            for uri in ["specUri", "documentationUri"] {
                if let Some(u) = scheme.get(uri) {
                    assert!(u.as_str().unwrap().starts_with("https://"), "{uri}: {u}");
                }
            }
        }
        let types = c.send(Method::GET, &format!("{base}/ResourceTypes"), &[], None).await;
        assert_eq!(types.body["startIndex"], 1);
        for rt in types.body["Resources"].as_array().unwrap() {
            let endpoint = rt["endpoint"].as_str().unwrap();
            assert!(["/Users", "/Groups"].contains(&endpoint), "{rt}");
            assert_eq!(
                rt["meta"]["location"],
                format!("{base}/ResourceTypes/{}", rt["id"].as_str().unwrap())
            );
            // The endpoint, appended to the base URL, is where the resources are.
            let list = c.send(Method::GET, &format!("{base}{endpoint}"), &[], None).await;
            assert_eq!(list.status, StatusCode::OK, "{base}{endpoint}");
        }
        let schemas = c.send(Method::GET, &format!("{base}/Schemas"), &[], None).await;
        for s in schemas.body["Resources"].as_array().unwrap() {
            assert!(
                s["meta"]["location"].as_str().unwrap().starts_with(&format!("{base}/Schemas/"))
            );
        }
        // Locations in resources follow the prefix too.
        let made = c
            .send(
                Method::POST,
                &format!("{base}/Users"),
                &[],
                Some(json!({"userName": format!("p{}@example.com", prefix.len())})),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let id = made.body["id"].as_str().unwrap();
        assert_eq!(made.body["meta"]["location"], format!("{base}/Users/{id}"));
        assert_eq!(made.headers["location"].to_str().unwrap(), format!("{base}/Users/{id}"));
    }
}

#[tokio::test]
async fn the_onepassword_profile_keeps_the_recorded_discovery_documents() {
    let c = Client::start(Profile::onepassword()).await;
    let spc = c.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(spc.body["meta"]["location"], "/scim/v2/ServiceProviderConfig");
    assert_eq!(spc.body["authenticationSchemes"][0]["documentationUri"], "");
    assert_eq!(spc.body["sort"]["supported"], false);
    assert_eq!(spc.body["etag"]["supported"], false);
    let types = c.call(Method::GET, "/ResourceTypes", None).await;
    assert_eq!(types.body["Resources"][0]["endpoint"], "/scim/v2/User");
    assert_eq!(types.body["Resources"][1]["endpoint"], "/scim/v2/Groups");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_scim_errors_in_both_profiles() {
    for profile in [Profile::onepassword(), Profile::rfc()] {
        let c = Client::start(profile).await;
        let root = c.server.url();
        for path in [
            "/scim/v2/3b241101-e2bb-4255-8caf-4136c566a962",
            "/3b241101-e2bb-4255-8caf-4136c566a962",
            "/scim/v2/Users/a/b",
            "/scim/v3/Users",
        ] {
            let r = c.send(Method::GET, &format!("{root}{path}"), &[], None).await;
            assert_scim_error(&r, 404, None);
        }
        for (method, path) in [
            (Method::POST, "/scim/v2/ServiceProviderConfig"),
            (Method::DELETE, "/scim/v2/Users"),
            (Method::PUT, "/scim/v2/Groups"),
            (Method::GET, "/scim/v2/Users/.search"),
            (Method::POST, "/scim/v2/ping"),
        ] {
            let r = c.send(method.clone(), &format!("{root}{path}"), &[], None).await;
            assert_scim_error(&r, 405, None);
        }
        // Unknown resources keep their SCIM 404s.
        let r = c.call(Method::GET, "/Users/nope", None).await;
        assert_scim_error(&r, 404, None);
    }
}

#[tokio::test]
async fn patch_remove_active_unassigns_it_in_rfc_and_is_refused_in_onepassword() {
    let c = Client::start(Profile::rfc()).await;
    let id = c.user(json!({"userName": "act@example.com", "active": true})).await;
    let before = c.call(Method::GET, &format!("/Users/{id}"), None).await;
    let remove = patch(json!([{"op": "remove", "path": "active"}]));
    let r = c.call(Method::PATCH, &format!("/Users/{id}"), remove.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.get("active").is_none(), "{}", r.body);
    assert_ne!(r.body["meta"]["version"], before.body["meta"]["version"]);
    let got = c.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert!(got.body.get("active").is_none(), "{}", got.body);
    // Giving it a value assigns it again.
    let r = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            patch(json!([{"op": "replace", "path": "active", "value": false}])),
        )
        .await;
    assert_eq!(r.body["active"], false, "{}", r.body);

    let c = Client::start(Profile::onepassword()).await;
    let id = c.user(json!({"userName": "act@example.com"})).await;
    let r = c.call(Method::PATCH, &format!("/Users/{id}"), remove).await;
    assert_scim_error(&r, 400, Some("mutability"));
    let got = c.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(got.body["active"], true);
}

#[tokio::test]
async fn members_without_a_display_name_have_no_display() {
    let c = Client::start(Profile::rfc()).await;
    let plain = c.user(json!({"userName": "plain@example.com"})).await;
    let named = c.user(json!({"userName": "named@example.com", "displayName": "Named One"})).await;
    let g = c.group("Team", &[&plain, &named]).await;
    let r = c.call(Method::GET, &format!("/Groups/{g}"), None).await;
    let members = r.body["members"].as_array().unwrap();
    let of = |id: &str| members.iter().find(|m| m["value"] == id).unwrap().clone();
    assert!(of(&plain).get("display").is_none(), "{}", r.body);
    assert_eq!(of(&named)["display"], "Named One");
}

#[tokio::test]
async fn etags_version_every_change_and_make_requests_conditional() {
    let c = Client::start(Profile::rfc()).await;
    let id = c.user(json!({"userName": "etag@example.com", "title": "One"})).await;
    let path = format!("{}/Users/{id}", c.server.scim_url());
    let got = c.send(Method::GET, &path, &[], None).await;
    let v1 = etag(&got);
    assert_eq!(got.body["meta"]["version"], v1.as_str());
    assert!(v1.starts_with("W/\""), "{v1}");
    // Unchanged: 304 without a body, with the tag.
    let r = c.send(Method::GET, &path, &[("if-none-match", &v1)], None).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(etag(&r), v1);
    // A change (the clock is frozen, so lastModified cannot tell) changes the version.
    let title = |t: &str| patch(json!([{"op": "replace", "path": "title", "value": t}]));
    let r = c.send(Method::PATCH, &path, &[("if-match", &v1)], title("Two")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v2 = etag(&r);
    assert_ne!(v1, v2);
    assert_eq!(r.body["meta"]["version"], v2.as_str());
    let r = c.send(Method::GET, &path, &[("if-none-match", &v1)], None).await;
    assert_eq!(r.status, StatusCode::OK);
    // A stale If-Match: 412 and nothing changes, on PATCH, PUT and DELETE.
    let r = c.send(Method::PATCH, &path, &[("if-match", &v1)], title("Three")).await;
    assert_scim_error(&r, 412, None);
    let put = json!({"userName": "etag@example.com", "title": "Four"});
    let r = c.send(Method::PUT, &path, &[("if-match", &v1)], Some(put.clone())).await;
    assert_scim_error(&r, 412, None);
    let r = c.send(Method::DELETE, &path, &[("if-match", &v1)], None).await;
    assert_scim_error(&r, 412, None);
    let r = c.send(Method::GET, &path, &[], None).await;
    assert_eq!(r.body["title"], "Two");
    assert_eq!(etag(&r), v2);
    // The current tag (strong or weak spelling, or `*`) lets the change through.
    let strong = v2.trim_start_matches("W/");
    let r = c.send(Method::PUT, &path, &[("if-match", strong)], Some(put)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["title"], "Four");
    let r = c.send(Method::DELETE, &path, &[("if-match", "*")], None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // Groups: the version follows membership.
    let u = c.user(json!({"userName": "m@example.com"})).await;
    let g = c.group("Versioned", &[]).await;
    let gpath = format!("{}/Groups/{g}", c.server.scim_url());
    let g1 = etag(&c.send(Method::GET, &gpath, &[], None).await);
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": u}]}]));
    let r = c.send(Method::PATCH, &gpath, &[("if-match", &g1)], add.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(etag(&r), g1);
    let r = c.send(Method::PATCH, &gpath, &[("if-match", &g1)], add).await;
    assert_scim_error(&r, 412, None);
    let r = c.send(Method::GET, &gpath, &[("if-none-match", &g1)], None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn without_the_etag_switch_conditional_headers_are_ignored() {
    let c = Client::start(Profile::onepassword()).await;
    let id = c.user(json!({"userName": "plain@example.com"})).await;
    let path = format!("{}/Users/{id}", c.server.scim_url());
    let r = c.send(Method::GET, &path, &[("if-none-match", "*")], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get("etag").is_none());
    let r = c
        .send(
            Method::PATCH,
            &path,
            &[("if-match", "W/\"stale\"")],
            patch(json!([{"op": "replace", "path": "displayName", "value": "X Y"}])),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn sorting_orders_filters_and_pages_stably_on_get_and_search() {
    let c = Client::start(Profile::rfc()).await;
    // userName is caseExact false, externalId caseExact true.
    for (name, ext, family, email) in [
        ("carol@sort.test", "b", Some("Smith"), "z@x.org"),
        ("Alice@sort.test", "B", Some("Jones"), "y@x.org"),
        ("bob@sort.test", "a", None, "x@x.org"),
        ("dave@sort.test", "a", Some("Smith"), "w@x.org"),
    ] {
        let mut body = json!({"userName": name, "externalId": ext,
            "emails": [{"value": format!("other-{email}")}, {"value": email, "primary": true}]});
        if let Some(f) = family {
            body["name"] = json!({"familyName": f});
        }
        c.user(body).await;
    }
    let all_users = |names: Vec<String>| -> Vec<String> {
        names.into_iter().filter(|n| n.ends_with("@sort.test")).collect()
    };
    let asc = all_users(c.user_names("/Users?sortBy=userName").await);
    assert_eq!(asc, ["Alice@sort.test", "bob@sort.test", "carol@sort.test", "dave@sort.test"]);
    let desc = all_users(c.user_names("/Users?sortBy=userName&sortOrder=descending").await);
    assert_eq!(desc, ["dave@sort.test", "carol@sort.test", "bob@sort.test", "Alice@sort.test"]);
    // caseExact: upper case sorts before lower case; ties keep creation order both ways.
    let filter = "filter=userName%20ew%20%22sort.test%22";
    assert_eq!(
        c.user_names(&format!("/Users?{filter}&sortBy=externalId")).await,
        ["Alice@sort.test", "bob@sort.test", "dave@sort.test", "carol@sort.test"]
    );
    assert_eq!(
        c.user_names(&format!("/Users?{filter}&sortBy=externalId&sortOrder=descending")).await,
        ["carol@sort.test", "bob@sort.test", "dave@sort.test", "Alice@sort.test"]
    );
    // A sub-attribute; missing values last ascending, first descending.
    assert_eq!(
        c.user_names(&format!("/Users?{filter}&sortBy=name.familyName")).await,
        ["Alice@sort.test", "carol@sort.test", "dave@sort.test", "bob@sort.test"]
    );
    assert_eq!(
        c.user_names(&format!("/Users?{filter}&sortBy=name.familyName&sortOrder=descending")).await,
        ["bob@sort.test", "carol@sort.test", "dave@sort.test", "Alice@sort.test"]
    );
    // A multi-valued attribute sorts by its primary value.
    assert_eq!(
        c.user_names(&format!("/Users?{filter}&sortBy=emails")).await,
        ["dave@sort.test", "bob@sort.test", "Alice@sort.test", "carol@sort.test"]
    );
    // Paging cuts the sorted list; totalResults counts every match.
    let r = c
        .call(Method::GET, &format!("/Users?{filter}&sortBy=userName&startIndex=2&count=2"), None)
        .await;
    assert_eq!(names(&r.body, "userName"), ["bob@sort.test", "carol@sort.test"]);
    assert_eq!(r.body["totalResults"], 4);
    // POST .search takes the same parameters.
    let r = c
        .call(
            Method::POST,
            "/Users/.search",
            Some(json!({"schemas": [scim::messages::SEARCH_REQUEST],
            "filter": "userName ew \"sort.test\"", "sortBy": "userName", "sortOrder": "descending",
            "startIndex": 1, "count": 3})),
        )
        .await;
    assert_eq!(names(&r.body, "userName"), ["dave@sort.test", "carol@sort.test", "bob@sort.test"]);
    // Groups sort too (with the demo account's Engineering and Sales), case-insensitively.
    for g in ["beta", "Alpha", "gamma"] {
        c.group(g, &[]).await;
    }
    let r = c.call(Method::GET, "/Groups?sortBy=displayName&sortOrder=descending", None).await;
    assert_eq!(names(&r.body, "displayName"), ["Sales", "gamma", "Engineering", "beta", "Alpha"]);
    // Bad parameters are 400s.
    let r = c.call(Method::GET, "/Users?sortBy=userName&sortOrder=sideways", None).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
}

#[tokio::test]
async fn write_responses_honour_attributes_and_excluded_attributes() {
    let c = Client::start(Profile::rfc()).await;
    let r = c
        .call(
            Method::POST,
            "/Users?attributes=userName",
            Some(json!({"userName": "w@example.com", "title": "T", "password": "secret"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["userName"], "w@example.com");
    assert!(r.body.get("title").is_none() && r.body.get("meta").is_none(), "{}", r.body);
    let r = c
        .call(
            Method::PUT,
            &format!("/Users/{id}?excludedAttributes=title"),
            Some(json!({"userName": "w@example.com", "title": "U", "displayName": "W"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("title").is_none(), "{}", r.body);
    assert_eq!(r.body["displayName"], "W");
    let r = c
        .call(
            Method::PATCH,
            &format!("/Users/{id}?attributes=title"),
            patch(json!([{"op": "replace", "path": "title", "value": "V"}])),
        )
        .await;
    assert_eq!(r.body["title"], "V");
    assert_eq!(r.body["id"], id.as_str());
    assert!(r.body.get("displayName").is_none(), "{}", r.body);
    // returned "never": the password is stored but never returned.
    let r = c.call(Method::GET, &format!("/Users/{id}?attributes=password"), None).await;
    assert!(r.body.get("password").is_none(), "{}", r.body);
    let r = c
        .call(
            Method::POST,
            "/Groups?excludedAttributes=members",
            Some(json!({"displayName": "G", "members": [{"value": id}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body.get("members").is_none(), "{}", r.body);
    assert_eq!(r.body["displayName"], "G");
}

#[tokio::test]
async fn id_format_draws_uuids_from_the_seeded_stream() {
    let first_ids = |seed| async move {
        let c = Client::with_seed(Profile::rfc(), seed).await;
        let u = c.user(json!({"userName": "id@example.com"})).await;
        let g = c.group("Ids", &[]).await;
        (u, g)
    };
    let (u, g) = first_ids(7).await;
    for id in [&u, &g] {
        assert_eq!(id.len(), 36, "{id}");
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
        assert!(parts[2].starts_with('4'), "version 4: {id}");
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
    assert_eq!(first_ids(7).await, (u.clone(), g.clone()), "same seed, same ids");
    assert_ne!(first_ids(8).await.0, u, "another seed, other ids");
    // The switch applies to any profile; onepassword keeps base32 by default.
    let c = Client::start(Profile::onepassword()).await;
    assert!(emulator::ids::is_base32_id(&c.user(json!({"userName": "b@example.com"})).await));
    let uuid_op = Profile::onepassword().with_overrides(&json!({"id_format": "uuid"})).unwrap();
    let c = Client::start(uuid_op).await;
    assert_eq!(c.user(json!({"userName": "u@example.com"})).await.len(), 36);
}

fn bulk(ops: Value) -> Option<Value> {
    Some(
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}),
    )
}

/// The admin journal's count of requests matching `query` in the default tenant.
async fn journal_count(c: &Client, query: &str) -> u64 {
    let url = format!("{}/tenants/default/journal/count?{query}", c.server.admin_url());
    let resp = c.http.get(url).bearer_auth(c.server.admin_token()).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    body["count"].as_u64().expect("count")
}

#[tokio::test]
async fn bulk_resolves_bulk_ids_and_sends_each_operation_as_its_own_request() {
    let c = Client::start(Profile::rfc()).await;
    let spc = c.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(spc.body["bulk"]["supported"], true);
    assert_eq!(spc.body["bulk"]["maxOperations"], 1000);
    // The group refers to a user created later in the same request.
    let r = c
        .call(Method::POST, "/Bulk", bulk(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": {"displayName": "Bulk Team", "members": [{"value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"userName": "bulk@example.com"}},
            {"method": "PATCH", "path": "/Users/bulkId:u",
             "data": {"Operations": [{"op": "replace", "path": "title", "value": "Bulked"}]}},
        ])))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:BulkResponse");
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(
        ops.iter().map(|o| o["status"].as_str().unwrap()).collect::<Vec<_>>(),
        ["201", "201", "200"],
        "{}",
        r.body
    );
    let user_loc = ops[1]["location"].as_str().unwrap();
    let user_id = user_loc.rsplit('/').next().unwrap();
    assert!(ops[2]["version"].as_str().unwrap().starts_with("W/"), "{}", r.body);
    let group = c.send(Method::GET, ops[0]["location"].as_str().unwrap(), &[], None).await;
    assert_eq!(group.body["members"][0]["value"], user_id, "{}", group.body);
    let user = c.send(Method::GET, user_loc, &[], None).await;
    assert_eq!(user.body["title"], "Bulked");
    // Each operation went through the stack alone: journaled like any request.
    assert_eq!(journal_count(&c, "method=POST&path=/scim/v2/Users").await, 1);
    assert_eq!(journal_count(&c, "method=PATCH&path=/scim/v2/Users/*").await, 1);
    assert_eq!(journal_count(&c, "method=POST&path=/scim/v2/Bulk").await, 1);

    // Circular and unknown references fail with 409 and send nothing; a stale version is a 412.
    let r = c
        .call(Method::POST, "/Bulk", bulk(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"displayName": "A", "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"displayName": "B", "members": [{"value": "bulkId:a"}]}},
            {"method": "DELETE", "path": "/Users/bulkId:nobody"},
            {"method": "DELETE", "path": format!("/Users/{user_id}"), "version": "W/\"stale\""},
        ])))
        .await;
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(
        ops.iter().map(|o| o["status"].as_str().unwrap()).collect::<Vec<_>>(),
        ["409", "409", "409", "412"],
        "{}",
        r.body
    );
    assert_eq!(ops[0]["response"]["schemas"][0], scim::messages::ERROR);
    assert!(ops[0]["response"]["detail"].as_str().unwrap().contains("circular"), "{}", r.body);
    assert_eq!(journal_count(&c, "method=POST&path=/scim/v2/Groups").await, 1);
    assert_eq!(
        c.call(Method::GET, &format!("/Users/{user_id}"), None).await.status,
        StatusCode::OK
    );

    // failOnErrors: stops after that many errors.
    let r = c
        .call(Method::POST, "/Bulk", Some(json!({"failOnErrors": 1, "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"userName": "bulk@example.com"}},
            {"method": "POST", "path": "/Users", "bulkId": "new", "data": {"userName": "never@example.com"}},
        ]})))
        .await;
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "{}", r.body);
    assert_eq!(ops[0]["status"], "409");
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    let r =
        c.call(Method::GET, "/Users?filter=userName%20eq%20%22never@example.com%22", None).await;
    assert_eq!(r.body["totalResults"], 0);
}

#[tokio::test]
async fn bulk_limits_are_enforced_and_bulk_is_off_in_onepassword() {
    let two = Profile::rfc().with_overrides(&json!({"bulk_max_operations": 2})).unwrap();
    let c = Client::start(two).await;
    let op = json!({"method": "DELETE", "path": "/Users/x"});
    let r = c.call(Method::POST, "/Bulk", bulk(json!([op, op, op]))).await;
    assert_scim_error(&r, 413, Some("tooMany"));
    let big = "x".repeat(1 << 20);
    let r = c
        .call(Method::POST, "/Bulk", bulk(json!([{"method": "POST", "path": "/Users", "bulkId": "b", "data": {"userName": big}}])))
        .await;
    assert_scim_error(&r, 413, Some("tooMany"));
    let r = c.call(Method::POST, "/Bulk", bulk(json!([{"method": "GET", "path": "/Users"}]))).await;
    assert_scim_error(&r, 400, Some("invalidSyntax"));

    let c = Client::start(Profile::onepassword()).await;
    let spc = c.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(
        spc.body["bulk"],
        json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0})
    );
    let r = c.call(Method::POST, "/Bulk", bulk(json!([op]))).await;
    assert_scim_error(&r, 501, None);
}
