"""The vision side: frame sources and detector backends that yield detections."""
