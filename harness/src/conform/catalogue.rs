//! Every check a run can make, for `--dry-run`, `-k` area selection and skips. Ids with `*` are
//! generated from discovery (`*` is a resource type, an attribute or a schema); a test asserts
//! that every id a run produces matches an entry here.

/// One catalogue entry.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Id, or id pattern with `*`.
    pub id: &'static str,
    /// What it checks.
    pub title: &'static str,
}

impl Entry {
    /// `true` for a fixed id (not generated, not a setup step).
    pub fn fixed(&self) -> bool {
        !self.id.contains('*') && !self.id.ends_with(".setup")
    }

    /// `true` when `id` is this entry's id or matches its pattern (`*` = any non-empty text).
    pub fn matches(&self, id: &str) -> bool {
        glob(self.id.as_bytes(), id.as_bytes())
    }
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (1..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

const fn e(id: &'static str, title: &'static str) -> Entry {
    Entry { id, title }
}

/// The catalogue, in run order.
pub const CHECKS: &[Entry] = &[
    e("discovery.spc.get", "GET /ServiceProviderConfig answers 200 with the SPC schema"),
    e("discovery.spc.media_type", "responses are application/scim+json"),
    e(
        "discovery.spc.features",
        "every SPC feature has a boolean `supported` and its required limits",
    ),
    e(
        "discovery.spc.auth_schemes",
        "authenticationSchemes is non-empty and each scheme's URIs are URIs",
    ),
    e("discovery.spc.meta_location", "meta.location resolves to the resource itself"),
    e(
        "discovery.resource_types.list",
        "GET /ResourceTypes is a ListResponse (totalResults, Resources, startIndex 1)",
    ),
    e(
        "discovery.schemas.list",
        "GET /Schemas is a ListResponse (totalResults, Resources, startIndex 1)",
    ),
    e(
        "discovery.schemas.documents",
        "every schema has an id and attributes (and no message schemas are listed)",
    ),
    e("discovery.schemas.ignores_paging", "paging parameters on /Schemas are ignored"),
    e("discovery.schemas.filter", "a filter on /Schemas is ignored or answered 403"),
    e("discovery.schemas.by_id.*", "GET /Schemas/{id} answers the schema"),
    e(
        "discovery.resource_types.endpoint.*",
        "a resource type's endpoint is relative to the base URL",
    ),
    e(
        "discovery.resource_types.reachable.*",
        "a resource type's endpoint leads to its resources (against the base URL or the host)",
    ),
    e("discovery.resource_types.by_id.*", "GET /ResourceTypes/{name} answers the resource type"),
    e("discovery.resource_types.*", "a resource type names its endpoint and schemas, all served"),
    e(
        "discovery.attr.*.*",
        "an advertised attribute is a valid definition (type, mutability, returned, uniqueness)",
    ),
    e("crud.*.create.status", "POST answers 201 (200 on the recorded bridge)"),
    e("crud.*.media_type", "responses are application/scim+json"),
    e("crud.*.create.body", "POST returns the resource with schemas, id and meta"),
    e("crud.*.create.location", "POST sends Location equal to meta.location"),
    e("crud.*.get", "GET {endpoint}/{id} returns the resource"),
    e("crud.*.attr.*", "a written attribute round-trips as its definition says"),
    e("crud.*.shape.*", "a returned attribute matches its definition"),
    e("crud.*.meta_location", "meta.location resolves to the resource itself"),
    e("crud.*.attributes", "?attributes= returns the asked attributes and id only"),
    e(
        "crud.*.excluded_attributes",
        "?excludedAttributes= drops attributes but keeps returned-always ones",
    ),
    e("crud.*.list", "GET {endpoint}?count=2 is a ListResponse with integer paging fields"),
    e("crud.*.put", "PUT replaces the resource and answers 200 with it"),
    e("crud.*.put.meta", "PUT keeps meta.created and lastModified is not before it"),
    e("crud.*.delete.status", "DELETE answers 204"),
    e("crud.*.delete.gone", "after DELETE, GET answers 404 (the recorded bridge: suspended)"),
    e("crud.*.delete.recreate", "a resource with a deleted one's name can be created again"),
    e("filter.setup", "the filter fixture users can be created"),
    e("filter.eq", "eq on userName"),
    e("filter.eq.case_insensitive", "eq on userName follows its caseExact"),
    e("filter.eq.externalId", "eq on externalId"),
    e("filter.eq.case_exact", "eq on externalId follows its caseExact"),
    e("filter.ne", "ne"),
    e("filter.co", "co"),
    e("filter.sw", "sw"),
    e("filter.ew", "ew"),
    e("filter.gt", "gt on a string"),
    e("filter.ge", "ge on a string"),
    e("filter.lt", "lt on a string"),
    e("filter.le", "le on a string"),
    e("filter.pr", "pr"),
    e("filter.pr.title", "pr on an attribute one user has"),
    e("filter.boolean", "eq on a boolean"),
    e("filter.sub_attribute", "eq on a sub-attribute (name.familyName)"),
    e("filter.multi_valued", "a multi-valued attribute matches when any value does"),
    e("filter.or", "or"),
    e("filter.not", "not ( )"),
    e("filter.precedence", "and binds tighter than or"),
    e("filter.grouping", "parentheses group"),
    e("filter.value_path", "value path emails[type eq \"work\" and value co ...]"),
    e("filter.value_path.same_value", "a value path matches within one value, not across values"),
    e("filter.case_insensitive_names", "attribute names and operators are case-insensitive"),
    e("filter.urn", "a fully qualified (URN) attribute name"),
    e("filter.datetime", "gt on a dateTime (meta.created)"),
    e("filter.datetime.lt", "lt on a dateTime (meta.created)"),
    e("filter.no_match", "a filter nothing matches answers 200 with totalResults 0"),
    e("filter.boolean_order", "gt on a boolean is 400 invalidFilter"),
    e("filter.search_post", "POST /.search with a filter answers like GET"),
    e("filter.group.displayName", "eq on a group's displayName"),
    e("paging.setup", "the paging fixture users can be created"),
    e("paging.count", "count limits the page"),
    e("paging.total_results", "totalResults is the number of matches, not the page size"),
    e("paging.items_per_page", "itemsPerPage is the number of Resources returned"),
    e("paging.count_zero", "count=0 returns totalResults only"),
    e("paging.start_index_below_one", "startIndex below 1 is treated as 1"),
    e("paging.negative_count", "a negative count is treated as 0"),
    e("paging.start_index", "startIndex is honoured and echoed"),
    e("paging.beyond_end", "a startIndex past the end answers 200 with no Resources"),
    e("paging.walk", "walking pages returns every resource exactly once, in a stable order"),
    e("paging.sort", "sortBy=userName orders ascending and descending"),
    e("patch.setup", "a user to PATCH can be created"),
    e("patch.User.replace.*", "replace an attribute with a path"),
    e("patch.User.remove.*", "remove an attribute"),
    e("patch.User.add.*", "add an attribute with a path"),
    e("patch.pathless_replace", "replace without a path takes an object of attributes"),
    e("patch.value_path.replace", "replace emails[type eq \"work\"].value changes only that value"),
    e("patch.value_path.remove", "remove emails[type eq \"home\"] removes only that value"),
    e(
        "patch.value_path.no_match",
        "replace on a value path nothing matches (400 noTarget; Entra: created)",
    ),
    e("patch.multi_add", "add to a multi-valued attribute appends"),
    e("patch.primary", "a new primary value clears primary on the others"),
    e("patch.atomic", "a PATCH whose second operation fails changes nothing"),
    e("patch.remove_without_path", "remove without a path is 400 noTarget"),
    e("patch.unknown_op", "an unknown op is 400"),
    e("patch.bad_path", "a malformed path is 400 invalidPath"),
    e(
        "patch.readonly",
        "replacing the readOnly id is refused (400 mutability) and changes nothing",
    ),
    e("patch.active", "replace active false deactivates"),
    e("patch.capitalised_op", "capitalised op names (\"Replace\") are accepted"),
    e("patch.string_boolean", "\"False\" as a string is taken as the boolean false"),
    e("errors.malformed_json", "malformed JSON is 400 invalidSyntax"),
    e("errors.bad_filter", "a syntactically bad filter is 400 invalidFilter"),
    e("errors.bad_filter.operator", "an unknown filter operator is 400 invalidFilter"),
    e("errors.bad_filter.parens", "an unbalanced parenthesis is 400 invalidFilter"),
    e(
        "errors.unknown_filter_attribute",
        "a filter on an undefined attribute matches nothing or is 400",
    ),
    e(
        "errors.unknown_attribute",
        "an undefined attribute in a body is ignored or refused with 400",
    ),
    e("errors.uniqueness", "a duplicate userName is 409 uniqueness"),
    e("errors.uniqueness.case", "a userName differing only in case is a duplicate"),
    e("errors.unknown_id.get", "GET on an unknown id is 404 with a SCIM error"),
    e("errors.unknown_id.put", "PUT on an unknown id is 404 with a SCIM error"),
    e("errors.unknown_id.patch", "PATCH on an unknown id is 404 with a SCIM error"),
    e("errors.unknown_id.delete", "DELETE on an unknown id is 404 with a SCIM error"),
    e("errors.unknown_endpoint", "an unknown endpoint is 404 with a SCIM error"),
    e("errors.wrong_method", "DELETE on the collection is refused with a SCIM error (405 or 501)"),
    e("errors.auth.missing", "no token is 401 with a SCIM error"),
    e("errors.auth.wrong", "a wrong token is 401 with a SCIM error"),
    e("errors.auth.www_authenticate", "401 carries WWW-Authenticate"),
    e("errors.content_type_json", "a request sent as application/json is accepted"),
    e("etag.header", "GET sends an ETag equal to meta.version"),
    e("etag.if_none_match", "If-None-Match with the current ETag is 304"),
    e("etag.if_match_stale", "If-Match with a stale ETag is 412"),
    e("etag.if_match_current", "If-Match with the current ETag succeeds"),
    e("groups.create_with_members", "a group created with a member lists it"),
    e(
        "groups.member_shape",
        "members carry value, a canonical type and a $ref that leads to the member",
    ),
    e("groups.member_display", "member display names are not empty strings"),
    e("groups.user_side.create", "the member's groups lists the group"),
    e("groups.patch_add", "PATCH add members adds a member"),
    e("groups.user_side.add", "after PATCH add, both members' groups list the group"),
    e("groups.patch_remove", "PATCH remove members[value eq \"…\"] removes that member only"),
    e("groups.user_side.remove", "after PATCH remove, the removed user's groups drop the group"),
    e("groups.patch_replace", "PATCH replace members sets the member list"),
    e("groups.put_members", "PUT with members replaces the member list"),
    e("groups.entra_remove", "Entra's remove members with a value array removes those members"),
    e("groups.delete_member", "a deleted user disappears from its groups"),
];
