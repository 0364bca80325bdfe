"""Where the agent meets the outside: MQTT, Home Assistant, the history on disk."""
