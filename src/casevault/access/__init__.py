"""The guard (layer 3): the one door to personal data. See DESIGN.md, issue "The guard"."""
