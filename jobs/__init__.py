"""RQ job functions. Each takes ids, reloads fresh state, and is safe to run twice."""
