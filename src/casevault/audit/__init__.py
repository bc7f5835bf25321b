"""The ledger (layer 2): the tamper-evident Merkle log of every access."""
