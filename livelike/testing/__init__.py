"""Test helpers shipped for plugin authors: the storage backend contract suite.

Subclass :class:`BackendContract` in a test module, name the subclass
``Test...``, and return your backend from :meth:`~BackendContract.make_backend`::

    from livelike.testing import BackendContract

    class TestMyBackend(BackendContract):
        factory = "my_package:make_backend"     # importable in a fresh process

        def make_backend(self):
            return my_package.make_backend()

The suite needs the ``livelike_emulator`` fixture, which installing livelike
provides through its pytest plugin. Read-only backends subclass
:class:`ReadOnlyBackendContract` instead.
"""

from livelike.testing._contract import BackendContract, ReadOnlyBackendContract

__all__ = ["BackendContract", "ReadOnlyBackendContract"]
