"""What leaves Wawai: event data, the relay and its channels (webhooks, MQTT), the CAP 1.2 builder."""
