"""Running several nodes as one site: PostgreSQL for state and camera ownership, NATS for events.

- ``leases``: the node registry, leases on the database clock.
- ``placement``: which node should own each camera (weighted rendezvous hashing within capacity).
- ``ownership``: claiming, releasing and listing cameras, with an epoch per change of owner.
- ``fencing``: refusing writes made under a stale epoch (segments, gaps, incidents).
- ``coordinator``: one node's loop tying these together, with start/stop callbacks for its cameras.
- ``nats_bus``: the event bus across nodes (NATS, incidents through JetStream).
- ``status``: nodes and camera owners as the database sees them (``wawai cluster status``).
- ``member``: a real node's membership: the coordinator wired to the runtime's start and stop of cameras.
- ``camera_fences``: the fences of the cameras a node runs, for the stages' writes.
- ``reporting``: node joins, losses and camera moves in the audit log and on the bus.
- ``remote_status``: the status of cameras running on other nodes, as their owners announced it.
- ``database``: a cluster node's engine (a server-side limit on idle transactions).

A single node uses none of this: SQLite and the in-process bus stay the embedded default.
"""
