"""MongoDB advice from the slow-query log: index suggestions, heuristics and answers."""
