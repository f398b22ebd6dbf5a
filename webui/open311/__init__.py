"""Open311 GeoReport v2 for the city's apps: answers in XML (the spec's default) or JSON, api_key access,
photo checks and POST parsing. The routes are in webui/routes/open311.py."""
