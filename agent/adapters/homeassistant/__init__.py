"""Home Assistant MQTT discovery: the agent and its cameras as devices with entities."""
