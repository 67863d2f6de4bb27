"""Comments on posts (threads, mentions, anchors) and the in-app inbox."""
