//! connector: the reference client of the 1Password SCIM bridge and Events API.
