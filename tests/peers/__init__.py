"""The peers' link-checking suites (LinkChecker's ``tests/checker/data``, lychee's
``fixtures/`` and extractor tests), re-implemented as our own pages on a loopback server.
"""
