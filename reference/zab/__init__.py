"""The reference ZooKeeper: a coordination service replicated by ZAB (docs/reference-zab.md)."""
