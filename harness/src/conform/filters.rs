//! Filters (RFC 7644 §3.4.2.2): every operator and logical combination against three users the
//! run creates, with answers known in advance. Only the run's own users are compared, so other
//! data on the server cannot change an answer. Checks that need an attribute the server did not
//! keep are skipped, naming the attribute.

use serde_json::{Value, json};

use super::client::enc;
use super::crud::user_body;
use super::model::ResType;
use super::{Ctx, Level, Resp, patch_body};

/// The three users filters and paging work on: alice, bob, carol (carol inactive).
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The user resource type.
    pub rt: ResType,
    /// Their ids, in order.
    pub ids: Vec<String>,
    /// Their userNames, in order.
    pub names: Vec<String>,
    /// Their representations as read back after setup.
    pub got: Vec<Value>,
}

impl Fixture {
    /// `true` when every user the run gave `path` (dotted, `emails.type`) still has it.
    pub fn kept(&self, path: &str) -> bool {
        let mut parts = path.split('.');
        let top = parts.next().unwrap_or_default();
        let sub = parts.next();
        // alice has every attribute the filters use.
        let v = &self.got[0][top];
        match sub {
            None => !v.is_null(),
            Some(s) => match v {
                Value::Array(a) => a.iter().any(|x| !x[s].is_null()),
                other => !other[s].is_null(),
            },
        }
    }

    /// Which of the fixture's users are in a list response.
    pub fn members_of(&self, r: &Resp) -> Vec<usize> {
        let ids: Vec<&str> = r.body["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["id"].as_str())
            .collect();
        (0..self.ids.len()).filter(|i| ids.contains(&self.ids[*i].as_str())).collect()
    }
}

/// Creates alice, bob and carol (carol then deactivated). `None` when users cannot be created.
pub async fn fixture(ctx: &Ctx) -> Option<Fixture> {
    let rt = ctx.disc.user.clone()?;
    let p = &ctx.prefix;
    let people = [
        (
            "alice",
            "Alice",
            "Anders",
            vec![
                json!({"value": format!("{p}-alice@example.com"), "type": "work", "primary": true}),
            ],
            Some("Engineer"),
        ),
        (
            "bob",
            "Bob",
            "Brown",
            vec![
                json!({"value": format!("{p}-bob@example.com"), "type": "work", "primary": true}),
                json!({"value": format!("{p}-bob@home.example.org"), "type": "home"}),
            ],
            None,
        ),
        (
            "carol",
            "Carol",
            "Clark",
            vec![
                json!({"value": format!("{p}-carol@home.example.org"), "type": "home", "primary": true}),
            ],
            None,
        ),
    ];
    let mut fx = Fixture { rt: rt.clone(), ids: Vec::new(), names: Vec::new(), got: Vec::new() };
    for (tag, given, family, emails, title) in people {
        let user_name = format!("{p}-fx-{tag}");
        let mut fields = vec![
            (
                "name",
                json!({"givenName": given, "familyName": family, "formatted": format!("{given} {family}")}),
            ),
            ("displayName", json!(format!("{given} {family} {p}"))),
            ("emails", Value::Array(emails)),
            ("active", json!(true)),
        ];
        if tag != "carol" {
            fields.push(("externalId", json!(format!("{p}-ext-{}", &tag[..1]))));
        }
        if let Some(t) = title {
            fields.push(("title", json!(t)));
        }
        let body = user_body(ctx, &rt, &user_name, tag, &fields);
        let r = ctx.create(&rt.endpoint, &body).await.ok()?;
        let id = r.body["id"].as_str()?.to_owned();
        fx.ids.push(id);
        fx.names.push(user_name);
    }
    // carol inactive: PATCH when advertised, else PUT.
    let carol = format!("{}/{}", rt.endpoint, fx.ids[2]);
    let patched = if ctx.disc.patch {
        ctx.client
            .patch(
                &carol,
                &patch_body(json!([{"op": "replace", "path": "active", "value": false}])),
            )
            .await
            .ok()
            .filter(|r| (200..300).contains(&r.status))
    } else {
        None
    };
    if patched.is_none()
        && let Ok(cur) = ctx.client.get(&carol).await
    {
        let mut b = cur.body.clone();
        b["active"] = json!(false);
        if let Some(o) = b.as_object_mut() {
            o.remove("meta");
        }
        let _ = ctx.client.put(&carol, &b).await;
    }
    for id in &fx.ids {
        let g = ctx.client.get(&format!("{}/{id}", rt.endpoint)).await.ok()?;
        fx.got.push(g.body);
    }
    Some(fx)
}

/// One filter check: the filter, which fixture users it must return, which attributes it needs.
struct Case {
    id: &'static str,
    title: &'static str,
    filter: String,
    want: Vec<usize>,
    needs: Vec<&'static str>,
}

/// Runs the filter checks.
pub async fn run(ctx: &Ctx, fx: Option<&Fixture>) {
    if !ctx.disc.filter {
        for c in
            super::catalogue::CHECKS.iter().filter(|c| c.id.starts_with("filter.") && c.fixed())
        {
            ctx.skip(c.id, c.title, "filter.supported is false in /ServiceProviderConfig");
        }
        return;
    }
    let Some(fx) = fx else {
        ctx.fail(
            "filter.setup",
            "the filter fixture users can be created",
            "could not create the three fixture users (see crud checks)",
        );
        return;
    };
    let p = &ctx.prefix;
    let up = p.to_uppercase();
    let scope = format!("userName sw \"{p}-fx-\"");
    let user_name_exact = ctx.disc.attr(&fx.rt, "userName").is_some_and(|a| a.case_exact);
    let ext_exact = ctx.disc.attr(&fx.rt, "externalId").is_none_or(|a| a.case_exact);
    let cases = vec![
        Case {
            id: "filter.eq",
            title: "eq on userName",
            filter: format!("userName eq \"{p}-fx-alice\""),
            want: vec![0],
            needs: vec![],
        },
        Case {
            id: "filter.eq.case_insensitive",
            title: "eq on userName follows its caseExact",
            filter: format!("userName eq \"{up}-FX-ALICE\""),
            want: if user_name_exact { vec![] } else { vec![0] },
            needs: vec![],
        },
        Case {
            id: "filter.eq.externalId",
            title: "eq on externalId",
            filter: format!("externalId eq \"{p}-ext-a\""),
            want: vec![0],
            needs: vec!["externalId"],
        },
        Case {
            id: "filter.eq.case_exact",
            title: "eq on externalId follows its caseExact",
            filter: format!("externalId eq \"{up}-EXT-A\""),
            want: if ext_exact { vec![] } else { vec![0] },
            needs: vec!["externalId"],
        },
        Case {
            id: "filter.ne",
            title: "ne",
            filter: format!("userName ne \"{p}-fx-alice\" and {scope}"),
            want: vec![1, 2],
            needs: vec![],
        },
        Case {
            id: "filter.co",
            title: "co",
            filter: format!("userName co \"{p}-fx-bo\""),
            want: vec![1],
            needs: vec![],
        },
        Case {
            id: "filter.sw",
            title: "sw",
            filter: scope.clone(),
            want: vec![0, 1, 2],
            needs: vec![],
        },
        Case {
            id: "filter.ew",
            title: "ew",
            filter: format!("userName ew \"-carol\" and {scope}"),
            want: vec![2],
            needs: vec![],
        },
        Case {
            id: "filter.gt",
            title: "gt on a string",
            filter: format!("userName gt \"{p}-fx-bob\" and {scope}"),
            want: vec![2],
            needs: vec![],
        },
        Case {
            id: "filter.ge",
            title: "ge on a string",
            filter: format!("userName ge \"{p}-fx-bob\" and {scope}"),
            want: vec![1, 2],
            needs: vec![],
        },
        Case {
            id: "filter.lt",
            title: "lt on a string",
            filter: format!("userName lt \"{p}-fx-bob\" and {scope}"),
            want: vec![0],
            needs: vec![],
        },
        Case {
            id: "filter.le",
            title: "le on a string",
            filter: format!("userName le \"{p}-fx-bob\" and {scope}"),
            want: vec![0, 1],
            needs: vec![],
        },
        Case {
            id: "filter.pr",
            title: "pr",
            filter: format!("externalId pr and {scope}"),
            want: vec![0, 1],
            needs: vec!["externalId"],
        },
        Case {
            id: "filter.pr.title",
            title: "pr on an attribute one user has",
            filter: format!("title pr and {scope}"),
            want: vec![0],
            needs: vec!["title"],
        },
        Case {
            id: "filter.boolean",
            title: "eq on a boolean",
            filter: format!("active eq false and {scope}"),
            want: vec![2],
            needs: vec!["active"],
        },
        Case {
            id: "filter.sub_attribute",
            title: "eq on a sub-attribute (name.familyName)",
            filter: format!("name.familyName eq \"Brown\" and {scope}"),
            want: vec![1],
            needs: vec!["name.familyName"],
        },
        Case {
            id: "filter.multi_valued",
            title: "a multi-valued attribute matches when any value does",
            filter: format!("emails.value ew \"@home.example.org\" and {scope}"),
            want: vec![1, 2],
            needs: vec!["emails.value"],
        },
        Case {
            id: "filter.or",
            title: "or",
            filter: format!("userName eq \"{p}-fx-alice\" or userName eq \"{p}-fx-carol\""),
            want: vec![0, 2],
            needs: vec![],
        },
        Case {
            id: "filter.not",
            title: "not ( )",
            filter: format!("{scope} and not (userName eq \"{p}-fx-bob\")"),
            want: vec![0, 2],
            needs: vec![],
        },
        Case {
            id: "filter.precedence",
            title: "and binds tighter than or",
            filter: format!(
                "userName eq \"{p}-fx-alice\" or userName eq \"{p}-fx-bob\" and active eq false"
            ),
            want: vec![0],
            needs: vec!["active"],
        },
        Case {
            id: "filter.grouping",
            title: "parentheses group",
            filter: format!(
                "(userName eq \"{p}-fx-alice\" or userName eq \"{p}-fx-bob\") and active eq true"
            ),
            want: vec![0, 1],
            needs: vec!["active"],
        },
        Case {
            id: "filter.value_path",
            title: "value path emails[type eq \"work\" and value co ...]",
            filter: format!("emails[type eq \"work\" and value co \"{p}-bob@\"]"),
            want: vec![1],
            needs: vec!["emails.type"],
        },
        Case {
            id: "filter.value_path.same_value",
            title: "a value path matches within one value, not across values",
            filter: format!(
                "emails[type eq \"work\" and value ew \"@home.example.org\"] and {scope}"
            ),
            want: vec![],
            needs: vec!["emails.type"],
        },
        Case {
            id: "filter.case_insensitive_names",
            title: "attribute names and operators are case-insensitive",
            filter: format!("USERNAME EQ \"{p}-fx-alice\""),
            want: vec![0],
            needs: vec![],
        },
        Case {
            id: "filter.urn",
            title: "a fully qualified (URN) attribute name",
            filter: format!(
                "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"{p}-fx-alice\""
            ),
            want: vec![0],
            needs: vec![],
        },
        Case {
            id: "filter.datetime",
            title: "gt on a dateTime (meta.created)",
            filter: format!("meta.created gt \"2000-01-01T00:00:00Z\" and {scope}"),
            want: vec![0, 1, 2],
            needs: vec!["meta.created"],
        },
        Case {
            id: "filter.datetime.lt",
            title: "lt on a dateTime (meta.created)",
            filter: format!("meta.created lt \"2000-01-01T00:00:00Z\" and {scope}"),
            want: vec![],
            needs: vec!["meta.created"],
        },
        Case {
            id: "filter.no_match",
            title: "a filter nothing matches answers 200 with totalResults 0",
            filter: format!("userName eq \"{p}-fx-nobody\""),
            want: vec![],
            needs: vec![],
        },
    ];
    for c in cases {
        if let Some(missing) = c.needs.iter().find(|n| !fx.kept(n)) {
            ctx.skip(
                c.id,
                c.title,
                format!("the server did not keep {missing} (see the crud checks)"),
            );
            continue;
        }
        let path = format!("{}?filter={}&count=100", fx.rt.endpoint, enc(&c.filter));
        let Ok(r) = ctx.client.get(&path).await else { continue };
        judge(ctx, fx, &c, &r);
    }
    invalid_boolean_order(ctx, fx).await;
    search_post(ctx, fx).await;
    groups(ctx).await;
}

fn judge(ctx: &Ctx, fx: &Fixture, c: &Case, r: &Resp) {
    let names =
        |v: &[usize]| v.iter().map(|i| fx.names[*i].as_str()).collect::<Vec<_>>().join(", ");
    if r.status == 400 && ctx.expect == super::Expect::Onepassword {
        ctx.skip(
            c.id,
            c.title,
            format!("the recorded bridge's filter support beyond eq is unknown; {}", r.describe()),
        );
        return;
    }
    if r.status != 200 || !super::discovery::is_list_response(r) {
        ctx.fail(
            c.id,
            c.title,
            format!("filter {:?}: RFC 7644 §3.4.2.2 (filter advertised in /ServiceProviderConfig) expects a 200 ListResponse; {}", c.filter, r.describe()),
        );
        return;
    }
    let got = fx.members_of(r);
    let total_ok =
        c.want.is_empty() == (r.body["totalResults"].as_u64() == Some(0)) || !c.want.is_empty();
    ctx.require(
        c.id,
        c.title,
        Level::Must,
        got == c.want && total_ok,
        format!(
            "filter {:?}: RFC 7644 §3.4.2.2 gives [{}]; the server returned [{}] of the run's users (totalResults {})",
            c.filter,
            names(&c.want),
            names(&got),
            r.body["totalResults"]
        ),
    );
}

async fn invalid_boolean_order(ctx: &Ctx, fx: &Fixture) {
    let f = format!("active gt true and userName sw \"{}-fx-\"", ctx.prefix);
    let Ok(r) = ctx.client.get(&format!("{}?filter={}", fx.rt.endpoint, enc(&f))).await else {
        return;
    };
    if r.status == 400 && ctx.expect == super::Expect::Onepassword {
        ctx.pass("filter.boolean_order", "gt on a boolean is 400 invalidFilter", "");
        return;
    }
    ctx.require(
        "filter.boolean_order",
        "gt on a boolean is 400 invalidFilter",
        Level::Must,
        r.status == 400 && r.body["scimType"].as_str() == Some("invalidFilter"),
        format!("filter {f:?}: RFC 7644 §3.4.2.2: gt/ge/lt/le on a boolean SHALL fail with 400 invalidFilter; {}", r.describe()),
    );
}

async fn search_post(ctx: &Ctx, fx: &Fixture) {
    let body = json!({
        "schemas": [scim::messages::SEARCH_REQUEST],
        "filter": format!("userName sw \"{}-fx-\"", ctx.prefix),
        "startIndex": 1, "count": 100,
    });
    let path = format!("{}/.search", fx.rt.endpoint);
    let Ok(r) = ctx.client.post(&path, &body).await else { return };
    let title = "POST /.search with a filter answers like GET";
    if matches!(r.status, 404 | 405 | 501) {
        ctx.skip("filter.search_post", title, format!("/.search not supported: {}", r.describe()));
        return;
    }
    ctx.require(
        "filter.search_post",
        title,
        Level::Must,
        r.status == 200 && fx.members_of(&r) == vec![0, 1, 2],
        format!(
            "RFC 7644 §3.4.3: POST {path} with a SearchRequest filter returns the three users; {}",
            r.describe()
        ),
    );
}

async fn groups(ctx: &Ctx) {
    let Some(rt) = ctx.disc.group.clone() else { return };
    let name = format!("{} filter group", ctx.unique("fg"));
    let body = json!({"schemas": [rt.schema], "displayName": name});
    let Ok(c) = ctx.create(&rt.endpoint, &body).await else { return };
    let Some(id) = c.body["id"].as_str() else {
        ctx.fail(
            "filter.group.displayName",
            "eq on a group's displayName",
            format!("could not create a group: {}", c.describe()),
        );
        return;
    };
    let f = format!("displayName eq \"{name}\"");
    let Ok(r) = ctx.client.get(&format!("{}?filter={}", rt.endpoint, enc(&f))).await else {
        return;
    };
    let ids: Vec<&str> = r.body["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["id"].as_str())
        .collect();
    ctx.require(
        "filter.group.displayName",
        "eq on a group's displayName",
        Level::Must,
        r.status == 200 && ids == vec![id],
        format!(
            "filter {f:?}: RFC 7644 §3.4.2.2 (Entra and Okta match groups this way); {}",
            r.describe()
        ),
    );
}
