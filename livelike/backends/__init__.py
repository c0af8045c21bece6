"""The built-in storage backends: ``env``, ``file`` and ``memory``, each a default plugin."""
