//! Group membership both ways (RFC 7643 §4.1.2 `groups`, §4.2 `members`; RFC 7644 §3.5.2):
//! what a group lists and what each user's `groups` says, through create, PATCH add/remove/
//! replace, PUT and user deletion.

use serde_json::{Value, json};

use super::crud::user_body;
use super::model::ResType;
use super::{Ctx, Expect, Level, Resp, patch_body};

fn member_ids(r: &Resp) -> Vec<String> {
    let mut v: Vec<String> = r.body["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

struct Setup {
    users: ResType,
    groups: ResType,
    u: Vec<String>,
    group_path: String,
    user_groups: bool,
}

impl Setup {
    fn user_path(&self, i: usize) -> String {
        format!("{}/{}", self.users.endpoint, self.u[i])
    }
}

/// Runs the membership checks.
pub async fn run(ctx: &Ctx) {
    let (Some(users), Some(groups)) = (ctx.disc.user.clone(), ctx.disc.group.clone()) else {
        return;
    };
    let mut u = Vec::new();
    for tag in ["m1", "m2"] {
        let name = ctx.unique(tag);
        // m1 has no displayName, so a server deriving `display` from it shows what it does then.
        let fields = if tag == "m1" {
            vec![]
        } else {
            vec![("displayName", json!(format!("Member {tag} {}", ctx.prefix)))]
        };
        let body = user_body(ctx, &users, &name, tag, &fields);
        let Ok(r) = ctx.create(&users.endpoint, &body).await else { return };
        let Some(id) = r.body["id"].as_str() else {
            ctx.fail(
                "groups.create_with_members",
                "a group created with a member lists it",
                format!("could not create a member: {}", r.describe()),
            );
            return;
        };
        u.push(id.to_owned());
    }
    let name = format!("{} members", ctx.unique("grp"));
    let body =
        json!({"schemas": [groups.schema], "displayName": name, "members": [{"value": u[0]}]});
    let Ok(c) = ctx.create(&groups.endpoint, &body).await else { return };
    let Some(gid) = c.body["id"].as_str() else {
        ctx.fail(
            "groups.create_with_members",
            "a group created with a member lists it",
            c.describe(),
        );
        return;
    };
    let user_groups =
        ctx.disc.attr(&users, "groups").is_some() && ctx.expect != Expect::Onepassword;
    let s =
        Setup { group_path: format!("{}/{gid}", groups.endpoint), users, groups, u, user_groups };
    let Ok(g) = ctx.client.get(&s.group_path).await else { return };
    ctx.require(
        "groups.create_with_members",
        "a group created with a member lists it",
        Level::Must,
        (200..300).contains(&c.status) && member_ids(&g) == vec![s.u[0].clone()],
        format!(
            "POST {} with members [{}]: RFC 7643 §4.2; GET shows members {:?}; {}",
            s.groups.endpoint,
            s.u[0],
            member_ids(&g),
            g.describe()
        ),
    );
    member_shape(ctx, &g).await;
    both_ways(
        ctx,
        &s,
        "groups.user_side.create",
        "the member's groups lists the group",
        &[0],
        &[1],
    )
    .await;
    // PATCH add.
    let add = patch_body(json!([{"op": "add", "path": "members", "value": [{"value": s.u[1]}]}]));
    if let Ok(p) = ctx.client.patch(&s.group_path, &add).await
        && let Ok(g) = ctx.client.get(&s.group_path).await
    {
        ctx.require(
            "groups.patch_add",
            "PATCH add members adds a member",
            Level::Must,
            (p.status == 200 || p.status == 204) && member_ids(&g) == sorted(s.u.clone()),
            format!(
                "{}: RFC 7644 §3.5.2.1; members after {:?}; {}",
                p.request,
                member_ids(&g),
                p.describe()
            ),
        );
    }
    both_ways(
        ctx,
        &s,
        "groups.user_side.add",
        "after PATCH add, both members' groups list the group",
        &[0, 1],
        &[],
    )
    .await;
    // PATCH remove with a value filter.
    let rm =
        patch_body(json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", s.u[0])}]));
    if let Ok(p) = ctx.client.patch(&s.group_path, &rm).await
        && let Ok(g) = ctx.client.get(&s.group_path).await
    {
        ctx.require(
            "groups.patch_remove",
            "PATCH remove members[value eq \"…\"] removes that member only",
            Level::Must,
            (p.status == 200 || p.status == 204) && member_ids(&g) == vec![s.u[1].clone()],
            format!(
                "{}: RFC 7644 §3.5.2.2; members after {:?}; {}",
                p.request,
                member_ids(&g),
                p.describe()
            ),
        );
    }
    both_ways(
        ctx,
        &s,
        "groups.user_side.remove",
        "after PATCH remove, the removed user's groups drop the group",
        &[1],
        &[0],
    )
    .await;
    // PATCH replace.
    let rep =
        patch_body(json!([{"op": "replace", "path": "members", "value": [{"value": s.u[0]}]}]));
    if let Ok(p) = ctx.client.patch(&s.group_path, &rep).await
        && let Ok(g) = ctx.client.get(&s.group_path).await
    {
        ctx.require(
            "groups.patch_replace",
            "PATCH replace members sets the member list",
            Level::Must,
            (p.status == 200 || p.status == 204) && member_ids(&g) == vec![s.u[0].clone()],
            format!(
                "{}: RFC 7644 §3.5.2.3; members after {:?}; {}",
                p.request,
                member_ids(&g),
                p.describe()
            ),
        );
    }
    // PUT with members.
    let put =
        json!({"schemas": [s.groups.schema], "displayName": name, "members": [{"value": s.u[1]}]});
    if let Ok(p) = ctx.client.put(&s.group_path, &put).await
        && let Ok(g) = ctx.client.get(&s.group_path).await
    {
        ctx.require(
            "groups.put_members",
            "PUT with members replaces the member list",
            Level::Must,
            p.status == 200 && member_ids(&g) == vec![s.u[1].clone()],
            format!(
                "{}: RFC 7644 §3.5.1; members after {:?}; {}",
                p.request,
                member_ids(&g),
                p.describe()
            ),
        );
    }
    // Entra's remove with a value array.
    if ctx.expect == Expect::Entra {
        let rm =
            patch_body(json!([{"op": "Remove", "path": "members", "value": [{"value": s.u[1]}]}]));
        if let Ok(p) = ctx.client.patch(&s.group_path, &rm).await
            && let Ok(g) = ctx.client.get(&s.group_path).await
        {
            ctx.require(
                "groups.entra_remove",
                "Entra's remove members with a value array removes those members",
                Level::Must,
                (p.status == 200 || p.status == 204) && member_ids(&g).is_empty(),
                format!("{}: Entra (no aadOptscim062020 flag) removes members this way; members after {:?}; {}", p.request, member_ids(&g), p.describe()),
            );
        }
        let _ = ctx
            .client
            .patch(
                &s.group_path,
                &patch_body(
                    json!([{"op": "add", "path": "members", "value": [{"value": s.u[1]}]}]),
                ),
            )
            .await;
    } else {
        ctx.skip(
            "groups.entra_remove",
            "Entra's remove members with a value array removes those members",
            "only the entra preset expects this non-RFC shape",
        );
    }
    // Deleting a member removes it from the group.
    let title = "a deleted user disappears from its groups";
    if ctx.expect.delete_suspends_users() {
        ctx.skip("groups.delete_member", title, "the recorded bridge suspends instead of deleting");
        return;
    }
    let up = s.user_path(1);
    if let Ok(d) = ctx.client.delete(&up).await {
        if d.status == 204 {
            ctx.deleted(&up);
        }
        if let Ok(g) = ctx.client.get(&s.group_path).await {
            ctx.require(
                "groups.delete_member",
                title,
                Level::Should,
                !member_ids(&g).contains(&s.u[1]),
                format!("RFC 7644 §3.6: operations on a deleted resource answer 404 and it is omitted from query results, so a group should not keep pointing at it; group members after deleting {}: {:?}", s.u[1], member_ids(&g)),
            );
        }
    }
}

async fn member_shape(ctx: &Ctx, g: &Resp) {
    let members: Vec<Value> = g.body["members"].as_array().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    let mut warn = Vec::new();
    for m in &members {
        if let Some(d) = m.get("display")
            && d.as_str().is_none_or(str::is_empty)
        {
            warn.push(format!(
                "member {} has display {d}; omit it rather than send an empty name",
                m["value"]
            ));
        }
        if let Some(t) = m.get("type")
            && !matches!(t.as_str(), Some("User" | "Group"))
        {
            problems.push(format!("member type {t} (canonical values User, Group)"));
        }
        if let Some(r) = m.get("$ref").and_then(Value::as_str) {
            let url = super::discovery::resolve(ctx.client.base(), r);
            match ctx.client.get(&url).await {
                Ok(x) if x.status == 200 && x.body["id"] == m["value"] => {}
                Ok(x) => {
                    problems.push(format!("$ref {r} does not lead to the member: {}", x.describe()))
                }
                Err(e) => problems.push(e),
            }
        }
    }
    ctx.require(
        "groups.member_shape",
        "members carry value, a canonical type and a $ref that leads to the member",
        Level::Must,
        problems.is_empty(),
        format!("{}: RFC 7643 §4.2, §2.3.7: {}", g.request, problems.join("; ")),
    );
    ctx.require(
        "groups.member_display",
        "member display names are not empty strings",
        Level::Should,
        warn.is_empty(),
        format!(
            "{}: RFC 7643 §4.2 display is a human-readable name; {}",
            g.request,
            warn.join("; ")
        ),
    );
}

async fn both_ways(ctx: &Ctx, s: &Setup, id: &str, title: &str, members: &[usize], not: &[usize]) {
    if !s.user_groups {
        let why = if ctx.expect == Expect::Onepassword {
            "the recorded bridge's sparse payload has no groups"
        } else {
            "the User schema has no groups attribute"
        };
        ctx.skip(id, title, why);
        return;
    }
    let gid = s.group_path.rsplit('/').next().unwrap_or_default();
    let mut problems = Vec::new();
    for (i, want) in members.iter().map(|i| (*i, true)).chain(not.iter().map(|i| (*i, false))) {
        let Ok(u) = ctx.client.get(&s.user_path(i)).await else { continue };
        let has = u.body["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|g| g["value"].as_str() == Some(gid));
        if has != want {
            problems.push(format!(
                "user {} groups {} {gid}: {}",
                s.u[i],
                if want { "lacks" } else { "still lists" },
                u.body["groups"]
            ));
        }
    }
    // RFC 7643 §4.1.2 describes `groups` as the user's groups but states no MUST to fill it.
    ctx.require(
        id,
        title,
        Level::Should,
        problems.is_empty(),
        format!(
            "RFC 7643 §4.1.2: groups is the list of groups the user belongs to; {}",
            problems.join("; ")
        ),
    );
}
