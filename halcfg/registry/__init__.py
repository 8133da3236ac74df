"""A small Docker Registry HTTP API v2 client, layered like go-containerregistry.

names (where to talk) → challenge (what the registry asks for) → transport (sessions, TLS,
retries) → auth (Basic, Bearer tokens; token_claims reads what a JWT says of itself) → client
(ping, catalog, tags, a manifest as pullers ask). Each layer imports only the ones before it;
nothing here knows about findings.
"""
