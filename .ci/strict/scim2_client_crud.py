"""CRUD against `scimulator serve --profile rfc` with python scim2-client, the way an application
would use it: discover() first, then only the models and endpoints the server advertised.

Usage: python scim2_client_crud.py READY_FILE   (exits non-zero on the first failed check)
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import PatchOp, PatchOperation, SearchRequest

checks = 0


def check(ok, what):
    global checks
    if not ok:
        print(f"FAIL {what}")
        sys.exit(1)
    checks += 1
    print(f"PASS {what}")


ready = json.load(open(sys.argv[1]))
http = Client(
    base_url=ready["scim_url"],
    headers={"Authorization": f"Bearer {ready['scim_token']}"},
)
scim = SyncSCIMClient(http)
scim.discover()
User = scim.get_resource_model("User")
Group = scim.get_resource_model("Group")
check(User is not None and Group is not None, "discover() finds User and Group")
config = scim.provider.config
check(config.sort.supported and config.etag.supported, "sort and etag are advertised")

created = scim.create(User(user_name="crud.ada@example.com", display_name="Ada Crud"))
check(bool(created.id), "create User")
other = scim.create(User(user_name="crud.bob@example.com", display_name="Bob Crud"))
fetched = scim.query(User, created.id)
check(fetched.user_name == "crud.ada@example.com", "query User by id")
check(fetched.meta.version is not None, "User has meta.version")

fetched.display_name = "Ada Renamed"
replaced = scim.replace(fetched)
check(replaced.display_name == "Ada Renamed", "replace User")
check(replaced.meta.version != fetched.meta.version, "meta.version changes on replace")

patch = PatchOp[User](
    operations=[PatchOperation(op=PatchOperation.Op.replace_, path="active", value=False)]
)
modified = scim.modify(User, created.id, patch)
check(modified is None or modified.active is False, "modify User (active false)")
check(scim.query(User, created.id).active is False, "the change is kept")

listed = scim.query(
    User,
    query_parameters=SearchRequest(
        filter='userName sw "crud."', sort_by="userName", sort_order="descending"
    ),
)
names = [u.user_name for u in listed.resources]
check(names == ["crud.bob@example.com", "crud.ada@example.com"], f"filtered sorted list {names}")

group = scim.create(
    Group(display_name="Crud Team", members=[Group.Members(value=created.id)])
    if hasattr(Group, "Members")
    else Group(display_name="Crud Team")
)
check(bool(group.id), "create Group")
add = PatchOp[Group](
    operations=[
        PatchOperation(op=PatchOperation.Op.add, path="members", value=[{"value": other.id}])
    ]
)
scim.modify(Group, group.id, add)
members = {m.value for m in scim.query(Group, group.id).members or []}
check(other.id in members, "modify Group (add member)")

for resource, rid in ((Group, group.id), (User, created.id), (User, other.id)):
    scim.delete(resource, rid)
gone = scim.query(User, created.id, raise_scim_errors=False)
check(getattr(gone, "status", None) == 404, "deleted User is gone (404)")
print(f"{checks} passed, 0 failed")
