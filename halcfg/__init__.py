"""halcfg: declare, check and compile container-registry credentials."""

__version__ = "0.1.0"
