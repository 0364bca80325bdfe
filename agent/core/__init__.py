"""The per-camera core: tracking, zones, rules, coalescing and events.

Pure logic driven by detections and a frame's time. It imports nothing from MQTT, the
history database or the language models (tests/test_layout.py keeps it so).
"""

from agent.core import compiled

#: Which core runs, and why: "compiled (mypyc)" or "interpreted (...)".
RUNNING = compiled.select(__path__)
