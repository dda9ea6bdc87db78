"""Fake outside systems for the demo and the tests.

Each module here is a small WSGI application that speaks the documented contract of one outside
system CQS cannot reach from a development machine (the PayGov payment gateway, the national
public-service portal, an SMS gateway, the VNeID identity provider). The adapters in the apps talk
to them over real HTTP, exactly as they would talk to the real systems; nothing in the apps knows
it is talking to a fake.
"""
