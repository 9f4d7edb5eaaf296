// A SCIMMY 1.3.5 SCIM server in memory, for `scripts/conform-third-party.sh`: the smallest
// application the SCIMMY docs describe (express + scimmy-routers, one Map per resource type,
// userName uniqueness enforced by the app, filters matched with SCIMMY's own Filter.match). Listens on 127.0.0.1:$PORT, base URL /scim/v2.
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const token = process.env.SCIMMY_TOKEN ?? "scimmy-token";
let next = 1;
const notFound = (id) => new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);

function declare(Type, unique) {
    const store = new Map();
    SCIMMY.Resources.declare(Type)
        .ingress((resource, data) => {
            if (resource.id && !store.has(resource.id)) throw notFound(resource.id);
            const id = resource.id ?? String(next++);
            const key = unique && String(data[unique]).toLowerCase();
            for (const other of store.values())
                if (key && other.id !== id && String(other[unique]).toLowerCase() === key)
                    throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} already in use`);
            const now = new Date().toISOString();
            const value = {...data, id, meta: {created: store.get(id)?.meta.created ?? now, lastModified: now}};
            store.set(id, value);
            return value;
        })
        .egress((resource) => {
            // SCIMMY leaves filtering to the handler; its own Filter.match does the matching.
            if (!resource.id) return resource.filter ? resource.filter.match([...store.values()]) : [...store.values()];
            if (!store.has(resource.id)) throw notFound(resource.id);
            return store.get(resource.id);
        })
        .degress((resource) => {
            if (!store.delete(resource.id)) throw notFound(resource.id);
        });
}

declare(SCIMMY.Resources.User, "userName");
declare(SCIMMY.Resources.Group, null);

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    docUri: "https://example.com/scim-auth",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) throw new Error("Authorization failed");
        return "conform";
    },
}));
const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    console.log(`SCIMMY on http://127.0.0.1:${server.address().port}/scim/v2`);
});
