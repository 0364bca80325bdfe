"""The MQTT side of the agent."""
