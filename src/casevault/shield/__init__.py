"""The leak shield (layer 4): scanner, exact data match, publication gate, web-root watcher."""
