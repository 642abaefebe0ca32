"""briefbot's application layer: settings, the service core and the skins over it."""
