"""Outside access without raw records (layer 4): agreements, DP statistics, extracts."""
