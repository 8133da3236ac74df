"""`halcfg serve drone`: Drone's registry extension — HTTP server, signature check, account
filter, credential cache and (optionally aesgcm-sealed) answer, one module each."""
