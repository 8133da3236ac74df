"""Image reference → account: the distribution reference grammar, and how Drone's runner, the
kubelet and docker's credential helpers each decide which credential applies to an image.

Pure string work over the accounts model; imports `config`, `registry.hosts`, `findings` and
`errors` only. Never resolves a secret.
"""
