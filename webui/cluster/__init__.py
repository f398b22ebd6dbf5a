"""A web node's view of the other nodes: who owns a camera or holds a recording (``peers``), and asking
that node on behalf of the signed-in user with a signed request (``forward``)."""
